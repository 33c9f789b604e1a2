"""``job_finished``: sent once, after commit, when a job reaches a final state.

Other apps react to finished jobs without the job machinery knowing them (the demo
build starts its next step this way).
"""

from django.dispatch import Signal

job_finished = Signal()  # kwargs: job_id, project_id, kind, status

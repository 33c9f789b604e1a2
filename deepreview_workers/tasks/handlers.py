"""What a job kind registers, and what its handler may use.

A handler is ``@job_handler("kind")`` on ``(job, progress) -> result``: a short recipe
that loads its inputs through the app's job services, calls the pipeline with
``progress`` and records through a service. The kind must have a row (queue, result
type) in :data:`deepreview.jobs.kinds.JOB_KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from deepreview.core.errors import ApplicationError
from deepreview.jobs.kinds import JOB_KINDS, JobDone
from deepreview.jobs.models import Job
from deepreview_workers.pipeline.progress import ProgressCallback

JobHandler = Callable[[Job, ProgressCallback], JobDone]
_HANDLERS: dict[str, JobHandler] = {}
# Job modules this host could not import for want of the "ml" extra: module -> missing module.
UNAVAILABLE: dict[str, str] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    def register(func: JobHandler) -> JobHandler:
        if kind not in JOB_KINDS:
            raise ValueError(f"Job kind '{kind}' has no row in deepreview.jobs.kinds.JOB_KINDS.")
        if kind in _HANDLERS:
            raise ValueError(f"Job kind '{kind}' is registered twice.")
        _HANDLERS[kind] = func
        return func

    return register


def registered_job_kinds() -> list[str]:
    return sorted(_HANDLERS)


def handler_for(kind: str) -> JobHandler | None:
    return _HANDLERS.get(kind)


@contextmanager
def user_errors(*errors: type[Exception]) -> Iterator[None]:
    """The pipeline's refusals of input a user can fix (``SwapInputError``,
    ``MediaRejected``...) fail the job with their message alone, no traceback."""
    try:
        yield
    except errors as exc:
        raise ApplicationError(str(exc)) from None

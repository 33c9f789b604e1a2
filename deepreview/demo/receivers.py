"""The demo build moves on whenever one of the demo project's jobs finishes."""

from __future__ import annotations

from deepreview.demo.models import DemoBuild
from deepreview.jobs.signals import job_finished


def _advance_demo(sender: object, *, project_id: int, **kwargs: object) -> None:
    build = DemoBuild.objects.filter(project_id=project_id, completed_at__isnull=True).first()
    if build is not None:
        from deepreview.demo.services import demo_advance

        demo_advance(project=build.project)


job_finished.connect(_advance_demo, dispatch_uid="deepreview.demo.advance")

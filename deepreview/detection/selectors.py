"""Permission-checked reads of detection data. Missing and forbidden give the same 404."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from deepreview.detection.models import DetectionRun
from deepreview.projects.roles import Role
from deepreview.projects.selectors import access_row


def access_detection_run(
    user: AbstractBaseUser | AnonymousUser, run_id: int | str, *, min_role: str = Role.VIEWER
) -> DetectionRun:
    """The detection run if the user may see its project; the same 404 otherwise."""
    runs = DetectionRun.objects
    return access_row(user, runs, run_id, min_role=min_role, what="detection run")

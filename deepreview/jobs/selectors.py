from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from deepreview.jobs.models import Job
from deepreview.projects.models import Project
from deepreview.projects.roles import Role
from deepreview.projects.selectors import access_row


def job_list(*, project: Project) -> QuerySet[Job]:
    return Job.objects.filter(project=project).select_related("media", "created_by")


def job_get(*, project: Project, job_id: int | str) -> Job:
    return get_object_or_404(job_list(project=project), pk=job_id)


def access_job(
    user: AbstractBaseUser | AnonymousUser, job_id: int | str, *, min_role: str = Role.VIEWER
) -> Job:
    """The job if the user may see its project; the same 404 otherwise."""
    return access_row(user, Job.objects, job_id, min_role=min_role, what="job")

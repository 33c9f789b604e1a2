from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from deepreview.jobs.models import Job
from deepreview.projects.models import Project


def job_list(*, project: Project) -> QuerySet[Job]:
    return Job.objects.filter(project=project).select_related("media", "created_by")


def job_get(*, project: Project, job_id: int | str) -> Job:
    return get_object_or_404(job_list(project=project), pk=job_id)

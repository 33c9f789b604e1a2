"""A job's file artifact (e.g. an export zip), behind the project's permission check."""

from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request

from deepreview.core.files import serve_storage_name
from deepreview.jobs.models import JobStatus
from deepreview.jobs.selectors import access_job


@extend_schema(
    responses={(200, "application/zip"): OpenApiTypes.BINARY},
    description="The file a finished job produced (the 'artifact' in its result).",
)
@api_view(["GET"])
def job_artifact(request: Request, job_id: int) -> HttpResponse:
    job = access_job(request.user, job_id)
    name = job.result.get("artifact") if job.status == JobStatus.SUCCEEDED else None
    if not name:
        raise Http404("No such file.")
    return serve_storage_name(request, default_storage, name, download_name=name.rsplit("/", 1)[-1])

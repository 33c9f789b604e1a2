"""A detection run's full per-frame result (JSON), behind the project's permission check."""

from django.core.files.storage import default_storage
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request

from deepreview.core.files import serve_storage_name
from deepreview.detection.selectors import access_detection_run


@extend_schema(
    responses={(200, "application/json"): OpenApiTypes.OBJECT},
    description="Per-frame face scores and signals of one detection run "
    "(schema deepreview.detection).",
)
@api_view(["GET"])
def detection_result(request: Request, run_id: int) -> HttpResponse:
    run = access_detection_run(request.user, run_id)
    return serve_storage_name(request, default_storage, run.result)

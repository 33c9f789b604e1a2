"""An export's zip, for curators of its project (it holds every label and fake)."""

from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request

from deepreview.core.files import serve_storage_name
from deepreview.exports.selectors import access_export
from deepreview.projects.roles import Role


@extend_schema(
    responses={(200, "application/zip"): OpenApiTypes.BINARY},
    description="A dataset export's zip (curators and owners). Supports Range.",
)
@api_view(["GET"])
def export_download(request: Request, export_id: int) -> HttpResponse:
    export = access_export(request.user, export_id, min_role=Role.CURATOR)
    if not export.artifact:
        raise Http404("This export has not been built (yet).")
    return serve_storage_name(
        request, default_storage, export.artifact, download_name=export.artifact.rsplit("/", 1)[-1]
    )

"""Permission-checked files of swap models and conversions."""

import json
import zipfile

from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request

from deepreview.core.files import serve_storage_name, serve_stored_file
from deepreview.projects.roles import Role
from deepreview.projects.selectors import access_project
from deepreview.review.selectors import ground_truth_hidden
from deepreview.swaps.models import ConsentRecord, Conversion, SwapModel


def _project_of(queryset, pk: int, field: str = "project_id") -> int:  # noqa: ANN001
    project_id = queryset.filter(pk=pk).values_list(field, flat=True).first()
    if project_id is None:
        raise Http404("No such file.")
    return project_id


def _access_conversion(request: Request, conversion_id: int) -> Conversion:
    """The conversion if its project is the user's and blind review does not hide its
    ground truth from them (the same 404 otherwise)."""
    project = access_project(request.user, _project_of(Conversion.objects, conversion_id))
    conversion = Conversion.objects.get(pk=conversion_id)
    if ground_truth_hidden(project=project, user=request.user, media_id=conversion.output_media_id):
        raise Http404("No such file.")
    return conversion


@extend_schema(
    responses={(200, "image/png"): OpenApiTypes.BINARY},
    description="A training preview grid of a swap model.",
)
@api_view(["GET"])
def swap_preview_file(request: Request, model_id: int, iteration: int) -> HttpResponse:
    access_project(request.user, _project_of(SwapModel.objects, model_id))
    model = SwapModel.objects.get(pk=model_id)
    name = next((p["name"] for p in model.previews if p["iteration"] == iteration), None)
    if name is None:
        raise Http404("No such file.")
    return serve_storage_name(request, default_storage, name)


@extend_schema(
    responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    description="The evidence of a consent or licence record (curators).",
)
@api_view(["GET"])
def consent_evidence(request: Request, consent_id: int) -> HttpResponse:
    project = _project_of(ConsentRecord.objects, consent_id, "faceset__project_id")
    access_project(request.user, project, min_role=Role.CURATOR)
    record = ConsentRecord.objects.get(pk=consent_id)
    # Evidence is whatever a curator attached: always a download, never shown in the page.
    return serve_stored_file(
        request,
        record.evidence,
        attachment=True,
        download_name=record.evidence.name.rsplit("/", 1)[-1],
    )


@extend_schema(
    responses={(200, "application/zip"): OpenApiTypes.BINARY},
    description="A conversion's ground truth: manifest.json and one mask PNG per "
    "manipulated frame.",
)
@api_view(["GET"])
def conversion_masks(request: Request, conversion_id: int) -> HttpResponse:
    conversion = _access_conversion(request, conversion_id)
    name = f"conversion-{conversion.pk}-groundtruth.zip"
    return serve_stored_file(request, conversion.masks, download_name=name)


@extend_schema(
    responses={(200, "image/png"): OpenApiTypes.BINARY},
    operation_id="files_conversions_mask_frame_retrieve",
    description="The ground-truth mask of one frame of a fake (output frame index); "
    "404 when that frame was not manipulated.",
)
@api_view(["GET"])
def conversion_mask_frame(request: Request, conversion_id: int, frame: int) -> HttpResponse:
    conversion = _access_conversion(request, conversion_id)
    with conversion.masks.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        entry = next((f for f in manifest["frames"] if f["output_index"] == frame), None)
        if entry is None or not entry.get("mask"):
            raise Http404("That frame was not manipulated.")
        png = archive.read(entry["mask"])
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response

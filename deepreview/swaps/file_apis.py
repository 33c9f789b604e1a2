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
from deepreview.swaps.selectors import access_consent_record, access_conversion, access_swap_model


@extend_schema(
    responses={(200, "image/png"): OpenApiTypes.BINARY},
    description="A training preview grid of a swap model.",
)
@api_view(["GET"])
def swap_preview_file(request: Request, model_id: int, iteration: int) -> HttpResponse:
    model = access_swap_model(request.user, model_id)
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
    record = access_consent_record(request.user, consent_id, min_role=Role.CURATOR)
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
    conversion = access_conversion(request.user, conversion_id)
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
    conversion = access_conversion(request.user, conversion_id)
    if not conversion.masks:  # imported from a dataset layout that ships no masks
        raise Http404("This fake has no ground-truth masks.")
    with conversion.masks.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        entry = next((f for f in manifest["frames"] if f["output_index"] == frame), None)
        if entry is None or not entry.get("mask"):
            raise Http404("That frame was not manipulated.")
        png = archive.read(entry["mask"])
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response

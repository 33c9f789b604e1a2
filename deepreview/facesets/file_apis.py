"""Permission-checked face image URLs: /files/faces/<id>/<variant>."""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request

from deepreview.core.files import serve_stored_file
from deepreview.facesets.selectors import access_face
from deepreview.media.file_apis import frame_jpeg


@extend_schema(
    responses={(200, "image/png"): OpenApiTypes.BINARY},
    description="A face's aligned crop ('crop'), grid thumbnail ('thumb'), whole source "
    "frame ('frame', decoded on request) or one of its masks ('mask_<name>').",
)
@api_view(["GET"])
def face_file(request: Request, face_id: int, variant: str) -> HttpResponse:
    face = access_face(request.user, face_id)
    if variant == "crop":
        return serve_stored_file(request, face.crop)
    if variant == "thumb" and face.thumb:
        return serve_stored_file(request, face.thumb)
    if variant == "frame" and face.media is not None:
        return frame_jpeg(face.media, face.frame_index)
    name = face.masks.get(variant.removeprefix("mask_")) if variant.startswith("mask_") else None
    if name is None:
        raise Http404("No such file.")
    field = face.crop.field.attr_class(face, face.crop.field, name)
    return serve_stored_file(request, field)

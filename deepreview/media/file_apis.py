"""Permission-checked media file URLs: /files/media/<id>/<variant>.

A DRF view so that scripts holding an API token can download too; browsers
use their session.
"""

import io

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from PIL import Image
from rest_framework.decorators import api_view
from rest_framework.request import Request

from deepreview.core.errors import ApplicationError
from deepreview.core.files import serve_stored_file
from deepreview.media.models import MediaItem
from deepreview.media.selectors import access_media
from deepreview.media.services import media_local_path
from deepreview.media.types import media_type
from deepreview_workers.pipeline.frames import read_frame

VARIANTS = ("original", "playback", "poster", "sprite", "frame_pts")


@extend_schema(
    responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    description="A media item's file: original, playback (browser proxy or original), poster, "
    "sprite or frame_pts (JSON list of every frame's time in seconds). Supports Range.",
)
@api_view(["GET"])
def media_file(request: Request, media_id: int, variant: str) -> HttpResponse:
    if variant not in VARIANTS:
        raise Http404("No such file.")
    item = access_media(request.user, media_id)
    # The original's type is the probe's (its stored name may be a large upload's .bin).
    content_type, _extension = media_type(item.kind, item.container, item.codec)
    if variant == "playback":
        # The proxy when the original does not play in browsers, else the original.
        if item.proxy:
            return serve_stored_file(request, item.proxy)
        return serve_stored_file(request, item.file, content_type=content_type)
    if variant == "original":
        return serve_stored_file(
            request, item.file, download_name=item.name, content_type=content_type
        )
    return serve_stored_file(request, getattr(item, variant))


def frame_jpeg(item: MediaItem, frame_index: int, *, max_width: int | None = None) -> HttpResponse:
    """One frame of ``item`` as JPEG, decoded on request (frames are not stored)."""
    if item.frame_count is not None and not 0 <= frame_index < item.frame_count:
        raise Http404("No such frame.")
    with media_local_path(item) as path:
        rgb = read_frame(path, frame_index)
    image = Image.fromarray(rgb)
    if max_width and image.width > max_width:
        image = image.resize(
            (max_width, round(image.height * max_width / image.width)), Image.Resampling.LANCZOS
        )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    response = HttpResponse(buffer.getvalue(), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@extend_schema(
    responses={(200, "image/jpeg"): OpenApiTypes.BINARY},
    description="Frame N of a video as JPEG (``?width=`` scales it down), for key frames "
    "in reports and comments.",
)
@api_view(["GET"])
def media_frame(request: Request, media_id: int, frame: int) -> HttpResponse:
    item = access_media(request.user, media_id)
    raw_width = request.query_params.get("width")
    if raw_width is not None and not (raw_width.isdigit() and 16 <= int(raw_width) <= 4096):
        raise ApplicationError("width must be a number of pixels from 16 to 4096.")
    return frame_jpeg(item, frame, max_width=int(raw_width) if raw_width else None)

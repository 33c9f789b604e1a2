"""Permission-checked media file URLs: /files/media/<id>/<variant>.

A DRF view so that scripts holding an API token can download too; browsers
use their session.
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request

from deepreview.core.files import serve_stored_file
from deepreview.media.selectors import access_media

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
    if variant == "playback":
        # The proxy when the original does not play in browsers, else the original.
        return serve_stored_file(request, item.proxy or item.file)
    if variant == "original":
        return serve_stored_file(request, item.file, download_name=item.name)
    return serve_stored_file(request, getattr(item, variant))

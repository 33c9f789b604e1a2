"""Serving stored files after a permission check.

Local storage: streamed by Django with HTTP Range support (browsers need it to
seek in video). S3: a short-lived presigned redirect, so bytes never pass
through the web process.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from functools import lru_cache

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 256 * 1024


def _iter_range(handle, start: int, length: int) -> Iterator[bytes]:  # noqa: ANN001
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


@lru_cache(maxsize=1)
def _signing_storage() -> Storage:
    """The storage that signs URLs for browsers.

    Presigned URLs sign the host, so when browsers reach the store by another
    address than the workers do, the URL is signed for that address (signing
    is local: no request is made).
    """
    public = settings.S3_PUBLIC_ENDPOINT_URL
    if not public:
        return default_storage
    from storages.backends.s3 import S3Storage

    options = {**settings.STORAGES["default"]["OPTIONS"], "endpoint_url": public}
    return S3Storage(**options)


# Types a stored file may be served as when the caller names none, guessed from the
# stored name (which the app chose). Anything else, HTML and SVG included, goes out as
# octet-stream, so no stored file ever runs as a page of this site.
SAFE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/bmp",
        "image/tiff",
        "video/mp4",
        "video/webm",
        "video/x-matroska",
        "video/x-msvideo",
        "video/mp2t",
        "video/mpeg",
        "video/ogg",
        "application/json",
        "application/zip",
        "application/pdf",
        "application/gzip",
        "application/x-tar",
        "text/csv",
    }
)


def safe_content_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0]
    return guessed if guessed in SAFE_TYPES else "application/octet-stream"


def serve_stored_file(
    request: HttpRequest,
    field: FieldFile,
    *,
    download_name: str | None = None,
    content_type: str | None = None,
    attachment: bool = False,
) -> HttpResponse:
    """Answer with the file behind ``field``; the caller has checked access."""
    if not field or not field.name:
        raise Http404("No such file.")
    return serve_storage_name(
        request,
        field.storage,
        field.name,
        download_name=download_name,
        content_type=content_type,
        attachment=attachment,
    )


def serve_storage_name(
    request: HttpRequest,
    storage: Storage,
    name: str,
    *,
    download_name: str | None = None,
    content_type: str | None = None,
    attachment: bool = False,
) -> HttpResponse:
    """Answer with the stored file ``name`` (Range-aware locally, presigned on S3).

    ``content_type`` defaults to a safe guess from the stored name (never from
    ``download_name``, which may be a client's); ``download_name`` goes out as an
    RFC 6266 filename, RFC 5987-encoded when it is not ASCII.
    """
    if settings.STORAGE_BACKEND == "s3":
        return HttpResponseRedirect(_signing_storage().url(name))
    content_type = content_type or safe_content_type(name)
    try:
        size = storage.size(name)
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("No such file.") from None
    match = _RANGE.match(request.headers.get("Range", "").strip())
    if match and (match.group(1) or match.group(2)):
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:  # suffix range: the last N bytes
            start, end = max(size - int(last), 0), size - 1
        if start >= size or start > end:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        length = end - start + 1
        response = StreamingHttpResponse(
            _iter_range(handle, start, length), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(length)
    else:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    if download_name or attachment:
        disposition = content_disposition_header(attachment, download_name or name.rsplit("/")[-1])
        if disposition:
            response["Content-Disposition"] = disposition
    return response

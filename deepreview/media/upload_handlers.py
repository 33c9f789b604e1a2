"""Enforces the upload size limit while the request body streams in."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops reading an upload as soon as it passes DEEPREVIEW_MAX_UPLOAD_BYTES.

    It sits before the temporary-file handler; when the limit is passed it
    flags the request (``request.upload_too_large``) and stops the upload, so
    the view can answer 413 and the partial temporary file is discarded.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):  # noqa: ANN001, ANN201, N803
        self.received = 0
        self.limit = settings.MAX_UPLOAD_BYTES
        # Multipart overhead is small; a body far over the limit is refused unread.
        if content_length and content_length > self.limit + 1024 * 1024:
            self._refuse(read_rest=False)
        return None

    def _refuse(self, *, read_rest: bool) -> None:
        self.request.upload_too_large = True
        # Draining the rest lets the client read our 413; a huge declared body
        # is cut off instead of being read for nothing.
        raise StopUpload(connection_reset=not read_rest)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = start + len(raw_data)
        if self.received > self.limit:
            self._refuse(read_rest=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

"""Media types and extensions from what the probe found, never from the client's name."""

from __future__ import annotations

# FFmpeg demuxer name -> (MIME type, extension) for videos.
_CONTAINERS = {
    "mov,mp4,m4a,3gp,3g2,mj2": ("video/mp4", ".mp4"),
    "avi": ("video/x-msvideo", ".avi"),
    "mpegts": ("video/mp2t", ".ts"),
    "mpeg": ("video/mpeg", ".mpg"),
    "flv": ("video/x-flv", ".flv"),
    "asf": ("video/x-ms-asf", ".wmv"),
    "ogg": ("video/ogg", ".ogv"),
}
# FFmpeg codec name -> (MIME type, extension) for stills.
_IMAGE_CODECS = {
    "mjpeg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
    "webp": ("image/webp", ".webp"),
    "bmp": ("image/bmp", ".bmp"),
    "gif": ("image/gif", ".gif"),
    "tiff": ("image/tiff", ".tif"),
}
_WEBM_CODECS = {"vp8", "vp9", "av1"}
UNKNOWN = ("application/octet-stream", ".bin")


def media_type(kind: str, container: str, codec: str) -> tuple[str, str]:
    """(MIME type, extension) of a probed file: ``kind`` "video" or "image", FFmpeg's
    ``container`` (demuxer) and ``codec`` names."""
    if kind == "image":
        return _IMAGE_CODECS.get(codec, UNKNOWN)
    if container == "matroska,webm":
        return ("video/webm", ".webm") if codec in _WEBM_CODECS else ("video/x-matroska", ".mkv")
    return _CONTAINERS.get(container, UNKNOWN)

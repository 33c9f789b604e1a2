"""Video and image IO: probing, previews and browser proxies (PyAV).

The implementation lives in :mod:`.probe`, :mod:`.previews` and :mod:`.proxy`; import from
here so callers do not depend on that split.
"""

from .previews import PreviewResult, SpriteSheet, render_previews
from .probe import (
    DEFAULT_IMAGE_CODECS,
    DEFAULT_VIDEO_CODECS,
    MediaRejected,
    ProbeResult,
    file_sha256,
    probe_media,
)
from .proxy import needs_proxy

__all__ = [
    "DEFAULT_IMAGE_CODECS",
    "DEFAULT_VIDEO_CODECS",
    "MediaRejected",
    "PreviewResult",
    "ProbeResult",
    "SpriteSheet",
    "file_sha256",
    "needs_proxy",
    "probe_media",
    "render_previews",
]

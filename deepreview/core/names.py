"""Names that come from clients: made safe to show, store and send back.

A client's file name is only a label. It never decides the stored extension or the
served media type (those come from the probe, see ``deepreview.media.types``), and
before it is shown it loses what could spoof it: path parts, control characters and
the invisible bidirectional controls (U+202E "right-to-left override" makes
``invoice_gpj.exe`` display as ``invoice_exe.jpg``).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

MAX_NAME = 255
_SPACES = re.compile(r"\s+")


def display_name(raw: str | None, *, fallback: str = "upload") -> str:
    """``raw``'s last path part, NFC-normalised, without control or format characters
    (categories Cc and Cf: bidi overrides and isolates, zero-width characters), with
    runs of white space made one space; ``fallback`` when nothing is left."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name  # either separator
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf"))
    name = _SPACES.sub(" ", name).strip().strip(".")
    return name[:MAX_NAME] or fallback


def stored_stem(raw: str | None, *, fallback: str = "file") -> str:
    """A storage-safe stem: ASCII letters, digits, ``-``, ``_`` and ``.`` only."""
    stem = PurePosixPath(display_name(raw, fallback=fallback)).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_stem).strip("._")
    return safe[:100] or fallback

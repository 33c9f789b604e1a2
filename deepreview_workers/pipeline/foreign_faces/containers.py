"""PNG chunks and JPEG segments, read by hand: where faceswap and DeepFaceLab keep a
face's metadata, which neither OpenCV nor PIL hands back whole.

Both walkers check lengths against the data before slicing, so a truncated or lying
file is a ``ForeignFaceError`` naming what is wrong, never an IndexError or a read past
the end.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import cv2
import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_FACE_SIDE = 4096  # aligned faces are 256..1024 px; a bigger "face" is refused undecoded
MAX_FACE_FILE_BYTES = 64 * 1024 * 1024


class ForeignFaceError(ValueError):
    """One face file cannot be imported; ``reason`` is the short code the summary counts."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PngChunk:
    kind: bytes  # e.g. b"iTXt"
    data: bytes


def png_chunks(data: bytes) -> list[PngChunk]:
    """Every chunk up to IEND, CRCs checked. ``ForeignFaceError`` for a file that is not a
    PNG (``not_image``) or stops before IEND (``truncated``)."""
    if not data.startswith(PNG_SIGNATURE):
        raise ForeignFaceError("not_image", "not a PNG file")
    chunks, offset = [], len(PNG_SIGNATURE)
    while True:
        if offset + 8 > len(data):
            raise ForeignFaceError("truncated", "truncated PNG: it ends before its IEND chunk")
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        end = offset + 12 + length
        if end > len(data):
            raise ForeignFaceError("truncated", f"truncated PNG: its {kind!r} chunk is cut short")
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ForeignFaceError(
                "corrupt", f"corrupt PNG: the CRC of its {kind!r} chunk is wrong"
            )
        chunks.append(PngChunk(kind, body))
        offset = end
        if kind == b"IEND":
            return chunks


def png_size(chunks: list[PngChunk]) -> tuple[int, int]:
    """(width, height) from IHDR."""
    if not chunks or chunks[0].kind != b"IHDR" or len(chunks[0].data) < 8:
        raise ForeignFaceError("corrupt", "corrupt PNG: no IHDR chunk first")
    return struct.unpack(">II", chunks[0].data[:8])


@dataclass(frozen=True)
class JpegSegment:
    marker: int  # the byte after 0xFF, e.g. 0xEF for APP15
    data: bytes


_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_segments(data: bytes) -> tuple[list[JpegSegment], tuple[int, int]]:
    """The header segments before the scan and (width, height) from the SOF segment.
    A JPEG without its end-of-image marker is ``truncated``: decoders fill a cut-off scan
    with grey instead of failing, and a grey half-face must not become training data."""
    if not data.startswith(b"\xff\xd8"):
        raise ForeignFaceError("not_image", "not a JPEG file")
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise ForeignFaceError("truncated", "truncated JPEG: no end-of-image marker")
    segments, size, offset = [], None, 2
    while True:
        if offset + 4 > len(data) or data[offset] != 0xFF:
            raise ForeignFaceError("corrupt", "corrupt JPEG: a segment marker is missing")
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        body = data[offset + 4 : offset + 2 + length]
        if length < 2 or len(body) != length - 2:
            raise ForeignFaceError("truncated", "truncated JPEG: a header segment is cut short")
        if marker in _SOF_MARKERS and len(body) >= 5:
            height, width = struct.unpack(">HH", body[1:5])
            size = (width, height)
        if marker == 0xDA:  # start of scan: the metadata is all before it
            break
        segments.append(JpegSegment(marker, body))
        offset += 2 + length
    if size is None:
        raise ForeignFaceError("corrupt", "corrupt JPEG: no frame header (SOF)")
    return segments, size


def decode_face_image(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """A square aligned face as (N, N, 3) uint8 RGB. ``size`` (width, height) comes from the
    header, checked before decoding so a huge image is refused without allocating it."""
    width, height = size
    if width != height or not 16 <= width <= MAX_FACE_SIDE:
        raise ForeignFaceError(
            "bad_image",
            f"{width}x{height} is not an aligned face (square, 16..{MAX_FACE_SIDE} px)",
        )
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.shape[:2] != (height, width):
        raise ForeignFaceError("bad_image", "the image does not decode")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

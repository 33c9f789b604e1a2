"""Synthetic faceswap and DeepFaceLab facesets, written the way those tools write them.

Independent of the importer on purpose: the byte layouts follow faceswap's
``lib/image.py`` (``pack_to_itxt``: ``keyword \\0 \\0 \\0 \\0 \\0 str(dict)``, inserted
before the first IDAT), ``lib/serializer.py`` ("compressed": ``zlib(pickle)``) and DFL's
``DFLIMG/DFLJPG.py`` (``pickle.dumps(dict)`` in an APP15 segment after the last APPn) and
``DFLPNG.py`` (an ``fcWp`` chunk). The faces are cut from real photos (read at test time
from the shared media) with a matrix unlike ours, as the tools' own alignment would be.
"""

from __future__ import annotations

import pickle
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from deepreview_workers.pipeline.align import alignment_matrix, transform_points


@dataclass(frozen=True)
class SourceFace:
    """A face of a real photo: the frame and its 68 landmarks (our extraction's)."""

    name: str  # photo stem
    frame_bgr: np.ndarray
    landmarks68: np.ndarray  # (68, 2) float64 frame pixels


def their_matrix(landmarks68: np.ndarray, size: int, *, head: bool) -> np.ndarray:
    """A frame -> crop similarity that is not ours: looser (head) or tighter, shifted."""
    coverage, y_offset = (0.42, 0.06) if head else (0.62, -0.03)
    return alignment_matrix(landmarks68, size=size, coverage=coverage, y_offset=y_offset)


def their_crop(face: SourceFace, matrix: np.ndarray, size: int) -> np.ndarray:
    return cv2.warpAffine(face.frame_bgr, matrix, (size, size), flags=cv2.INTER_CUBIC)


# ---- faceswap ----------------------------------------------------------------------


def png_with_chunk(png: bytes, kind: bytes, body: bytes, *, before: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)) & 0xFFFFFFFF)
    chunk = struct.pack(">I", len(body)) + kind + body + crc
    split = png.find(before) - 4
    return png[:split] + chunk + png[split:]


def faceswap_png(crop_bgr: np.ndarray, header: dict) -> bytes:
    png = cv2.imencode(".png", crop_bgr)[1].tobytes()
    body = b"faceswap" + b"\0\0\0\0\0" + str(header).encode("utf-8")
    return png_with_chunk(png, b"iTXt", body, before=b"IDAT")


def faceswap_alignment(face: SourceFace, size: int, *, head_mask: bool, arrays: bool) -> dict:
    """A face's alignments dict. ``arrays``: numpy arrays, as in a .fsa, not lists (PNG)."""
    lm = face.landmarks68
    x0, y0 = np.floor(lm.min(0)).astype(int)
    x1, y1 = np.ceil(lm.max(0)).astype(int)
    stored = 128
    mask_pixels = zlib.compress(np.full((stored, stored), 255, np.uint8).tobytes())

    def mask(matrix: np.ndarray, centering: str) -> dict:
        return {
            "mask": mask_pixels,
            "affine_matrix": matrix if arrays else matrix.tolist(),
            "interpolator": 2,
            "stored_size": stored,
            "stored_centering": centering,
        }

    masks = {"components": mask(their_matrix(lm, stored, head=False), "face")}
    if head_mask:
        masks["bisenet-fp_head"] = mask(their_matrix(lm, size, head=True) * (stored / size), "head")
    return {
        "x": int(x0),
        "w": int(x1 - x0),
        "y": int(y0),
        "h": int(y1 - y0),
        "landmarks_xy": lm.astype(np.float32) if arrays else lm.tolist(),
        "mask": masks,
        "identity": {},
    }


def faceswap_header(face: SourceFace, size: int, *, head_mask: bool = True) -> dict:
    height, width = face.frame_bgr.shape[:2]
    return {
        "alignments": faceswap_alignment(face, size, head_mask=head_mask, arrays=False),
        "source": {
            "alignments_version": 2.3,
            "original_filename": f"{face.name}_000001_0.png",
            "face_index": 0,
            "source_filename": f"{face.name}_000001.png",
            "source_is_video": False,
            "source_frame_dims": (height, width),
        },
    }


def write_faceswap_faces(
    folder: Path, faces: list[SourceFace], *, size: int = 512, head_mask: bool = True
) -> dict[str, dict]:
    """One faceswap face PNG per source face; returns each file's header."""
    folder.mkdir(parents=True, exist_ok=True)
    headers = {}
    for face in faces:
        header = faceswap_header(face, size, head_mask=head_mask)
        crop = their_crop(face, their_matrix(face.landmarks68, size, head=True), size)
        name = header["source"]["original_filename"]
        (folder / name).write_bytes(faceswap_png(crop, header))
        headers[name] = header
    return headers


def write_faceswap_legacy(folder: Path, faces: list[SourceFace], *, size: int = 512) -> None:
    """Faces without a PNG header plus the .fsa alignments file that describes them."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = {}
    for face in faces:
        alignment = faceswap_alignment(face, size, head_mask=True, arrays=True)
        frames[f"{face.name}_000001.png"] = {"faces": [alignment], "video_meta": {}}
        crop = their_crop(face, their_matrix(face.landmarks68, size, head=True), size)
        cv2.imwrite(str(folder / f"{face.name}_000001_0.png"), crop)
    data = {"__meta__": {"version": 2.3}, "__data__": frames}
    (folder / "alignments.fsa").write_bytes(zlib.compress(pickle.dumps(data)))


# ---- DeepFaceLab -------------------------------------------------------------------


def jpeg_with_app15(jpg: bytes, payload: bytes) -> bytes:
    offset = 2
    while jpg[offset] == 0xFF and 0xE0 <= jpg[offset + 1] <= 0xEF:  # after the last APPn
        (length,) = struct.unpack(">H", jpg[offset + 2 : offset + 4])
        offset += 2 + length
    segment = b"\xff\xef" + struct.pack(">H", len(payload) + 2) + payload
    return jpg[:offset] + segment + jpg[offset:]


def dfl_dict(face: SourceFace, matrix: np.ndarray, frame_name: str) -> dict:
    lm = face.landmarks68
    x0, y0 = np.floor(lm.min(0)).astype(np.int32)
    x1, y1 = np.ceil(lm.max(0)).astype(np.int32)
    return {
        "face_type": "whole_face",
        "landmarks": transform_points(lm, matrix).tolist(),
        "source_filename": frame_name,
        "source_rect": (x0, y0, x1, y1),  # numpy int32 scalars, as DFL stores them
        "source_landmarks": lm.tolist(),
        "image_to_face_mat": matrix,  # a numpy array
        "eyebrows_expand_mod": 1.0,
    }


def write_dfl_faces(
    folder: Path, faces: list[SourceFace], *, size: int = 256, png: bool = False
) -> dict[str, dict]:
    """DFL aligned faces (``00001_0.jpg``, or ``.png`` with ``fcWp``); returns the dicts."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for i, face in enumerate(faces, start=1):
        matrix = their_matrix(face.landmarks68, size, head=False)
        meta = dfl_dict(face, matrix, f"{i:05d}.png")
        crop = their_crop(face, matrix, size)
        if png:
            name = f"{i:05d}_0.png"
            encoded = cv2.imencode(".png", crop)[1].tobytes()
            data = png_with_chunk(encoded, b"fcWp", pickle.dumps(meta), before=b"IEND")
        else:
            name = f"{i:05d}_0.jpg"
            encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
            data = jpeg_with_app15(encoded, pickle.dumps(meta))
        (folder / name).write_bytes(data)
        written[name] = meta
    return written

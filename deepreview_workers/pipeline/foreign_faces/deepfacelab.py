"""DeepFaceLab's aligned faces: JPG with the face's dict in an APP15 segment, or (DFL 1)
PNG with it in an ``fcWp`` chunk; both are ``pickle.dumps(dict)`` (``DFLIMG/DFLJPG.py``,
``DFLIMG/DFLPNG.py``), read here with the restricted unpickler::

    {"face_type": "whole_face" | "full" | "head" | ...,
     "landmarks": (68, 2) in the aligned image,
     "source_filename": the frame's file name,
     "source_rect": (x0, y0, x1, y1) frame pixels,
     "source_landmarks": (68, 2) frame pixels,
     "image_to_face_mat": (2, 3) frame -> aligned image pixels,
     "xseg_mask": encoded image bytes, "seg_ie_polys": ..., "eyebrows_expand_mod": ...}

``image_to_face_mat`` is the face's matrix, exactly.
"""

from __future__ import annotations

from typing import Any

from deepreview_workers.pipeline.foreign_faces.containers import (
    PNG_SIGNATURE,
    ForeignFaceError,
    decode_face_image,
    jpeg_segments,
    png_chunks,
    png_size,
)
from deepreview_workers.pipeline.foreign_faces.safe_pickle import UnsafePickle, safe_loads
from deepreview_workers.pipeline.foreign_faces.types import (
    DEEPFACELAB,
    ForeignFace,
    box_from,
    points,
)

APP15 = 0xEF
PNG_CHUNK = b"fcWp"


def dfl_metadata(data: bytes) -> tuple[dict[str, Any] | None, tuple[int, int]]:
    """The face dict of a DFL JPG or PNG (None when it has none) and the image's
    (width, height). ``ForeignFaceError``: ``unsafe_pickle`` for a refused pickle."""
    if data.startswith(PNG_SIGNATURE):
        chunks = png_chunks(data)
        size = png_size(chunks)
        raw = next((c.data for c in chunks if c.kind == PNG_CHUNK), None)
    else:
        segments, size = jpeg_segments(data)
        raw = next((s.data for s in segments if s.marker == APP15), None)
    if raw is None:
        return None, size
    try:
        value = safe_loads(raw)
    except UnsafePickle as exc:
        raise ForeignFaceError("unsafe_pickle", f"DeepFaceLab metadata refused: {exc}") from None
    if not isinstance(value, dict):
        raise ForeignFaceError("bad_metadata", "DeepFaceLab metadata is not a dict")
    return value, size


def dfl_face(name: str, data: bytes) -> ForeignFace:
    """A DFL aligned face as a ``ForeignFace``; ``ForeignFaceError`` says why not."""
    meta, size = dfl_metadata(data)
    if not meta:
        raise ForeignFaceError("no_metadata", "an image without DeepFaceLab's face metadata")
    landmarks = points(meta.get("source_landmarks"), (68, 2), "source_landmarks")
    matrix = points(meta.get("image_to_face_mat"), (2, 3), "image_to_face_mat")
    crop = decode_face_image(data, size)
    rect = meta.get("source_rect")
    box = box_from(*rect) if isinstance(rect, list | tuple) and len(rect) == 4 else None
    return ForeignFace(
        name=name,
        tool=DEEPFACELAB,
        crop_rgb=crop,
        landmarks68=landmarks,
        matrix=matrix,
        matrix_source="DeepFaceLab image_to_face_mat",
        source_filename=str(meta.get("source_filename") or name),
        face_index=0,  # DFL keeps no index; faces of one frame get 0, 1, ... on import
        box=box,
        frame_size=None,  # DFL does not store the frame's size
        metadata=meta,
    )

"""faceswap's aligned faces and alignments files.

An extracted face is a PNG whose ``iTXt`` chunk, keyword ``faceswap``, holds
``str(dict)`` of the face (faceswap's ``lib/image.py``: ``pack_to_itxt`` writes it,
``png_read_meta`` reads it back with ``ast.literal_eval``)::

    {"alignments": {"x", "y", "w", "h": frame pixels of the detected box,
                    "landmarks_xy": [[x, y] x 68] frame pixels,
                    "mask": {name: {"mask": zlib bytes, "affine_matrix": 2x3 list,
                                    "interpolator": int, "stored_size": int,
                                    "stored_centering": "face" | "head" | "legacy"}},
                    "identity": {name: [float]}},
     "source": {"alignments_version", "original_filename", "face_index",
                "source_filename", "source_is_video", "source_frame_dims": (h, w)}}

so it is read with ``ast.literal_eval`` too (literals only: nothing runs). The face image
itself is "head"-centred; its frame->face matrix is not stored. A mask stored with
"head" centring maps the frame onto that same crop at ``stored_size``, so its
``affine_matrix`` scaled by ``N / stored_size`` is the face's matrix exactly; without one,
the importer estimates the matrix from the crop (``matrix_source``).

An alignments file (``.fsa``) is ``zlib.compress(pickle.dumps({"__meta__": {"version"},
"__data__": {frame name: {"faces": [face dict as above, numpy arrays in place of lists],
"video_meta": {...}}}}))`` (``lib/serializer.py``, "compressed"); it is read with the
restricted unpickler and supplies the metadata of face PNGs that carry none (faces
extracted before faceswap 2.1, named ``<frame stem>_<face index>.png``).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from deepreview_workers.pipeline.foreign_faces.containers import (
    ForeignFaceError,
    decode_face_image,
    png_chunks,
    png_size,
)
from deepreview_workers.pipeline.foreign_faces.safe_pickle import (
    UnsafePickle,
    bounded_decompress,
    safe_loads,
)
from deepreview_workers.pipeline.foreign_faces.types import FACESWAP, ForeignFace, box_from, points

KEYWORD = b"faceswap"
MAX_HEADER_BYTES = 16 * 1024 * 1024


def png_itxt(data: bytes, keyword: bytes) -> bytes | None:
    """The text of the first ``iTXt`` chunk named ``keyword`` in a PNG, or None."""
    for chunk in png_chunks(data):
        if chunk.kind != b"iTXt":
            continue
        name, _, rest = chunk.data.partition(b"\0")
        if name != keyword or len(rest) < 2:
            continue
        compressed, body = rest[0], rest[2:]
        _language, _, body = body.partition(b"\0")
        _translated, _, text = body.partition(b"\0")
        if compressed:
            try:
                text = bounded_decompress(text, max_bytes=MAX_HEADER_BYTES)
            except UnsafePickle as exc:
                raise ForeignFaceError("bad_metadata", f"faceswap header: {exc}") from None
        return text
    return None


def faceswap_png_metadata(data: bytes) -> dict[str, Any] | None:
    """The decoded ``faceswap`` header of a PNG (a dict), or None when it has none."""
    text = png_itxt(data, KEYWORD)
    if text is None:
        return None
    if len(text) > MAX_HEADER_BYTES:
        raise ForeignFaceError("bad_metadata", "faceswap header is too large")
    try:
        value = ast.literal_eval(text.decode("utf-8"))
    except (ValueError, SyntaxError, TypeError, UnicodeDecodeError, RecursionError, MemoryError):
        raise ForeignFaceError("bad_metadata", "faceswap header is not a Python literal") from None
    if not isinstance(value, dict):
        raise ForeignFaceError("bad_metadata", "faceswap header is not a dict")
    return value


def read_fsa(data: bytes) -> dict[str, list[Mapping[str, Any]]]:
    """An alignments file's faces by frame name; ``UnsafePickle`` when it cannot be read."""
    value = safe_loads(bounded_decompress(data))
    if not isinstance(value, dict):
        raise UnsafePickle("an alignments file holds a dict")
    frames = value.get("__data__", value)
    if not isinstance(frames, dict):
        raise UnsafePickle("an alignments file's __data__ is a dict")
    return {
        str(name): list(entry.get("faces", []))
        for name, entry in frames.items()
        if isinstance(entry, dict) and isinstance(entry.get("faces", []), list)
    }


def fsa_lookup(fsa: Mapping[str, list[Mapping[str, Any]]], face_file: str) -> dict | None:
    """The header a legacy face PNG would carry, from an alignments file: faceswap named
    faces ``<frame stem>_<face index>.png``."""
    stem, _, index = PurePosixPath(face_file).stem.rpartition("_")
    if not index.isdigit():
        return None
    for frame_name, faces in fsa.items():
        if PurePosixPath(frame_name).stem == stem and int(index) < len(faces):
            return {
                "alignments": dict(faces[int(index)]),
                "source": {"source_filename": frame_name, "face_index": int(index)},
            }
    return None


def _head_mask_matrix(masks: Any, crop_size: int) -> tuple[Any, str] | None:
    if not isinstance(masks, Mapping):
        return None
    for name, mask in sorted(masks.items(), key=lambda kv: str(kv[0])):
        if not isinstance(mask, Mapping) or mask.get("stored_centering") != "head":
            continue
        stored = mask.get("stored_size")
        if not isinstance(stored, int) or stored <= 0:
            continue
        affine = points(mask.get("affine_matrix"), (2, 3), f"mask {name!r} affine_matrix")
        return affine * (crop_size / stored), f"faceswap mask {name!r} (head centring)"
    return None


def faceswap_face(name: str, data: bytes, header: Mapping[str, Any] | None = None) -> ForeignFace:
    """A faceswap face PNG as a ``ForeignFace``. ``header``: its metadata from elsewhere (an
    alignments file) when the PNG carries none. ``ForeignFaceError`` says why not."""
    size = png_size(png_chunks(data))
    if header is None:
        header = faceswap_png_metadata(data)
    if header is None:
        raise ForeignFaceError("no_metadata", "a PNG without faceswap's alignments header")
    alignments = header.get("alignments")
    source = header.get("source") or {}
    if not isinstance(alignments, Mapping) or not isinstance(source, Mapping):
        raise ForeignFaceError("bad_metadata", "faceswap header lacks alignments or source")
    landmarks = points(alignments.get("landmarks_xy"), (68, 2), "landmarks_xy")
    crop = decode_face_image(data, size)
    found = _head_mask_matrix(alignments.get("mask"), crop.shape[0])
    x, y = alignments.get("x", 0), alignments.get("y", 0)
    try:
        box = box_from(x, y, x + alignments.get("w", 0), y + alignments.get("h", 0))
    except TypeError:
        box = None
    dims = source.get("source_frame_dims")
    frame_size = None
    if isinstance(dims, list | tuple) and len(dims) >= 2 and all(isinstance(v, int) for v in dims):
        frame_size = (int(dims[1]), int(dims[0]))  # faceswap stores (height, width)
    face_index = source.get("face_index", 0)
    return ForeignFace(
        name=name,
        tool=FACESWAP,
        crop_rgb=crop,
        landmarks68=landmarks,
        matrix=None if found is None else found[0],
        matrix_source="estimated" if found is None else found[1],
        source_filename=str(source.get("source_filename") or name),
        face_index=face_index if isinstance(face_index, int) and face_index >= 0 else 0,
        box=box,
        frame_size=frame_size,
        metadata=header,
    )

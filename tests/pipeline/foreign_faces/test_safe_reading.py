"""The restricted unpickler and the container limits, on hand-made hostile bytes."""

from __future__ import annotations

import pickle
import struct
import zlib

import cv2
import numpy as np
import pytest

from deepreview_workers.pipeline.foreign_faces.containers import ForeignFaceError
from deepreview_workers.pipeline.foreign_faces.deepfacelab import dfl_face
from deepreview_workers.pipeline.foreign_faces.faceswap import faceswap_face, read_fsa
from deepreview_workers.pipeline.foreign_faces.safe_pickle import (
    UnsafePickle,
    bounded_decompress,
    safe_loads,
)
from tests.pipeline.foreign_faces.writers import jpeg_with_app15, png_with_chunk


class _Call:
    def __init__(self, func, *args) -> None:  # noqa: ANN001
        self.func, self.args = func, args

    def __reduce__(self):  # noqa: ANN204
        return self.func, self.args


def test_plain_data_and_numpy_arrays_are_read_back():
    value = {
        "m": np.arange(6, dtype=np.float64).reshape(2, 3),
        "rect": (np.int32(3), np.int32(4)),
        "xs": [1.5, "a", b"\x00", None, True, {1, 2}],
    }
    for protocol in (2, 3, 4, 5):
        back = safe_loads(pickle.dumps(value, protocol=protocol))
        assert np.array_equal(back["m"], value["m"]) and back["xs"] == value["xs"]
        assert [int(v) for v in back["rect"]] == [3, 4]


@pytest.mark.parametrize(
    "payload",
    [
        _Call(__import__("os").system, "true"),
        _Call(eval, "1"),
        _Call(__import__("subprocess").call, ["true"]),
        _Call(getattr, object, "__subclasses__"),
    ],
    ids=["os.system", "eval", "subprocess", "getattr"],
)
def test_anything_else_is_refused_before_it_is_called(payload):
    with pytest.raises(UnsafePickle, match="refused to unpickle"):
        safe_loads(pickle.dumps({"x": payload}))


def test_object_arrays_and_garbage_are_refused():
    with pytest.raises(UnsafePickle, match="object-dtype"):
        safe_loads(pickle.dumps(np.array([1, "a"], dtype=object)))
    with pytest.raises(UnsafePickle, match="not a readable pickle"):
        safe_loads(b"\x80\x04garbage")


def test_a_decompression_bomb_is_refused_not_expanded():
    bomb = zlib.compress(b"\0" * (8 * 1024 * 1024))
    assert len(bomb) < 16_000
    with pytest.raises(UnsafePickle, match="more than 1048576 bytes"):
        bounded_decompress(bomb, max_bytes=1024 * 1024)
    with pytest.raises(UnsafePickle):
        read_fsa(b"not zlib")


def test_a_huge_face_is_refused_before_decoding():
    png = cv2.imencode(".png", np.zeros((32, 32, 3), np.uint8))[1].tobytes()
    # IHDR claiming 60000 x 60000 pixels (CRC fixed up): refused from the header alone.
    ihdr = struct.pack(">II", 60000, 60000) + png[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    huge = png[:16] + ihdr + crc + png[33:]
    header = {"alignments": {"landmarks_xy": np.zeros((68, 2)).tolist()}, "source": {}}
    body = b"faceswap\0\0\0\0\0" + str(header).encode()
    with pytest.raises(ForeignFaceError, match="not an aligned face") as refused:
        faceswap_face("huge.png", png_with_chunk(huge, b"iTXt", body, before=b"IDAT"))
    assert refused.value.reason == "bad_image"


def test_broken_files_give_reasons_not_crashes():
    jpg = cv2.imencode(".jpg", np.zeros((32, 32, 3), np.uint8))[1].tobytes()
    cases = {
        "no_metadata": jpg,
        "truncated": jpeg_with_app15(jpg, pickle.dumps({}))[:-40],
        "unsafe_pickle": jpeg_with_app15(jpg, pickle.dumps(_Call(print, "x"))),
        "bad_metadata": jpeg_with_app15(jpg, pickle.dumps({"source_landmarks": [1, 2]})),
        "not_image": b"hello",
    }
    for reason, data in cases.items():
        with pytest.raises(ForeignFaceError) as refused:
            dfl_face("x.jpg", data)
        assert refused.value.reason == reason

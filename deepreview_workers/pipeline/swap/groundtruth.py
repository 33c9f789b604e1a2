"""Ground truth of a converted video: which frames were manipulated, and where.

One zip file per conversion (``<output stem>.groundtruth.zip`` by default), stored
uncompressed (PNGs are already compressed) so members can be read directly::

    manifest.json
    masks/<frame_index:07d>.png      one per manipulated frame

Each mask is an 8-bit greyscale PNG of the full video frame (width x height). The value
is the blend weight of the swapped face times 255: 0 = the pixel is the original's,
255 = fully replaced, values between = the feathered edge. "Changed pixels" are exactly
the pixels with a value above 0 (any manipulation shows up there, including seamless
cloning, which never leaves the mask).

``manifest.json`` (UTF-8)::

    {"schema": "deepreview.swap_ground_truth", "version": 1,
     "video": {"file_name": str, "frame_count": int, "fps": float | null,
               "width": int, "height": int},            # the converted output
     "source": {"file_name": str, "start_frame": int, "end_frame": int},  # input range
     "frames": [                                        # every output frame, in order
       {"frame_index": int,                             # index in the *input* video
        "output_index": int,                            # index in the output file
        "manipulated": bool,
        "box": [x0, y0, x1, y1] | null,                 # mask bounds, ends exclusive
        "mask": "masks/0000012.png" | null,
        "face": {"track_id": int, "face_index": int} | null}],
     "synthetic": {...}}                                # the tag in the video's metadata

Frames without the target face have ``manipulated: false`` and no mask. Read it back
with :func:`read_ground_truth`.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

SCHEMA = "deepreview.swap_ground_truth"
VERSION = 1
MANIFEST_NAME = "manifest.json"


def default_ground_truth_path(output_path: str | os.PathLike[str]) -> Path:
    output_path = Path(output_path)
    return output_path.with_name(f"{output_path.stem}.groundtruth.zip")


class GroundTruthWriter:
    """Collects per-frame records and masks into the zip, atomically on ``close``."""

    def __init__(self, path: str | os.PathLike[str], frame_shape: tuple[int, int]) -> None:
        self.path = Path(path)
        self._temp = self.path.with_name(f".{self.path.name}.tmp")
        self._zip = zipfile.ZipFile(self._temp, "w", compression=zipfile.ZIP_STORED)
        self._shape = frame_shape
        self.frames: list[dict[str, Any]] = []

    def add_frame(
        self,
        frame_index: int,
        *,
        alpha: np.ndarray | None = None,
        box: tuple[int, int, int, int] | None = None,
        face: Mapping[str, int] | None = None,
    ) -> None:
        """Record one output frame; ``alpha`` (uint8 over ``box``) marks it manipulated."""
        entry: dict[str, Any] = {
            "frame_index": int(frame_index),
            "output_index": len(self.frames),
            "manipulated": False,
            "box": None,
            "mask": None,
            "face": None,
        }
        if alpha is not None and box is not None and alpha.any():
            x0, y0, x1, y1 = box
            full = np.zeros(self._shape, np.uint8)
            full[y0:y1, x0:x1] = alpha
            ys, xs = np.nonzero(full)
            name = f"masks/{frame_index:07d}.png"
            ok, data = cv2.imencode(".png", full)
            if not ok:
                raise RuntimeError(f"could not encode the mask of frame {frame_index}")
            self._zip.writestr(name, data.tobytes())
            entry.update(
                manipulated=True,
                box=[int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1],
                mask=name,
                face=None if face is None else {k: int(v) for k, v in face.items()},
            )
        self.frames.append(entry)

    def close(self, header: Mapping[str, Any]) -> Path:
        """Write the manifest (``header`` gives video / source / synthetic) and finish."""
        manifest = {"schema": SCHEMA, "version": VERSION, **header, "frames": self.frames}
        self._zip.writestr(MANIFEST_NAME, json.dumps(manifest, separators=(",", ":")))
        self._zip.close()
        os.replace(self._temp, self.path)
        return self.path

    def abort(self) -> None:
        self._zip.close()
        self._temp.unlink(missing_ok=True)


@dataclass(frozen=True)
class GroundTruth:
    """A read ground-truth zip: ``manifest`` as JSON, masks decoded on demand."""

    path: Path
    manifest: Mapping[str, Any]

    @property
    def frames(self) -> list[Mapping[str, Any]]:
        return list(self.manifest["frames"])

    @property
    def manipulated_frames(self) -> list[int]:
        return [f["frame_index"] for f in self.manifest["frames"] if f["manipulated"]]

    def mask(self, frame_index: int) -> np.ndarray:
        """(H, W) uint8 blend weight of input frame ``frame_index`` (zeros if untouched)."""
        return self._mask_where("frame_index", frame_index)

    def output_mask(self, output_index: int) -> np.ndarray:
        """The same for frame ``output_index`` of the converted video itself."""
        return self._mask_where("output_index", output_index)

    def _mask_where(self, key: str, index: int) -> np.ndarray:
        video = self.manifest["video"]
        for frame in self.manifest["frames"]:
            if frame[key] == index and frame["mask"]:
                with zipfile.ZipFile(self.path) as archive:
                    data = np.frombuffer(archive.read(frame["mask"]), np.uint8)
                return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
        return np.zeros((video["height"], video["width"]), np.uint8)


def read_ground_truth(path: str | os.PathLike[str]) -> GroundTruth:
    """Open a ground-truth zip; ``ValueError`` when it is not one."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST_NAME).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a deepreview ground-truth zip ({exc})") from None
    if manifest.get("schema") != SCHEMA or manifest.get("version") != VERSION:
        raise ValueError(f"{path}: unsupported ground-truth schema {manifest.get('schema')!r}")
    return GroundTruth(path, manifest)

"""Detector checkpoints on disk, and a loaded detector that scores face crops.

A checkpoint is one ``torch.save`` file holding only plain data and tensors (so it loads
with ``weights_only=True``, which cannot run code from a tampered file)::

    {
      "format": "deepreview.fake-detector", "version": 1,
      "arch": "meso4", "input_size": 256, "crop_margin": 0.3,
      "mean": [...], "std": [...],           # input normalisation (ImageNet's)
      "state_dict": {...},                   # the weights of the best epoch
      "threshold": 0.47,                     # validation EER threshold of that epoch
      "best_epoch": 3, "epochs_done": 5,
      "history": [{"epoch": 1, "train_loss": ..., "val": {"auc": ..., ...}}, ...],
      "train_options": {...}, "dataset": {...}, "created": "2025-01-01T12:00:00+00:00"
    }

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a
crash or a cancel mid-write never leaves a half-written checkpoint where a good one was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from deepreview_workers.pipeline.detection.models import (
    CROP_MARGIN,
    IMAGENET_MEAN,
    IMAGENET_STD,
    MAP_SIZE,
    detector_models,
    face_crop,
    to_tensor,
)
from deepreview_workers.pipeline.device import channels_last, resolve_device
from deepreview_workers.pipeline.types import Box

FORMAT = "deepreview.fake-detector"
VERSION = 1


class CheckpointError(ValueError):
    """The file is not a usable detector checkpoint (wrong format, untrained, damaged)."""


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (see the module docstring) to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        torch.save({"format": FORMAT, "version": VERSION, **payload}, temporary)
        os.chmod(temporary, 0o644)  # mkstemp makes it owner-only; a checkpoint is shared
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint's dict, checked: our format, a known arch, weights, trained."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No detector checkpoint at {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and torch errors all mean "not a checkpoint"
        raise CheckpointError(f"{path} is not a detector checkpoint ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a deepreview fake-detector checkpoint")
    if int(data.get("version", 0)) > VERSION:
        raise CheckpointError(f"{path} was written by a newer version ({data['version']})")
    if data.get("arch") not in detector_models.names():
        raise CheckpointError(f"{path} has an unknown architecture {data.get('arch')!r}")
    if not data.get("state_dict") or not int(data.get("epochs_done", 0)):
        raise CheckpointError(f"{path} holds an untrained detector (no finished epoch)")
    return data


class LoadedDetector:
    """A detector model ready to score faces: weights on a device, in eval mode.

    ``threshold``: scores at or above it count as fake (the validation EER threshold
    from training, 0.5 for an untrained model built for benchmarking)."""

    def __init__(
        self,
        model: nn.Module,
        *,
        arch: str,
        input_size: int,
        crop_margin: float = CROP_MARGIN,
        threshold: float = 0.5,
        calibration: dict[str, Any] | None = None,
        device: str | torch.device = "cpu",
        info: dict[str, Any] | None = None,
    ) -> None:
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.model = channels_last(model.to(self.device)).eval()
        self.arch = arch
        self.input_size = int(input_size)
        self.crop_margin = float(crop_margin)
        self.threshold = float(threshold)
        # Platt scaling fitted on held-out faces: p = sigmoid(a * logit + b).
        self.calibration = dict(calibration) if calibration else None
        self.has_map = bool(getattr(model, "has_map", False))
        self.info = dict(info or {})

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "auto") -> LoadedDetector:
        """Load a checkpoint written by the trainer; ``CheckpointError`` when unusable."""
        data = read_checkpoint(path)
        # "build": constructor arguments, e.g. no ImageNet load when the weights follow.
        model = detector_models.create(data["arch"], **data.get("build", {}))
        try:
            model.load_state_dict(data["state_dict"])  # float16 tensors widen on copy
        except RuntimeError as exc:
            raise CheckpointError(f"{path}: weights do not fit {data['arch']} ({exc})") from exc
        if tuple(data.get("mean", IMAGENET_MEAN)) != tuple(model.input_mean) or tuple(
            data.get("std", IMAGENET_STD)
        ) != tuple(model.input_std):
            raise CheckpointError(f"{path} uses an input normalisation this version lacks")
        history = data.get("history", [])
        best = next((h for h in history if h.get("epoch") == data.get("best_epoch")), {})
        info = {
            "path": str(path),
            "best_epoch": data.get("best_epoch"),
            "epochs_done": data.get("epochs_done"),
            "validation": data.get("validation") or best.get("val"),
            "created": data.get("created"),
            "threshold_fpr": data.get("threshold_fpr"),
        }
        return cls(
            model,
            arch=data["arch"],
            input_size=int(data["input_size"]),
            crop_margin=float(data.get("crop_margin", CROP_MARGIN)),
            threshold=float(data.get("threshold", 0.5)),
            calibration=data.get("calibration"),
            device=device,
            info=info,
        )

    def _probability(self, logits: torch.Tensor) -> np.ndarray:
        z = logits.float().cpu().numpy().astype(np.float64)
        if self.calibration:
            z = self.calibration["a"] * z + self.calibration["b"]
        return 1.0 / (1.0 + np.exp(-z))

    @torch.inference_mode()
    def score_crops_with_maps(
        self, crops_rgb: Sequence[np.ndarray] | np.ndarray, batch_size: int = 64
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Fake probability per face crop ((H, W, 3) uint8 RGB, made with ``crop_margin``
        around the detector box; resized here to the input size), (N,) float64, calibrated
        when the checkpoint carries a calibration; and, for a map-head model, the
        manipulation map per face, (N, MAP_SIZE, MAP_SIZE) float32 in [0, 1] (else None)."""
        scores, maps = [], []
        model = self.model
        for start in range(0, len(crops_rgb), batch_size):
            batch = to_tensor(
                list(crops_rgb[start : start + batch_size]),
                self.input_size,
                model.input_mean,
                model.input_std,
            ).to(self.device)
            if self.has_map:
                logits, map_logits = model.forward_with_map(batch)
                maps.append(torch.sigmoid(map_logits.float()).cpu().numpy())
            else:
                logits = model(batch)
            scores.append(self._probability(logits))
        if not scores:
            return np.zeros(0), (
                np.zeros((0, MAP_SIZE, MAP_SIZE), np.float32) if self.has_map else None
            )
        return np.concatenate(scores), (np.concatenate(maps) if self.has_map else None)

    def score_crops(
        self, crops_rgb: Sequence[np.ndarray] | np.ndarray, batch_size: int = 64
    ) -> np.ndarray:
        """Fake probability per face crop (see :meth:`score_crops_with_maps`)."""
        return self.score_crops_with_maps(crops_rgb, batch_size)[0]

    def crop(self, frame_rgb: np.ndarray, box: Box) -> np.ndarray:
        """This detector's input crop of one face (margin and size from the checkpoint)."""
        return face_crop(frame_rgb, box, self.input_size, self.crop_margin)

    def score_faces(self, frame_rgb: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        """Fake probability per detector box in one (H, W, 3) uint8 RGB frame."""
        return self.score_crops([self.crop(frame_rgb, box) for box in boxes])

    def describe(self) -> dict[str, Any]:
        """JSON-ready summary for results and job records."""
        return {
            "arch": self.arch,
            "input_size": self.input_size,
            "crop_margin": self.crop_margin,
            "threshold": self.threshold,
            "calibrated": self.calibration is not None,
            "has_map": self.has_map,
            **self.info,
        }


def load_detector(path: str | Path, device: str | torch.device = "auto") -> LoadedDetector:
    """Shorthand for :meth:`LoadedDetector.load`."""
    return LoadedDetector.load(path, device=device)

"""Fake detection: forensic signals, learned detectors, training, metrics, video inference.

Entry points (all pure functions or small classes; no Django):

- :func:`detect_video` / :class:`VideoDetector` with :class:`DetectOptions` ->
  :class:`VideoDetection` (``as_dict()`` / ``to_json()``): faces, per-frame face scores
  and forensic signals (raw, robust z, 0..1), video scores, "no faces" status.
- :func:`train_detector` with :class:`TrainOptions` -> :class:`TrainResult`; refuses
  unusable sets with :class:`TrainingDataError` (a ``ValueError``).
- :func:`load_detector` -> :class:`LoadedDetector` (``score_crops``, ``score_faces``).
- :mod:`~deepreview_workers.pipeline.detection.metrics`: AUC/ROC, EER, log loss, accuracy,
  confusion matrix, video-score rules (``mean``, ``confident``).
- Plugins: ``forensic_signals`` (the registry in :mod:`.signals`; each signal is tied to
  an artifact kind of :data:`ARTIFACT_KINDS`) and ``detector_models`` (``meso4``,
  ``efficientnet_b0``).

Long steps take ``progress(fraction, message)``; raising ``Cancelled`` from it stops them.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names are imported on first use (PEP 562), so ``detection.taxonomy`` can be read
# without loading torch, timm or OpenCV (a web host listing artifact kinds).
_EXPORTS = {
    "CheckpointError": "checkpoint",
    "LoadedDetector": "checkpoint",
    "load_detector": "checkpoint",
    "FaceSet": "dataset",
    "LabeledFace": "dataset",
    "TrainingDataError": "dataset",
    "load_face_set": "dataset",
    "split_by_identity": "dataset",
    "AGGREGATIONS": "metrics",
    "binary_metrics": "metrics",
    "confident_strategy": "metrics",
    "CROP_MARGIN": "models",
    "detector_models": "models",
    "face_crop": "models",
    "DEFAULT_SIGNALS": "signals",
    "signal_info": "signals",
    "forensic_signals": "signals",
    "ARTIFACT_KINDS": "taxonomy",
    "ARTIFACT_KIND_SLUGS": "taxonomy",
    "TrainOptions": "train",
    "TrainResult": "train",
    "train_detector": "train",
    "STATUS_NO_FACES": "result",
    "STATUS_OK": "result",
    "VideoDetection": "result",
    "DetectOptions": "video",
    "VideoDetector": "video",
    "detect_video": "video",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    source = "signals" if name == "forensic_signals" else name  # the registry's own name
    value = getattr(importlib.import_module(f"{__name__}.{module}"), source)
    globals()[name] = value
    return value


__all__ = [
    "AGGREGATIONS",
    "ARTIFACT_KINDS",
    "ARTIFACT_KIND_SLUGS",
    "CROP_MARGIN",
    "DEFAULT_SIGNALS",
    "STATUS_NO_FACES",
    "STATUS_OK",
    "CheckpointError",
    "DetectOptions",
    "FaceSet",
    "LabeledFace",
    "LoadedDetector",
    "TrainOptions",
    "TrainResult",
    "TrainingDataError",
    "VideoDetection",
    "VideoDetector",
    "binary_metrics",
    "confident_strategy",
    "detect_video",
    "detector_models",
    "face_crop",
    "forensic_signals",
    "load_detector",
    "load_face_set",
    "signal_info",
    "split_by_identity",
    "train_detector",
]

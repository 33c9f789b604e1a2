"""The built-in detector that ships with deepreview: no training needed.

EfficientNet-Lite0 from ImageNet weights, trained on real faces and their self-blended
fakes (scripts/train_builtin_detector.py), calibrated, with a manipulation map. Its
model card is ``builtin/MODEL_CARD.md`` and its figures ``builtin/detector.json``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from deepreview_workers.pipeline.detection.checkpoint import (
    CheckpointError,
    LoadedDetector,
    read_checkpoint,
)
from deepreview_workers.pipeline.detection.external_check import measured_figures

BUILTIN_DIR = Path(__file__).with_name("builtin")
BUILTIN_CHECKPOINT = BUILTIN_DIR / "detector.pt"
BUILTIN_NAME = "Built-in detector"


def builtin_arch(path: Path = BUILTIN_CHECKPOINT) -> str | None:
    """The built-in detector's architecture (None when its file is absent)."""
    return read_checkpoint(path)["arch"] if path.is_file() else None


def builtin_state_dict(path: Path = BUILTIN_CHECKPOINT) -> dict[str, torch.Tensor]:
    """The built-in detector's weights, float32, to fine-tune from."""
    state = read_checkpoint(path)["state_dict"]
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def load_builtin_detector(
    device: str | torch.device = "auto", path: Path = BUILTIN_CHECKPOINT
) -> LoadedDetector:
    """The shipped detector; ``CheckpointError`` saying what to do when its file is
    missing or damaged."""
    if not path.is_file():
        raise CheckpointError(
            f"The built-in detector's weights are missing ({path}). They ship inside the "
            "deepreview package: reinstall it (pip install --force-reinstall deepreview, or "
            "scripts/setup.sh in a checkout), or pass a detector checkpoint instead."
        )
    try:
        loaded = LoadedDetector.load(path, device=device)
    except CheckpointError as exc:
        raise CheckpointError(
            f"The built-in detector's weights are damaged ({exc}). Reinstall deepreview "
            "(pip install --force-reinstall deepreview) or re-make them with "
            "scripts/train_builtin_detector.py."
        ) from exc
    loaded.info["name"] = BUILTIN_NAME
    # What the bench measured on other tools' fakes, so a low score is read for what it is.
    try:
        external = measured_figures(path.parent, "detector", path)
    except ValueError as exc:
        raise CheckpointError(str(exc)) from exc
    if external is not None:
        loaded.info["external_check"] = external
    return loaded

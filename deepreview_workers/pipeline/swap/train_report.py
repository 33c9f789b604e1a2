"""What face-swap training reports and writes beside the model: status, loss history, previews."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from deepreview_workers.pipeline.options.swap import TrainOptions
from deepreview_workers.pipeline.swap.augment import augment_batch, identity_params
from deepreview_workers.pipeline.swap.models import SwapModel
from deepreview_workers.pipeline.swap.train_batches import TrainingSide

LOSS_HISTORY_NAME = "loss_history.jsonl"
PREVIEW_DIR = "previews"


@dataclass(frozen=True)
class TrainStatus:
    """One progress report; losses are means over the iterations since the last report."""

    iteration: int
    iterations_target: int
    iterations_per_second: float
    eta_seconds: float | None
    loss_a: float
    loss_b: float
    elapsed_seconds: float  # training time of this model so far, across resumes
    preview_path: Path | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["preview_path"] = None if self.preview_path is None else str(self.preview_path)
        return data

    def message(self) -> str:
        return (
            f"Iteration {self.iteration} of {self.iterations_target}: loss A "
            f"{self.loss_a:.4f}, loss B {self.loss_b:.4f}, {self.iterations_per_second:.1f} it/s"
        )


@dataclass(frozen=True)
class TrainResult:
    """``outcome``: "completed" (target reached) or "stopped" (``should_stop``)."""

    outcome: str
    iteration: int
    iterations_run: int
    seconds: float
    iterations_per_second: float
    loss_a: float | None
    loss_b: float | None
    checkpoint_path: Path
    preview_path: Path | None
    device: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checkpoint_path"] = str(self.checkpoint_path)
        data["preview_path"] = None if self.preview_path is None else str(self.preview_path)
        return data


def append_loss_record(model_dir: Path, record: Mapping[str, Any]) -> None:
    """Append one report to ``loss_history.jsonl`` (one JSON object a line)."""
    with open(model_dir / LOSS_HISTORY_NAME, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def rewrite_loss_history(model_dir: Path, history: list[dict[str, Any]]) -> None:
    """Make the JSON-lines file match the checkpoint (drops lines a crash left after it)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / LOSS_HISTORY_NAME
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text("".join(json.dumps(r) + "\n" for r in history), "utf-8")
    os.replace(temp, path)


@torch.no_grad()
def preview_grid(
    model: SwapModel,
    sides: Mapping[str, TrainingSide],
    options: TrainOptions,
    device: torch.device,
    amp: bool,
) -> np.ndarray:
    """(rows * S, 7 * S + gap, 3) uint8 RGB: per row, for A then for B, the original,
    the reconstruction and the swap (the other decoder), on un-augmented faces."""
    size = model.size
    halves = []
    was_training = model.training
    model.eval()
    try:
        for side, other in (("a", "b"), ("b", "a")):
            data = sides[side]
            k = min(options.preview_faces, data.count)
            indices = np.linspace(0, data.count - 1, k).round().astype(np.int64)
            stack = data.stack(indices)
            faces = augment_batch(stack, identity_params(k), size, options.coverage)
            original = faces.targets[:, :3]
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                latent = model.encode(original)
                recon = model.decode(latent, side)[0]
                swapped = model.decode(latent, other)[0]
            columns = [original, recon.float(), swapped.float()]
            tiles = torch.cat(columns, dim=3)  # (k, 3, S, 3S)
            halves.append(tiles.permute(0, 2, 3, 1).reshape(-1, 3 * size, 3).cpu().numpy())
    finally:
        model.train(was_training)
    rows = max(len(h) for h in halves)
    halves = [np.pad(h, ((0, rows - len(h)), (0, 0), (0, 0))) for h in halves]
    gap = np.ones((rows, max(size // 8, 2), 3), np.float32)
    grid = np.concatenate([halves[0], gap, halves[1]], axis=1)
    return (grid * 255).round().clip(0, 255).astype(np.uint8)


def write_preview(model_dir: Path, iteration: int, grid: np.ndarray) -> Path:
    """Write ``previews/preview_<iteration:07d>.png`` (atomically) and return its path."""
    folder = model_dir / PREVIEW_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"preview_{iteration:07d}.png"
    ok, data = cv2.imencode(".png", cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError("could not encode the preview grid as PNG")
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data.tobytes())
    os.replace(temp, path)
    return path

"""A face-swap trainer's complete state as checkpoint data: saved, restored, checked on resume."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from deepreview_workers.pipeline.options.swap import TrainOptions
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.models import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    SIDES,
    load_checkpoint,
)

if TYPE_CHECKING:  # train.py imports this module: the type alone avoids a cycle
    from deepreview_workers.pipeline.swap.train import Trainer

# Options that define the network and its input; a resumed model cannot change them.
MODEL_SHAPING = ("arch", "width", "coverage")


def load_train_options(model_dir: str | os.PathLike[str]) -> TrainOptions:
    """The options a model folder was trained with (to resume without restating them)."""
    return TrainOptions.from_json(load_checkpoint(model_dir)["train_options"])


def check_resumable(model_dir: Path, saved: Mapping[str, Any], options: TrainOptions) -> None:
    """``SwapInputError`` when ``options`` change what shapes the saved network."""
    before = TrainOptions.from_json(saved.get("train_options", {}))
    changed = [
        f"{name} {getattr(before, name)!r} -> {getattr(options, name)!r}"
        for name in MODEL_SHAPING
        if getattr(before, name) != getattr(options, name)
    ]
    if changed:
        raise SwapInputError(
            f"{model_dir} holds a model trained with other settings ({'; '.join(changed)}); "
            "resume with the saved settings (load_train_options) or use a new folder"
        )


def checkpoint_state(trainer: Trainer) -> dict[str, Any]:
    """Everything needed to resume exactly, as plain data and tensors (CPU)."""
    rng_state = {
        "numpy": trainer.rng.bit_generator.state,
        "torch": torch.get_rng_state(),
    }
    if trainer.device.type == "cuda":
        rng_state["cuda"] = torch.cuda.get_rng_state(trainer.device)
    options = trainer.options
    model = trainer.model
    return {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "arch": options.arch,
        "arch_options": {"width": options.width},
        "size": model.size,
        "has_mask": model.has_mask,
        "encoder": cpu_state(model.encoder.state_dict()),
        **{f"decoder_{s}": cpu_state(model.decoders[s].state_dict()) for s in SIDES},
        "optimizer": trainer.optimizer.state_dict(),
        "scaler": trainer.scaler.state_dict(),
        "iteration": trainer.iteration,
        "train_seconds": trainer.train_seconds,
        "loss_history": list(trainer.loss_history),
        "rng": rng_state,
        "sampler": {
            side: {"order": torch.from_numpy(data.order.copy()), "position": data.position}
            for side, data in trainer.sides.items()
        },
        "train_options": options.to_json(),
        "face_geometry": asdict(trainer.geometry),
        "identities": {"a": options.identity_a, "b": options.identity_b},
        "faces": dict(trainer.faces),
    }


def restore_state(trainer: Trainer, state: Mapping[str, Any]) -> None:
    """Load ``checkpoint_state`` data back into a trainer built on the same folder."""
    trainer.model.encoder.load_state_dict(state["encoder"])
    for side in SIDES:
        trainer.model.decoders[side].load_state_dict(state[f"decoder_{side}"])
    trainer.optimizer.load_state_dict(state["optimizer"])
    if trainer.amp and state.get("scaler"):
        trainer.scaler.load_state_dict(state["scaler"])
    trainer.iteration = int(state["iteration"])
    trainer.train_seconds = float(state.get("train_seconds", 0.0))
    trainer.loss_history = list(state.get("loss_history", []))
    rng = state.get("rng", {})
    if "numpy" in rng:
        trainer.rng.bit_generator.state = rng["numpy"]
    if "torch" in rng:
        torch.set_rng_state(rng["torch"])
    if "cuda" in rng and trainer.device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"], trainer.device)
    for side, sampler in (state.get("sampler") or {}).items():
        data = trainer.sides[side]
        order = sampler["order"].numpy().astype(np.int64)
        if len(order) == data.count:  # same faceset size: continue the epoch
            data.order, data.position = order, int(sampler["position"])


def cpu_state(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A module's state dict detached and on the CPU (a checkpoint loads on any device)."""
    return {key: value.detach().cpu() for key, value in state.items()}

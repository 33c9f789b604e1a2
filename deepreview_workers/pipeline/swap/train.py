"""Train a face-swap model: one shared encoder, one decoder per identity, random warp.

    faces_a = load_faceset_folder("extract/alice", size=faceset_size(options))
    faces_b = load_faceset_folder(["extract/bob1", "extract/bob2"], size=faceset_size(options))
    result = Trainer("models/alice_bob", faces_a, faces_b, options).run(
        progress=report, on_status=show, should_stop=cancel_requested)

Each iteration draws ``batch_size`` faces per identity (an epoch-wise shuffle, so every
face is seen once per pass), augments them on the device (:mod:`.augment`), runs both
identities through the shared encoder in one batch and each decoder on its own half,
and takes one Adam step on ``loss_a + loss_b`` (:mod:`.losses`). On CUDA the forward pass
runs under ``torch.autocast`` (fp16) with a ``GradScaler``; on the CPU in plain fp32.

Run control: ``run`` returns when the iteration target is reached or ``should_stop()``
(asked once per iteration; keep it cheap) turns True; a :class:`Cancelled` raised by the
progress callback also stops it. A checkpoint is written every ``checkpoint_every``
iterations and whenever training stops, so a new ``Trainer`` on the same folder resumes
from the saved iteration with the same weights, optimizer moments, sampler and RNG state.

Status every ``log_every`` iterations: ``on_status(TrainStatus)`` with the iteration,
iterations per second, ETA and the mean losses since the last report, and
``progress(fraction, message)``. The same numbers are appended to
``model_dir/loss_history.jsonl`` (one JSON object a line) for loss charts. A preview grid
is written to ``model_dir/previews/preview_<iteration:07d>.png`` every ``preview_every``
iterations: for each identity, rows of faces showing original | reconstructed | swapped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deepreview_workers.pipeline.device import device_label, resolve_device
from deepreview_workers.pipeline.options.swap import TrainOptions
from deepreview_workers.pipeline.progress import Cancelled, ProgressCallback, no_progress
from deepreview_workers.pipeline.swap.augment import augment_batch, sample_params
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.faceset import Faceset
from deepreview_workers.pipeline.swap.losses import reconstruction_loss
from deepreview_workers.pipeline.swap.models import (
    SIDES,
    SwapModel,
    build_model,
    checkpoint_path,
    has_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from deepreview_workers.pipeline.swap.train_batches import (
    TrainingSide,
    check_faceset,
    faceset_size,
    model_geometry,
)
from deepreview_workers.pipeline.swap.train_checkpoint import (
    check_resumable,
    checkpoint_state,
    load_train_options,
    restore_state,
)
from deepreview_workers.pipeline.swap.train_report import (
    LOSS_HISTORY_NAME,
    PREVIEW_DIR,
    TrainResult,
    TrainStatus,
    append_loss_record,
    preview_grid,
    rewrite_loss_history,
    write_preview,
)


class Trainer:
    """Trains (or resumes) the model in ``model_dir`` on facesets A and B.

    When ``model_dir`` already holds a checkpoint the trainer resumes from it; ``options``
    must then agree on the architecture, width and coverage (``SwapInputError``
    otherwise; ``load_train_options`` reads the saved ones). The other options (learning
    rate, batch size, iteration target, loss settings, device) apply from now on.
    """

    def __init__(
        self,
        model_dir: str | os.PathLike[str],
        faceset_a: Faceset,
        faceset_b: Faceset,
        options: TrainOptions | None = None,
    ) -> None:
        options = options or TrainOptions()
        self.model_dir = Path(model_dir)
        saved = load_checkpoint(self.model_dir) if has_checkpoint(self.model_dir) else None
        if saved is not None:
            check_resumable(self.model_dir, saved, options)
        self.options = options
        self.device = resolve_device(options.device)
        self.amp = (
            self.device.type == "cuda"
            if options.mixed_precision is None
            else bool(options.mixed_precision)
        )
        if self.amp and self.device.type != "cuda":
            raise SwapInputError("mixed precision needs a CUDA device; use fp32 on the CPU")
        for side, faceset in zip(SIDES, (faceset_a, faceset_b), strict=True):
            check_faceset(side, faceset, options.min_faces)
        self.geometry = model_geometry(faceset_a, faceset_b, options.coverage)
        size = faceset_size(options)
        self.sides = {
            side: TrainingSide(faceset, size, options.mask_type, self.device)
            for side, faceset in zip(SIDES, (faceset_a, faceset_b), strict=True)
        }
        self.faces = {"a": len(faceset_a), "b": len(faceset_b)}

        torch.manual_seed(options.seed)  # weight initialisation
        self.model: SwapModel = build_model(options.arch, options.width).to(self.device)
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=options.learning_rate, betas=(0.5, 0.999)
        )
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.rng = np.random.default_rng(options.seed)
        self.iteration = 0
        self.train_seconds = 0.0
        self.loss_history: list[dict[str, Any]] = []
        if saved is not None:
            restore_state(self, saved)
        for group in self.optimizer.param_groups:  # a resumed run may change the rate
            group["lr"] = options.learning_rate
        self._loss_options = options.loss_options()
        self._preview_path: Path | None = None
        self._checkpoint_iteration = self.iteration if saved is not None else -1
        # The JSON-lines file follows the checkpoint (drops lines a crash left after it).
        rewrite_loss_history(self.model_dir, self.loss_history)

    # ---- one iteration -------------------------------------------------------------

    def _batch(self, side: str) -> tuple[torch.Tensor, torch.Tensor]:
        data = self.sides[side]
        options = self.options
        stack = data.stack(data.take(self.rng, options.batch_size))
        params = sample_params(self.rng, len(stack), options.augment)
        batch = augment_batch(stack, params, self.model.size, options.coverage)
        return batch.inputs, batch.targets

    def step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimiser step on a batch of each identity; returns the detached losses."""
        (in_a, target_a), (in_b, target_b) = self._batch("a"), self._batch("b")
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
            # One encoder pass over both identities: a bigger batch keeps the GPU busier.
            latent_a, latent_b = self.model.encode(torch.cat([in_a, in_b])).split(len(in_a))
            out_a = self.model.decode(latent_a, "a")
            out_b = self.model.decode(latent_b, "b")
        losses = [
            reconstruction_loss(
                rgb, target[:, :3], target[:, 3:4], target[:, 4:5], self._loss_options, mask
            )
            for (rgb, mask), target in ((out_a, target_a), (out_b, target_b))
        ]
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(losses[0] + losses[1]).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.iteration += 1
        return losses[0].detach(), losses[1].detach()

    # ---- the loop ------------------------------------------------------------------

    def run(
        self,
        *,
        progress: ProgressCallback = no_progress,
        on_status: Callable[[TrainStatus], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> TrainResult:
        """Train until the iteration target or ``should_stop()``; see the module docstring."""
        options = self.options
        target = options.iterations
        started = time.perf_counter()
        start_iteration = self.iteration
        window_start, window_iteration = started, self.iteration
        rate: float | None = None
        sums = torch.zeros(2, device=self.device)
        count = 0
        outcome = "completed"
        last = (None, None)
        self.model.train()
        progress(min(self.iteration / max(target, 1), 1.0), f"Iteration {self.iteration}")
        try:
            while self.iteration < target:
                loss_a, loss_b = self.step()
                sums += torch.stack([loss_a, loss_b])
                count += 1
                it = self.iteration
                if it % options.log_every == 0 or it == target:
                    means = (sums / count).tolist()  # the one host sync per report
                    sums.zero_()
                    count = 0
                    now = time.perf_counter()
                    self.train_seconds += now - window_start
                    window_rate = (it - window_iteration) / max(now - window_start, 1e-9)
                    rate = window_rate if rate is None else 0.7 * rate + 0.3 * window_rate
                    window_start, window_iteration = now, it
                    last = (means[0], means[1])
                    status = self._record(means, rate)
                    if on_status is not None:
                        on_status(status)
                    progress(min(status.iteration / max(target, 1), 1.0), status.message())
                if it % options.preview_every == 0:
                    self.save_preview()
                if it % options.checkpoint_every == 0:
                    self.save_checkpoint()
                if should_stop is not None and should_stop():
                    outcome = "stopped"
                    break
        except Cancelled:
            self.train_seconds += time.perf_counter() - window_start
            self.save_checkpoint()  # a cancelled run keeps what it learned
            raise
        if count:  # iterations since the last report (a stop between reports)
            now = time.perf_counter()
            self.train_seconds += now - window_start
            window_rate = (self.iteration - window_iteration) / max(now - window_start, 1e-9)
            rate = window_rate if rate is None else 0.7 * rate + 0.3 * window_rate
            means = (sums / count).tolist()
            last = (means[0], means[1])
            status = self._record(means, rate)
            if on_status is not None:
                on_status(status)
            window_start = now
        if self.iteration != self._checkpoint_iteration:
            self.train_seconds += time.perf_counter() - window_start
            self.save_checkpoint()
        if self._preview_path is None or not self._preview_path.stem.endswith(
            f"{self.iteration:07d}"
        ):
            self.save_preview()
        seconds = time.perf_counter() - started
        run = self.iteration - start_iteration
        return TrainResult(
            outcome=outcome,
            iteration=self.iteration,
            iterations_run=run,
            seconds=round(seconds, 3),
            iterations_per_second=round(run / seconds, 3) if seconds > 0 else 0.0,
            loss_a=last[0],
            loss_b=last[1],
            checkpoint_path=checkpoint_path(self.model_dir),
            preview_path=self._preview_path,
            device=device_label(self.device),
        )

    def _record(self, means: list[float], rate: float) -> TrainStatus:
        """Append the losses to the history (memory and ``loss_history.jsonl``)."""
        target = self.options.iterations
        remaining = max(target - self.iteration, 0)
        record = {
            "iteration": self.iteration,
            "loss_a": round(means[0], 6),
            "loss_b": round(means[1], 6),
            "iterations_per_second": round(rate, 3),
            "elapsed_seconds": round(self.train_seconds, 3),
            "time": round(time.time(), 3),
        }
        self.loss_history.append(record)
        append_loss_record(self.model_dir, record)
        return TrainStatus(
            iteration=self.iteration,
            iterations_target=target,
            iterations_per_second=rate,
            eta_seconds=remaining / rate if rate > 0 else None,
            loss_a=means[0],
            loss_b=means[1],
            elapsed_seconds=self.train_seconds,
            preview_path=self._preview_path,
        )

    # ---- previews ------------------------------------------------------------------

    def preview_grid(self) -> np.ndarray:
        """(rows * S, 7 * S + gap, 3) uint8 RGB: per row, for A then for B, the original,
        the reconstruction and the swap (the other decoder), on un-augmented faces."""
        return preview_grid(self.model, self.sides, self.options, self.device, self.amp)

    def save_preview(self) -> Path:
        """Write ``previews/preview_<iteration:07d>.png`` (atomically) and return its path."""
        self._preview_path = write_preview(self.model_dir, self.iteration, self.preview_grid())
        return self._preview_path

    # ---- checkpoints ---------------------------------------------------------------

    def checkpoint_state(self) -> dict[str, Any]:
        """Everything needed to resume exactly, as plain data and tensors (CPU)."""
        return checkpoint_state(self)

    def save_checkpoint(self) -> Path:
        path = save_checkpoint(self.model_dir, self.checkpoint_state())
        self._checkpoint_iteration = self.iteration
        return path


def train(
    model_dir: str | os.PathLike[str],
    faceset_a: Faceset,
    faceset_b: Faceset,
    options: TrainOptions | None = None,
    *,
    progress: ProgressCallback = no_progress,
    on_status: Callable[[TrainStatus], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train (or resume) ``model_dir``: ``Trainer(...).run(...)`` in one call."""
    trainer = Trainer(model_dir, faceset_a, faceset_b, options)
    return trainer.run(progress=progress, on_status=on_status, should_stop=should_stop)


__all__ = [
    "LOSS_HISTORY_NAME",
    "PREVIEW_DIR",
    "TrainOptions",
    "TrainResult",
    "TrainStatus",
    "Trainer",
    "faceset_size",
    "load_train_options",
    "train",
]

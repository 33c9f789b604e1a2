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

import json
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, astuple, dataclass, field, fields
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from deepreview_workers.pipeline.device import device_label, resolve_device
from deepreview_workers.pipeline.masks import maskers
from deepreview_workers.pipeline.progress import Cancelled, ProgressCallback, no_progress
from deepreview_workers.pipeline.swap.augment import (
    AugmentOptions,
    augment_batch,
    identity_params,
    sample_params,
    to_stack,
)
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.faceset import Faceset
from deepreview_workers.pipeline.swap.losses import LossOptions, eye_mouth_mask, reconstruction_loss
from deepreview_workers.pipeline.swap.models import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    SIDES,
    FaceGeometry,
    SwapModel,
    arch_class,
    build_model,
    checkpoint_path,
    has_checkpoint,
    load_checkpoint,
    save_checkpoint,
)

LOSS_HISTORY_NAME = "loss_history.jsonl"
PREVIEW_DIR = "previews"
# Keep the whole faceset on the GPU below this size: no per-batch host->device copies.
_GPU_RESIDENT_BYTES = 2 << 30
# Options that define the network and its input; a resumed model cannot change them.
_MODEL_SHAPING = ("arch", "width", "coverage")
_GEOMETRY_TOLERANCE = 0.02


@dataclass(frozen=True)
class TrainOptions:
    """Everything a training run can be told; the job, the CLI and the bench share it."""

    arch: str = "original"
    width: float = 1.0  # channel multiplier; 1.0 = the architecture's real size
    batch_size: int = 16  # faces per identity per iteration
    learning_rate: float = 5e-5  # faceswap's and DeepFaceLab's default
    iterations: int = 100_000  # stop when the model has trained this many in total
    checkpoint_every: int = 500
    preview_every: int = 500
    log_every: int = 10
    seed: int = 0
    device: str = "auto"
    mixed_precision: bool | None = None  # None = on for CUDA, off on the CPU
    coverage: float = 0.875  # centre fraction of the aligned crop the model sees
    mask_type: str = "extended"  # landmark mask for loss weighting and learned masks
    ssim_weight: float = 0.0
    mask_loss: bool = True
    background_weight: float = 0.1
    eye_mouth_priority: bool = False
    eye_mouth_weight: float = 3.0
    augment: AugmentOptions = field(default_factory=AugmentOptions)
    min_faces: int = 25  # per identity; fewer cannot make a usable swap
    preview_faces: int = 4
    identity_a: str = "a"  # display names, kept in the checkpoint for provenance
    identity_b: str = "b"

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.iterations < 0 or self.learning_rate <= 0:
            raise SwapInputError("batch_size must be >= 1, iterations >= 0, learning_rate > 0")
        if min(self.checkpoint_every, self.preview_every, self.log_every) < 1:
            raise SwapInputError("checkpoint_every, preview_every and log_every must be >= 1")
        if not 0.5 <= self.coverage <= 1.0:
            raise SwapInputError(f"coverage must be in [0.5, 1], got {self.coverage}")
        if self.mask_type not in maskers.names():
            raise SwapInputError(
                f"unknown mask type {self.mask_type!r}; choose one of {', '.join(maskers.names())}"
            )
        arch_class(self.arch)  # unknown architecture: fail before any work

    def loss_options(self) -> LossOptions:
        return LossOptions(
            ssim_weight=self.ssim_weight,
            mask_loss=self.mask_loss,
            background_weight=self.background_weight,
            eye_mouth_priority=self.eye_mouth_priority,
            eye_mouth_weight=self.eye_mouth_weight,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrainOptions:
        """Inverse of ``to_json``; unknown keys (from a newer version) are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("augment"), Mapping):
            augment_known = {f.name for f in fields(AugmentOptions)}
            values["augment"] = AugmentOptions(
                **{k: v for k, v in values["augment"].items() if k in augment_known}
            )
        return cls(**values)


def faceset_size(options: TrainOptions) -> int:
    """Crop side to load facesets at: the model input is the centre ``coverage`` of it."""
    return math.ceil(arch_class(options.arch).size / options.coverage)


def load_train_options(model_dir: str | os.PathLike[str]) -> TrainOptions:
    """The options a model folder was trained with (to resume without restating them)."""
    return TrainOptions.from_json(load_checkpoint(model_dir)["train_options"])


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


class _Side:
    """One identity's training pixels: (N, W, W, 5) uint8 = RGB, face mask, eye/mouth mask."""

    def __init__(self, faceset: Faceset, size: int, mask_type: str, device: torch.device) -> None:
        faceset = faceset.resized(size)
        masker = maskers.create(mask_type)
        face = np.stack([masker.make(points, size) for points in faceset.landmarks])
        features = np.stack([eye_mouth_mask(points, size) for points in faceset.landmarks])
        pixels = np.concatenate([faceset.images, face[..., None], features[..., None]], axis=-1)
        self.count = len(pixels)
        self.device = device
        self.pixels = torch.from_numpy(np.ascontiguousarray(pixels))
        if device.type == "cuda" and self.pixels.nbytes <= _GPU_RESIDENT_BYTES:
            self.pixels = self.pixels.to(device)
        self.order = np.zeros(0, np.int64)
        self.position = 0

    def take(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """The next ``n`` indices of an epoch-wise shuffle (reshuffled when used up)."""
        picked: list[np.ndarray] = []
        while n > 0:
            if self.position >= len(self.order):
                self.order = rng.permutation(self.count)
                self.position = 0
            chunk = self.order[self.position : self.position + n]
            self.position += len(chunk)
            n -= len(chunk)
            picked.append(chunk)
        return np.concatenate(picked)

    def stack(self, indices: np.ndarray) -> torch.Tensor:
        """(n, 5, W, W) float in [0, 1] on the training device."""
        index = torch.from_numpy(indices)
        if self.pixels.device.type == "cuda":
            return self.pixels[index.to(self.device)].permute(0, 3, 1, 2).float().div_(255.0)
        return to_stack(self.pixels[index], self.device)


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
            _check_resumable(self.model_dir, saved, options)
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
            _check_faceset(side, faceset, options.min_faces)
        self.geometry = _model_geometry(faceset_a, faceset_b, options.coverage)
        size = faceset_size(options)
        self.sides = {
            side: _Side(faceset, size, options.mask_type, self.device)
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
            self._restore(saved)
        for group in self.optimizer.param_groups:  # a resumed run may change the rate
            group["lr"] = options.learning_rate
        self._loss_options = options.loss_options()
        self._preview_path: Path | None = None
        self._checkpoint_iteration = self.iteration if saved is not None else -1
        self._rewrite_loss_history()

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
        with open(self.model_dir / LOSS_HISTORY_NAME, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
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

    @torch.no_grad()
    def preview_grid(self) -> np.ndarray:
        """(rows * S, 7 * S + gap, 3) uint8 RGB: per row, for A then for B, the original,
        the reconstruction and the swap (the other decoder), on un-augmented faces."""
        size = self.model.size
        halves = []
        was_training = self.model.training
        self.model.eval()
        try:
            for side, other in (("a", "b"), ("b", "a")):
                data = self.sides[side]
                k = min(self.options.preview_faces, data.count)
                indices = np.linspace(0, data.count - 1, k).round().astype(np.int64)
                stack = data.stack(indices)
                faces = augment_batch(stack, identity_params(k), size, self.options.coverage)
                original = faces.targets[:, :3]
                with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
                    latent = self.model.encode(original)
                    recon = self.model.decode(latent, side)[0]
                    swapped = self.model.decode(latent, other)[0]
                columns = [original, recon.float(), swapped.float()]
                tiles = torch.cat(columns, dim=3)  # (k, 3, S, 3S)
                halves.append(tiles.permute(0, 2, 3, 1).reshape(-1, 3 * size, 3).cpu().numpy())
        finally:
            self.model.train(was_training)
        rows = max(len(h) for h in halves)
        halves = [np.pad(h, ((0, rows - len(h)), (0, 0), (0, 0))) for h in halves]
        gap = np.ones((rows, max(size // 8, 2), 3), np.float32)
        grid = np.concatenate([halves[0], gap, halves[1]], axis=1)
        return (grid * 255).round().clip(0, 255).astype(np.uint8)

    def save_preview(self) -> Path:
        """Write ``previews/preview_<iteration:07d>.png`` (atomically) and return its path."""
        folder = self.model_dir / PREVIEW_DIR
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"preview_{self.iteration:07d}.png"
        ok, data = cv2.imencode(".png", cv2.cvtColor(self.preview_grid(), cv2.COLOR_RGB2BGR))
        if not ok:
            raise RuntimeError("could not encode the preview grid as PNG")
        temp = path.with_name(f".{path.name}.tmp")
        temp.write_bytes(data.tobytes())
        os.replace(temp, path)
        self._preview_path = path
        return path

    # ---- checkpoints ---------------------------------------------------------------

    def checkpoint_state(self) -> dict[str, Any]:
        """Everything needed to resume exactly, as plain data and tensors (CPU)."""
        rng_state = {
            "numpy": self.rng.bit_generator.state,
            "torch": torch.get_rng_state(),
        }
        if self.device.type == "cuda":
            rng_state["cuda"] = torch.cuda.get_rng_state(self.device)
        options = self.options
        return {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "arch": options.arch,
            "arch_options": {"width": options.width},
            "size": self.model.size,
            "has_mask": self.model.has_mask,
            "encoder": _cpu_state(self.model.encoder.state_dict()),
            **{f"decoder_{s}": _cpu_state(self.model.decoders[s].state_dict()) for s in SIDES},
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "iteration": self.iteration,
            "train_seconds": self.train_seconds,
            "loss_history": list(self.loss_history),
            "rng": rng_state,
            "sampler": {
                side: {"order": torch.from_numpy(data.order.copy()), "position": data.position}
                for side, data in self.sides.items()
            },
            "train_options": options.to_json(),
            "face_geometry": asdict(self.geometry),
            "identities": {"a": options.identity_a, "b": options.identity_b},
            "faces": dict(self.faces),
        }

    def save_checkpoint(self) -> Path:
        path = save_checkpoint(self.model_dir, self.checkpoint_state())
        self._checkpoint_iteration = self.iteration
        return path

    def _restore(self, state: Mapping[str, Any]) -> None:
        self.model.encoder.load_state_dict(state["encoder"])
        for side in SIDES:
            self.model.decoders[side].load_state_dict(state[f"decoder_{side}"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.amp and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.iteration = int(state["iteration"])
        self.train_seconds = float(state.get("train_seconds", 0.0))
        self.loss_history = list(state.get("loss_history", []))
        rng = state.get("rng", {})
        if "numpy" in rng:
            self.rng.bit_generator.state = rng["numpy"]
        if "torch" in rng:
            torch.set_rng_state(rng["torch"])
        if "cuda" in rng and self.device.type == "cuda":
            torch.cuda.set_rng_state(rng["cuda"], self.device)
        for side, sampler in (state.get("sampler") or {}).items():
            data = self.sides[side]
            order = sampler["order"].numpy().astype(np.int64)
            if len(order) == data.count:  # same faceset size: continue the epoch
                data.order, data.position = order, int(sampler["position"])

    def _rewrite_loss_history(self) -> None:
        """Make the JSON-lines file match the checkpoint (drops lines a crash left after it)."""
        self.model_dir.mkdir(parents=True, exist_ok=True)
        path = self.model_dir / LOSS_HISTORY_NAME
        temp = path.with_name(f".{path.name}.tmp")
        temp.write_text("".join(json.dumps(r) + "\n" for r in self.loss_history), "utf-8")
        os.replace(temp, path)


def _cpu_state(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {key: value.detach().cpu() for key, value in state.items()}


def _check_faceset(side: str, faceset: Faceset, minimum: int) -> None:
    name = f"faceset {side.upper()}" + (f" ({faceset.label})" if faceset.label else "")
    if len(faceset) < minimum:
        found = "no faces" if not len(faceset) else f"only {len(faceset)} face(s)"
        raise SwapInputError(
            f"{name} has {found}; training needs at least {minimum} faces per identity "
            "(extract more frames or add more media)"
        )


def _model_geometry(faceset_a: Faceset, faceset_b: Faceset, coverage: float) -> FaceGeometry:
    """Where the mean face sits in the model input: the crops' geometry over ``coverage``."""
    geometry_a, geometry_b = faceset_a.geometry(), faceset_b.geometry()
    both = np.array([astuple(geometry_a), astuple(geometry_b)])
    if np.abs(both[0] - both[1]).max() > _GEOMETRY_TOLERANCE:
        raise SwapInputError(
            "facesets A and B were aligned with different framing (mean-face coverage "
            f"{geometry_a.coverage:.3f} vs {geometry_b.coverage:.3f}); extract both with "
            "the same crop settings"
        )
    face_coverage, x_offset, y_offset = both.mean(axis=0)
    if face_coverage / coverage > 1.0 + 1e-6:
        raise SwapInputError(
            f"coverage {coverage} would cut into the face (the faces span "
            f"{face_coverage:.3f} of their crops); use a coverage of at least "
            f"{math.ceil(face_coverage * 1000) / 1000}"
        )
    # The centre crop keeps the centre fixed, so every fraction grows by 1 / coverage.
    return FaceGeometry(
        float(face_coverage / coverage), float(x_offset / coverage), float(y_offset / coverage)
    )


def _check_resumable(model_dir: Path, saved: Mapping[str, Any], options: TrainOptions) -> None:
    before = TrainOptions.from_json(saved.get("train_options", {}))
    changed = [
        f"{name} {getattr(before, name)!r} -> {getattr(options, name)!r}"
        for name in _MODEL_SHAPING
        if getattr(before, name) != getattr(options, name)
    ]
    if changed:
        raise SwapInputError(
            f"{model_dir} holds a model trained with other settings ({'; '.join(changed)}); "
            "resume with the saved settings (load_train_options) or use a new folder"
        )


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

"""Training a map-head detector on real faces and their self-blended fakes.

    bank = RealFaceBank.load("faces.npz")             # realfaces.collect_real_faces
    result = train_self_blend(bank, "detector.pt", SelfBlendTrainOptions(steps=1500))

Every batch is half real faces and half self-blended fakes made on the fly from other
real faces (:mod:`~deepreview_workers.pipeline.detection.selfblend`); both halves get the
same photometric and compression augmentations, so only the blend tells them apart.
The loss is binary cross-entropy on the face logit plus, weighted by ``map_weight``, on
the manipulation map against the blend mask pooled to the map's size (zeros for reals).
``extra_fakes`` (face crops with ground-truth masks, e.g. the project's own conversions)
join the fakes. With ``workers`` > 0, batches are made in that many processes (a GPU
otherwise waits on the CPU's blending); each worker draws from its own seeded generator.
The split is by identity (``bank.groups``), so no person's faces are on
both sides. Validation (fixed, seeded fakes of the validation faces) picks the best
step; a Platt scaling fitted there makes the score a calibrated probability.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from deepreview_workers.pipeline.detection.calibration import (
    apply_calibration,
    fit_platt,
    video_false_positive_rate,
)
from deepreview_workers.pipeline.detection.checkpoint import save_checkpoint
from deepreview_workers.pipeline.detection.metrics import binary_metrics
from deepreview_workers.pipeline.detection.models import (
    CROP_MARGIN,
    MAP_SIZE,
    detector_models,
    freeze_early_layers,
    to_tensor,
)
from deepreview_workers.pipeline.detection.realfaces import RealFaceBank
from deepreview_workers.pipeline.detection.selfblend import (
    cross_blend,
    landmark_donors,
    self_blend,
    warp_blend,
)
from deepreview_workers.pipeline.device import channels_last, resolve_device
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress


@dataclass(frozen=True)
class SelfBlendTrainOptions:
    arch: str = "efficientnet_lite0"
    steps: int = 1500
    batch_size: int = 16
    lr: float = 3e-4
    weight_decay: float = 1e-4
    warmup_steps: int = 50
    map_weight: float = 1.0
    freeze_stages: int = 2  # the stem and the first N stages keep their ImageNet weights
    val_fraction: float = 0.2
    val_every: int = 250
    seed: int = 0
    device: str = "auto"
    time_limit_s: float = 0.0  # stop (keeping the best step) after this long; 0: no limit
    stop_at: int = 0  # stop after this step (the schedule still spans ``steps``); 0: none
    workers: int = 0  # processes making batches; 0: the training loop makes them itself
    cross_blend: float = 0.0  # share of fakes blending in another person's face (Face X-ray)
    warp_blend: float = 0.0  # share of fakes blending in a warped, re-rendered copy


@dataclass
class TrainResult:
    path: Path
    best_step: int
    val: dict[str, Any]
    calibration: dict[str, float]
    history: list[dict[str, Any]]
    seconds: float


def split_groups(groups: np.ndarray, val_fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of validation faces: whole identities, about ``val_fraction`` of faces."""
    rng = np.random.default_rng(seed)
    names = np.unique(groups)
    rng.shuffle(names)
    counts = {name: int((groups == name).sum()) for name in names}
    target, chosen, total = val_fraction * len(groups), set(), 0
    for name in names:
        if total >= target:
            break
        chosen.add(name)
        total += counts[name]
    return np.isin(groups, list(chosen))


def _augment(rgb: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple:
    """Flip, a slight re-framing, blur and JPEG compression, the same for reals and fakes."""
    if rng.random() < 0.5:
        rgb, mask = rgb[:, ::-1], mask[:, ::-1]
    size = rgb.shape[0]
    scale = rng.uniform(0.9, 1.1)
    dx, dy = rng.uniform(-0.04, 0.04, size=2) * size
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), rng.uniform(-8, 8), scale)
    matrix[:, 2] += (dx, dy)
    rgb = cv2.warpAffine(
        np.ascontiguousarray(rgb), matrix, (size, size), borderMode=cv2.BORDER_REFLECT101
    )
    mask = cv2.warpAffine(np.ascontiguousarray(mask), matrix, (size, size))
    if rng.random() < 0.2:
        rgb = cv2.GaussianBlur(rgb, (0, 0), rng.uniform(0.3, 1.2))
    if rng.random() < 0.7:
        ok, data = cv2.imencode(
            ".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 96))]
        )
        rgb = cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(rgb), mask


def _map_target(masks: list[np.ndarray]) -> torch.Tensor:
    pooled = [cv2.resize(m, (MAP_SIZE, MAP_SIZE), interpolation=cv2.INTER_AREA) for m in masks]
    return torch.from_numpy(np.stack(pooled).astype(np.float32))


def make_batch(
    bank: RealFaceBank,
    indices: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
    extra_fakes: tuple[np.ndarray, np.ndarray] | None = None,
    augment: bool = True,
    donors: np.ndarray | None = None,
    cross_fraction: float = 0.0,
    warp_fraction: float = 0.0,
) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
    """Crops, labels (0 real, 1 fake) and masks for one batch: half real, half fake.
    Of the blended fakes, ``cross_fraction`` take a donor face from ``donors``
    (:func:`~deepreview_workers.pipeline.detection.selfblend.landmark_donors`) and
    ``warp_fraction`` of the rest a warped copy of their own (``warp_blend``)."""
    crops, labels, masks = [], [], []
    blank = np.zeros(bank.crops.shape[1:3], np.float32)
    for slot in range(batch_size):
        index = int(rng.choice(indices))
        if slot % 2 == 0:
            rgb, mask, label = bank.crops[index], blank, 0.0
        elif extra_fakes is not None and len(extra_fakes[0]) and rng.random() < 0.3:
            pick = int(rng.integers(len(extra_fakes[0])))
            rgb, mask, label = extra_fakes[0][pick], extra_fakes[1][pick], 1.0
        elif donors is not None and rng.random() < cross_fraction and donors[index, 0] >= 0:
            candidates = donors[index][donors[index] >= 0]
            donor = int(candidates[rng.integers(len(candidates))])
            rgb, mask = cross_blend(
                bank.crops[index],
                bank.landmarks[index],
                bank.crops[donor],
                bank.landmarks[donor],
                rng,
            )
            label = 1.0
        elif warp_fraction > 0 and rng.random() < warp_fraction:
            rgb, mask = warp_blend(bank.crops[index], bank.landmarks[index], rng)
            label = 1.0
        else:
            rgb, mask = self_blend(bank.crops[index], bank.landmarks[index], rng)
            label = 1.0
        if augment:
            rgb, mask = _augment(rgb, mask, rng)
        crops.append(rgb)
        labels.append(label)
        masks.append(mask)
    return crops, np.asarray(labels, np.float32), masks


class SelfBlendBatches(torch.utils.data.IterableDataset):
    """An endless stream of training batches ``(x, labels, map targets)`` as tensors.

    In a DataLoader worker the generator is seeded with ``[seed, worker id]``, so workers
    make different batches; in the training process itself it is ``seed`` alone.
    """

    def __init__(
        self,
        bank: RealFaceBank,
        indices: np.ndarray,
        batch_size: int,
        seed: int,
        size: int,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        extra_fakes: tuple[np.ndarray, np.ndarray] | None = None,
        cross_fraction: float = 0.0,
        warp_fraction: float = 0.0,
    ) -> None:
        self.bank, self.indices, self.batch_size, self.seed = bank, indices, batch_size, seed
        self.size, self.mean, self.std, self.extra_fakes = size, mean, std, extra_fakes
        self.cross_fraction, self.warp_fraction = cross_fraction, warp_fraction
        # Donors are other training people only, so validation faces never leak in.
        self.donors = (
            landmark_donors(bank.landmarks, bank.groups, indices) if cross_fraction > 0 else None
        )

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        worker = torch.utils.data.get_worker_info()
        rng = np.random.default_rng(self.seed if worker is None else [self.seed, worker.id])
        while True:
            crops, labels, masks = make_batch(
                self.bank,
                self.indices,
                self.batch_size,
                rng,
                self.extra_fakes,
                donors=self.donors,
                cross_fraction=self.cross_fraction,
                warp_fraction=self.warp_fraction,
            )
            x = to_tensor(crops, self.size, self.mean, self.std)
            yield x, torch.from_numpy(labels), _map_target(masks)

    def share_memory(self) -> None:
        """Put the arrays workers read in shared memory. A spawned worker otherwise reads its
        own pickled copy (~110 MB) through a pipe, after its imports, one worker after
        another: 14 workers took over a minute to start."""
        arrays = {"crops": self.bank.crops, "landmarks": self.bank.landmarks}
        if self.extra_fakes is not None:
            arrays |= {"extra_crops": self.extra_fakes[0], "extra_masks": self.extra_fakes[1]}
        self.shared = {
            k: torch.from_numpy(np.ascontiguousarray(v)).share_memory_() for k, v in arrays.items()
        }
        self._use_shared()

    def _use_shared(self) -> None:
        """Point the bank (and extra fakes) at the shared tensors' memory."""
        views = {k: v.numpy() for k, v in self.shared.items()}
        unnamed = np.full(len(views["crops"]), "", dtype=object)  # batches need no names
        self.bank = RealFaceBank(views["crops"], views["landmarks"], unnamed, unnamed)
        if "extra_crops" in views:
            self.extra_fakes = (views["extra_crops"], views["extra_masks"])

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if "shared" in state:  # the tensors travel as shared-memory handles
            state["bank"] = state["extra_fakes"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "shared" in state:
            self._use_shared()


def _single_threaded_opencv(_worker_id: int) -> None:
    cv2.setNumThreads(1)  # one process per core already


def training_batches(
    stream: SelfBlendBatches, workers: int, pin_memory: bool
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    if workers <= 0:
        return iter(stream)
    stream.share_memory()
    loader = torch.utils.data.DataLoader(
        stream,
        batch_size=None,
        num_workers=workers,
        pin_memory=pin_memory,
        prefetch_factor=4,
        worker_init_fn=_single_threaded_opencv,
        # Forked workers deadlock in OpenCV's thread pool once the parent has used it.
        multiprocessing_context="spawn",
    )
    return iter(loader)


def _validation_set(bank: RealFaceBank, seed: int) -> tuple:
    """Every validation face as a real and as one fixed self-blended fake (JPEG 85)."""
    rng = np.random.default_rng(seed + 1)
    crops, labels, groups = [], [], []
    for index in range(len(bank)):
        fake, _mask = self_blend(bank.crops[index], bank.landmarks[index], rng)
        for rgb, label in ((bank.crops[index], 0.0), (fake, 1.0)):
            ok, data = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
            crops.append(cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].copy())
            labels.append(label)
            groups.append(f"{bank.sources[index]}|{label:.0f}")
    return crops, np.asarray(labels), np.asarray(groups)


@torch.inference_mode()
def _logits(
    model: nn.Module, crops: list[np.ndarray], size: int, device: torch.device
) -> np.ndarray:
    model.eval()
    out = []
    for start in range(0, len(crops), 64):
        batch = to_tensor(crops[start : start + 64], size, model.input_mean, model.input_std)
        out.append(model(batch.to(device)).float().cpu().numpy())
    return np.concatenate(out)


def train_self_blend(
    bank: RealFaceBank,
    out: str | Path,
    options: SelfBlendTrainOptions | None = None,
    *,
    extra_fakes: tuple[np.ndarray, np.ndarray] | None = None,
    init_state: dict[str, torch.Tensor] | None = None,
    progress: ProgressCallback = no_progress,
) -> TrainResult:
    """Train, validate, calibrate and save a detector checkpoint (module docstring)."""
    o = options or SelfBlendTrainOptions()
    started = time.monotonic()
    torch.manual_seed(o.seed)
    device = resolve_device(o.device)
    is_val = split_groups(bank.groups, o.val_fraction, o.seed)
    train_idx = np.flatnonzero(~is_val)
    val_bank = bank.subset(is_val)
    val_crops, val_labels, val_groups = _validation_set(val_bank, o.seed)

    model = detector_models.create(o.arch)
    if init_state is not None:  # fine-tuning starts from a trained detector
        model.load_state_dict(init_state)
    size = int(model.default_input_size)
    frozen = freeze_early_layers(model, o.freeze_stages)
    channels_last(model.to(device))  # ~1.8x faster training steps on the CPU
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=o.lr, weight_decay=o.weight_decay)

    def lr_at(step: int) -> float:
        if step < o.warmup_steps:
            return (step + 1) / o.warmup_steps
        done = (step - o.warmup_steps) / max(o.steps - o.warmup_steps, 1)
        return 0.5 * (1 + math.cos(math.pi * done))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lr_at)
    bce = nn.BCEWithLogitsLoss()
    best: dict[str, Any] = {"auc": -1.0}
    history: list[dict[str, Any]] = []
    running = []
    step = 0
    stream = SelfBlendBatches(
        bank,
        train_idx,
        o.batch_size,
        o.seed,
        size,
        model.input_mean,
        model.input_std,
        extra_fakes,
        o.cross_blend,
        o.warp_blend,
    )
    batches = training_batches(stream, o.workers, pin_memory=device.type == "cuda")
    for step in range(1, o.steps + 1):
        model.train()
        for module in frozen:
            module.eval()  # frozen batch norms keep their ImageNet statistics
        x, y, target = (t.to(device, non_blocking=True) for t in next(batches))
        logits, maps = model.forward_with_map(x)
        loss = bce(logits, y) + o.map_weight * bce(maps, target)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        scheduler.step()
        running.append(float(loss.detach()))
        out_of_time = (o.time_limit_s and time.monotonic() - started > o.time_limit_s) or (
            o.stop_at and step >= o.stop_at
        )
        if step % o.val_every == 0 or step == o.steps or out_of_time:
            val_logits = _logits(model, val_crops, size, device)
            metrics = asdict(binary_metrics(val_labels, 1 / (1 + np.exp(-val_logits))))
            entry = {
                "step": step,
                "train_loss": float(np.mean(running)),
                "val": metrics,
                "seconds": round(time.monotonic() - started, 1),
            }
            history.append(entry)
            running = []
            if metrics["auc"] is not None and metrics["auc"] > best["auc"]:
                best = {
                    "auc": metrics["auc"],
                    "step": step,
                    "logits": val_logits,
                    "state": copy.deepcopy(model.state_dict()),
                }
            progress(step / o.steps, f"Step {step}: val AUC {metrics['auc']:.3f}")
        if out_of_time:
            break

    model.load_state_dict(best["state"])
    calibration = fit_platt(best["logits"], val_labels)
    raw = 1 / (1 + np.exp(-best["logits"]))
    calibrated = apply_calibration(best["logits"], calibration)
    val = {
        "faces": asdict(binary_metrics(val_labels, calibrated)),
        "log_loss_uncalibrated": binary_metrics(val_labels, raw).log_loss,
        "real_videos": video_false_positive_rate(calibrated, val_labels, val_groups, 0.5),
        "identities": int(len(np.unique(val_bank.groups))),
    }
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    path = save_checkpoint(
        out,
        {
            "arch": o.arch,
            "input_size": size,
            "crop_margin": CROP_MARGIN,
            "mean": list(model.input_mean),
            "std": list(model.input_std),
            "build": {"pretrained": False},
            "state_dict": half,
            "threshold": 0.5,
            "calibration": calibration,
            "threshold_fpr": val["real_videos"]["false_positive_rate"],
            "best_epoch": best["step"],
            "epochs_done": step,
            "history": [{**h, "epoch": h["step"]} for h in history],
            "train_options": asdict(o),
            "validation": val,
            "dataset": {
                "faces": len(bank),
                "train_faces": len(train_idx),
                "val_faces": int(is_val.sum()),
                "identities": int(len(np.unique(bank.groups))),
            },
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    return TrainResult(
        path, best["step"], val, calibration, history, round(time.monotonic() - started, 1)
    )

"""Train a fake detector on a labeled face set: a pure function, wrapped by a job later.

    result = train_detector("DATA/", "detector.pt", TrainOptions(arch="meso4", epochs=10),
                            progress=report)
    detector = LoadedDetector.load(result.checkpoint)

What it does, in order:

1. Reads the set (:func:`~deepreview_workers.pipeline.detection.dataset.load_face_set`) and splits
   it by identity, seeded
   (:func:`~deepreview_workers.pipeline.detection.dataset.split_by_identity`);
   a dataset export keeps its own train and validation splits instead
   (:func:`~deepreview_workers.pipeline.detection.dataset.export_split`).
   A set with no faces, one class, or too few identities is refused with
   :class:`~deepreview_workers.pipeline.detection.dataset.TrainingDataError` (a ``ValueError``).
2. Finds 68 landmarks on each crop (dlib, from the face box the crop's margin implies)
   unless the set lists them, for the part-dropping augmentation.
3. Trains with balanced classes (a weighted sampler that draws real and fake equally
   often, or class weights in the loss), AdamW and a cosine (or constant) learning rate,
   augmenting every training crop (:mod:`~deepreview_workers.pipeline.detection.augment`).
   Self-blends of the training reals (:mod:`~deepreview_workers.pipeline.detection.selfblend`,
   made afresh at every draw, their blend mask the map's target) join the set's own
   fakes as ``self_blend`` of the fake draws, as in the built-in detector's recipe; a
   pretrained EfficientNet keeps its stem and first ``freeze_stages`` stages. Both keep
   a detector fine-tuned on a project's few fakes from forgetting what the built-in
   learnt about other tools' fakes.
4. After each epoch scores the validation faces and records AUC, log loss, accuracy at
   0.5, equal error rate and its threshold; the epoch with the lowest validation log
   loss is the best. Platt scaling fitted on the best epoch's validation faces makes the
   score a probability (:mod:`~deepreview_workers.pipeline.detection.calibration`); the
   threshold is the equal-error point of the calibrated scores (halfway to the next
   lower score, for a margin on both sides), and the share of
   validation real videos it flags is stored with it. The checkpoint (best weights,
   calibration, the full history, options, the threshold) is rewritten atomically after
   every epoch, so a cancelled run leaves the best model so far on disk.

Progress goes to ``progress(fraction, message)`` after every batch; raising
:class:`~deepreview_workers.pipeline.progress.Cancelled` from it stops training at once.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from deepreview_workers.pipeline.detection.augment import AugmentOptions, augment_with_mask
from deepreview_workers.pipeline.detection.builtin import builtin_arch, builtin_state_dict
from deepreview_workers.pipeline.detection.calibration import (
    apply_calibration,
    decision_threshold,
    fit_platt,
    video_false_positive_rate,
)
from deepreview_workers.pipeline.detection.checkpoint import save_checkpoint
from deepreview_workers.pipeline.detection.dataset import (
    FaceSet,
    LabeledFace,
    Split,
    TrainingDataError,
    export_split,
    load_face_set,
    split_by_identity,
)
from deepreview_workers.pipeline.detection.metrics import binary_metrics, log_loss
from deepreview_workers.pipeline.detection.models import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    MAP_SIZE,
    EfficientNetLite,
    detector_models,
    freeze_early_layers,
    to_tensor,
)
from deepreview_workers.pipeline.detection.selfblend import self_blend
from deepreview_workers.pipeline.device import channels_last, device_label, resolve_device
from deepreview_workers.pipeline.options.detection import TrainOptions
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress

# The learning rate when none is given, by starting point: random weights; ImageNet's
# (the built-in recipe's rate); the built-in detector's, where 1e-3 overwrote what it
# knew of other tools' fakes in a few epochs (bench/detect_maps.py --fine-tune).
SCRATCH_LR, IMAGENET_LR, BUILTIN_LR = 1e-3, 3e-4, 1e-4


@dataclass(frozen=True)
class TrainResult:
    checkpoint: Path
    history: tuple[dict, ...]
    best_epoch: int
    threshold: float
    dataset: dict
    split: dict
    seconds: float
    device: str
    stopped_early: bool
    #: Per validation face, in split order, then its self-blends (path ending in
    #: ``#self-blend``): (path, label, calibrated score at the best epoch).
    validation: tuple[tuple[str, int, float], ...] = ()
    #: Platt scaling fitted on the validation faces (None: left uncalibrated).
    calibration: dict[str, Any] | None = None
    #: The kept epoch's validation scored with the calibration, as the checkpoint keeps
    #: it: ``faces`` (metrics at the threshold), ``log_loss_uncalibrated`` and
    #: ``real_videos`` (how many, the share the threshold flags).
    calibrated_val: dict = field(default_factory=dict)

    @property
    def threshold_fpr(self) -> float | None:
        """Share of validation real videos the threshold flags."""
        return (self.calibrated_val.get("real_videos") or {}).get("false_positive_rate")

    def calibration_report(self) -> dict[str, Any]:
        """What the detector's page says of its calibration and threshold."""
        return {
            "calibration": self.calibration,
            "threshold_fpr": self.threshold_fpr,
            "log_loss": (self.calibrated_val.get("faces") or {}).get("log_loss"),
            "log_loss_uncalibrated": self.calibrated_val.get("log_loss_uncalibrated"),
            "real_videos": (self.calibrated_val.get("real_videos") or {}).get("videos"),
        }

    @property
    def best(self) -> dict:
        return next(h for h in self.history if h["epoch"] == self.best_epoch)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the per-face validation scores)."""
        return {
            "checkpoint": str(self.checkpoint),
            "history": list(self.history),
            "best_epoch": self.best_epoch,
            "threshold": self.threshold,
            "dataset": self.dataset,
            "split": self.split,
            "seconds": self.seconds,
            "device": self.device,
            "stopped_early": self.stopped_early,
            **self.calibration_report(),
        }


def read_crop(path: Path, size: int) -> np.ndarray:
    """A face crop file as (size, size, 3) uint8 RGB."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise TrainingDataError(f"{path} is not a readable image")
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if image.shape[:2] != (size, size):
        shrink = max(image.shape[:2]) > size
        image = cv2.resize(
            image, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
        )
    return image


class _Crops:
    """Decoded, resized crops with a memory budget (a big set is re-read from disk)."""

    def __init__(self, faces: Sequence[LabeledFace], size: int, budget_mb: int) -> None:
        self.faces = faces
        self.size = size
        self.budget = budget_mb * 1024 * 1024
        self.used = 0
        self.cache: dict[int, np.ndarray] = {}

    def __getitem__(self, index: int) -> np.ndarray:
        crop = self.cache.get(index)
        if crop is None:
            crop = read_crop(self.faces[index].path, self.size)
            if self.used + crop.nbytes <= self.budget:
                self.cache[index] = crop
                self.used += crop.nbytes
        return crop


def crop_landmarks(
    faces: Sequence[LabeledFace],
    crops: _Crops,
    size: int,
    margin: float,
    mode: str,
    progress: ProgressCallback = no_progress,
) -> list[np.ndarray | None]:
    """(68, 2) landmarks per face in ``size``-pixel crop coordinates, or None.

    Landmarks listed in the set are scaled to ``size``; otherwise (mode ``auto``) dlib
    places them inside the face box the crop's margin implies (the crop is the box grown
    by ``margin`` a side, squared, so the box is its central 1 / (1 + 2 margin))."""
    out: list[np.ndarray | None] = [None] * len(faces)
    landmarker = None
    if mode == "auto" and any(face.landmarks is None for face in faces):
        try:
            from deepreview_workers.pipeline.landmarks import landmarkers

            landmarker = landmarkers.create("dlib68")
        except (ImportError, FileNotFoundError):
            landmarker = None  # without dlib the augmentation falls back to random erase
    inner = size / (1.0 + 2.0 * margin)
    box = ((size - inner) / 2, (size - inner) / 2, (size + inner) / 2, (size + inner) / 2)
    for i, face in enumerate(faces):
        if i % 256 == 0:  # a big set takes a while; let a cancel through
            progress(0.0, f"Landmarks of face {i + 1} of {len(faces)}")
        if face.landmarks is not None:
            original = cv2.imread(str(face.path), cv2.IMREAD_UNCHANGED)
            scale = size / max(original.shape[:2]) if original is not None else 1.0
            out[i] = face.landmarks.astype(np.float32) * scale
        elif landmarker is not None:
            out[i] = landmarker.predict(crops[i], [box])[0]
    return out


_NOTHING_ALTERED = np.zeros((MAP_SIZE, MAP_SIZE), np.float32)
_NOTHING_ALTERED.flags.writeable = False  # one array shared by every face without a mask


def read_map_target(path: Path | None) -> np.ndarray:
    """A ground-truth mask crop pooled to the map's grid, in [0, 1]; zeros for None."""
    if path is None:
        return _NOTHING_ALTERED
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise TrainingDataError(f"{path} is not a readable mask image")
    pooled = cv2.resize(mask, (MAP_SIZE, MAP_SIZE), interpolation=cv2.INTER_AREA)
    return pooled.astype(np.float32) / 255


def self_blend_sources(
    indices: Sequence[int], faces: Sequence[LabeledFace], landmarks: list[np.ndarray | None]
) -> list[int]:
    """The real faces among ``indices`` that can be self-blended (they have landmarks)."""
    return [i for i in indices if faces[i].label == 0 and landmarks[i] is not None]


def has_fakes(indices: Sequence[int], faces: Sequence[LabeledFace]) -> bool:
    return any(faces[i].label == 1 for i in indices)


def sample_weights(labels: np.ndarray, blended: int, self_blend: float) -> np.ndarray:
    """Draw weights for ``labels`` (0/1) followed by ``blended`` self-blended fakes: reals
    and fakes are drawn equally often, and self-blends take ``self_blend`` of the fake
    draws (all of them when the set has no fakes of its own)."""
    counts = np.bincount(labels, minlength=2).astype(np.float64)
    if not blended:
        own_share = 1.0
    elif counts[1]:
        own_share = 1.0 - self_blend
    else:
        own_share = 0.0
    weights = np.where(labels == 0, 1.0 / max(counts[0], 1), own_share / max(counts[1], 1))
    blend_weight = (1.0 - own_share) / blended if blended else 0.0
    return np.concatenate([weights, np.full(blended, blend_weight)])


class _FaceDataset(Dataset):
    """The split's faces, then self-blended copies of ``blend_sources``: made afresh at
    every draw for training, or once (seeded) with ``fixed_blends``, so validation scores
    the same fakes every epoch."""

    def __init__(
        self,
        indices: Sequence[int],
        faces: Sequence[LabeledFace],
        crops: _Crops,
        landmarks: list[np.ndarray | None],
        options: AugmentOptions | None,
        seed: int,
        normalisation: tuple[tuple[float, ...], tuple[float, ...]] = (IMAGENET_MEAN, IMAGENET_STD),
        blend_sources: Sequence[int] = (),
        fixed_blends: bool = False,
    ) -> None:
        self.normalisation = normalisation
        self.indices = list(indices)
        self.blend_sources = list(blend_sources)
        self.faces = faces
        self.crops = crops
        self.landmarks = landmarks
        self.options = options
        self.rng = np.random.default_rng(seed)
        # Maps are supervised once any fake has a mask (a ground truth or a blend): then
        # reals teach "nothing altered" and fakes with a mask where; fakes without one
        # teach nothing.
        self.maps = bool(self.blend_sources) or any(face.mask is not None for face in faces)
        # Pooled masks are tiny: read them all now, so a bad file stops training at once.
        self.targets = {i: read_map_target(faces[i].mask) for i in self.indices}
        self.fixed = [self._blend(i) for i in self.blend_sources] if fixed_blends else None

    def _blend(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """A self-blend of face ``index`` and its blend mask pooled to the map's size."""
        crop, mask = self_blend(self.crops[index], self.landmarks[index], self.rng)
        return crop, cv2.resize(mask, (MAP_SIZE, MAP_SIZE), interpolation=cv2.INTER_AREA)

    def __len__(self) -> int:
        return len(self.indices) + len(self.blend_sources)

    def __getitem__(self, position: int) -> tuple[torch.Tensor, ...]:
        """The crop, its label, its map target and the target's weight (0: none)."""
        if position >= len(self.indices):
            blend = position - len(self.indices)
            index = self.blend_sources[blend]
            crop, target = self.fixed[blend] if self.fixed is not None else self._blend(index)
            label, supervised = 1.0, True
        else:
            index = self.indices[position]
            face, crop, target = self.faces[index], self.crops[index], self.targets[index]
            label = float(face.label)
            supervised = self.maps and (face.label == 0 or face.mask is not None)
        if self.options is not None:
            crop, target = augment_with_mask(
                crop, target, self.rng, self.options, self.landmarks[index]
            )
        tensor = to_tensor([crop], self.crops.size, *self.normalisation)[0]
        return (
            tensor,
            torch.tensor(label),
            torch.tensor(target),
            torch.tensor(float(supervised)),
        )


@torch.inference_mode()
def _predict_logits(model: nn.Module, loader: DataLoader, device: torch.device) -> np.ndarray:
    model.eval()
    logits = [model(x.to(device)).float().cpu().numpy() for x, *_ in loader]
    return np.concatenate(logits).astype(np.float64) if logits else np.zeros(0)


def calibrate(
    logits: np.ndarray, labels: np.ndarray, videos: np.ndarray
) -> tuple[dict[str, Any] | None, float, dict[str, Any]]:
    """Platt scaling fitted on the validation faces' ``logits``, the threshold
    (:func:`decision_threshold`) on the calibrated scores, and what both measured: log
    loss before and after, and the share of validation real ``videos`` the threshold
    flags.

    A detector that ranks the validation faces the wrong way round (a fitted slope of
    zero or less) is left uncalibrated rather than turned upside down."""
    calibration: dict[str, Any] | None = fit_platt(logits, labels)
    if calibration["a"] <= 0:
        calibration = None
    scores = apply_calibration(logits, calibration)
    threshold = decision_threshold(labels, scores)  # both classes: the split ensures it
    validation = {
        "faces": binary_metrics(labels, scores, threshold=threshold).as_dict(),
        "log_loss_uncalibrated": log_loss(labels, apply_calibration(logits, None)),
        "real_videos": video_false_positive_rate(scores, labels, videos, threshold),
        "scores": scores,
    }
    return calibration, float(threshold), validation


def _loss(
    model: nn.Module,
    loss_fn: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor,
) -> torch.Tensor:
    """The score's loss, plus the map's on the faces that have a map target (as the
    built-in recipe weighs it: one to one)."""
    if not getattr(model, "has_map", False) or not bool(weight.any()):
        return loss_fn(model(x), y)
    logits, maps = model.forward_with_map(x)
    target, weight = target.to(x.device), weight.to(x.device)
    per_face = nn.functional.binary_cross_entropy_with_logits(maps, target, reduction="none")
    map_loss = (per_face.mean(dim=(1, 2)) * weight).sum() / weight.sum()
    return loss_fn(logits, y) + map_loss


def _face_set(data: str | Path | FaceSet | Sequence[LabeledFace]) -> FaceSet:
    if isinstance(data, FaceSet):
        return data
    if isinstance(data, (str, Path)):
        return load_face_set(data)
    return FaceSet(tuple(data), "list")


def train_detector(
    data: str | Path | FaceSet | Sequence[LabeledFace],
    checkpoint_path: str | Path,
    options: TrainOptions | None = None,
    *,
    progress: ProgressCallback = no_progress,
) -> TrainResult:
    """Train a detector on ``data`` (a folder, a loaded set, or a list of faces) and write
    its checkpoint to ``checkpoint_path`` (see the module docstring)."""
    options = options or TrainOptions()
    started = time.perf_counter()
    face_set = _face_set(data)
    faces = face_set.faces
    if not faces:
        raise TrainingDataError("No faces to train on: a detector trained on nothing is refused")
    if face_set.source == "export":
        # An export brings its own identity-disjoint splits; its test split stays unseen
        # (not even its landmarks are computed), and its crops' margin is the one to use.
        faces = tuple(face for face in faces if face.split in ("train", "validation"))
        split = export_split(faces, self_blends=options.self_blend > 0)
        if face_set.crop_margin is not None:
            options = replace(options, crop_margin=face_set.crop_margin)
    else:
        split = split_by_identity(
            faces,
            val_fraction=options.val_fraction,
            seed=options.seed,
            self_blends=options.self_blend > 0,
        )
    device = resolve_device(options.device)
    size = options.size
    torch.manual_seed(options.seed)
    progress(0.0, f"Preparing {len(faces)} faces")

    crops = _Crops(faces, size, options.cache_mb)
    landmarks = crop_landmarks(faces, crops, size, options.crop_margin, options.landmarks, progress)
    arch = detector_models.get(options.arch)
    norm = (tuple(arch.input_mean), tuple(arch.input_std))
    blend_sources = (
        self_blend_sources(split.train, faces, landmarks) if options.self_blend > 0 else []
    )
    # A side with no fakes of its own (a project of real videos only) is measured on
    # fixed self-blends of its reals, as the built-in detector is.
    val_blends = (
        [] if has_fakes(split.val, faces) else self_blend_sources(split.val, faces, landmarks)
    )
    for side, own, blends in (
        ("training", split.train, blend_sources),
        ("validation", split.val, val_blends),
    ):
        if not has_fakes(own, faces) and not blends:
            raise TrainingDataError(
                f"The {side} faces are all real and none has landmarks to self-blend: add "
                "fake videos, or real videos whose faces are large and frontal enough for "
                "landmarks"
            )
    train_set = _FaceDataset(
        split.train,
        faces,
        crops,
        landmarks,
        options.augment,
        options.seed,
        norm,
        blend_sources=blend_sources,
    )
    val_set = _FaceDataset(
        split.val,
        faces,
        crops,
        landmarks,
        None,
        options.seed + 1,
        norm,
        blend_sources=val_blends,
        fixed_blends=True,
    )
    train_labels = np.array([faces[i].label for i in split.train])
    counts = np.bincount(train_labels, minlength=2).astype(np.float64)
    counts[1] += len(blend_sources)
    generator = torch.Generator().manual_seed(options.seed)
    if options.balance == "sampler":
        weights = sample_weights(train_labels, len(blend_sources), options.self_blend)
        sampler = WeightedRandomSampler(
            weights.tolist(), num_samples=len(train_set), replacement=True, generator=generator
        )
        train_loader = DataLoader(train_set, batch_size=options.batch_size, sampler=sampler)
        pos_weight = None
    else:
        train_loader = DataLoader(
            train_set, batch_size=options.batch_size, shuffle=True, generator=generator
        )
        pos_weight = torch.tensor(counts[0] / counts[1], device=device)
    val_loader = DataLoader(val_set, batch_size=max(options.batch_size, 64))

    model_params: dict[str, Any] = {}
    if options.pretrained_weights:
        model_params["weights"] = options.pretrained_weights
    model = detector_models.create(options.arch, **model_params)
    from_builtin = options.start_from_builtin and options.arch == builtin_arch()
    if from_builtin:
        # Fine-tune the shipped detector rather than start from ImageNet or noise.
        model.load_state_dict(builtin_state_dict())
    # Only weights that start trained are worth keeping (not a random-init B0's).
    pretrained = isinstance(model, EfficientNetLite) or options.pretrained_weights is not None
    frozen = freeze_early_layers(model, options.freeze_stages if pretrained else 0)
    learning_rate = options.learning_rate or (
        BUILTIN_LR if from_builtin else IMAGENET_LR if pretrained else SCRATCH_LR
    )
    model = channels_last(model.to(device))  # faster convolutions on the CPU
    optimiser = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=learning_rate,
        weight_decay=options.weight_decay,
    )
    steps = options.epochs * len(train_loader)
    if options.lr_schedule == "cosine":
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
            optimiser, T_max=max(steps, 1), eta_min=0.05 * learning_rate
        )
    else:
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: 1.0)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    # Validation: its own faces, then its self-blends (fakes); a face without a video (a
    # face folder's photo) is a video of its own.
    val_labels = np.array([faces[i].label for i in split.val] + [1] * len(val_blends))
    val_paths = [str(faces[i].path) for i in split.val]
    val_paths += [f"{faces[i].path}#self-blend" for i in val_blends]
    val_videos = np.array(
        [faces[i].video or str(faces[i].path) for i in split.val]
        + [f"{faces[i].video or faces[i].path}#self-blend" for i in val_blends]
    )

    history: list[dict] = []
    best: dict[str, Any] = {}
    stopped_early = False
    summary = {
        **face_set.summary(),
        "landmarks": sum(lm is not None for lm in landmarks),
        "self_blend_sources": len(blend_sources),
        "validation_self_blends": len(val_blends),
    }
    for epoch in range(1, options.epochs + 1):
        epoch_started = time.perf_counter()
        model.train()
        for module in frozen:
            module.eval()  # frozen batch norms keep their statistics
        losses = []
        for batch, (x, y, target, weight) in enumerate(train_loader, start=1):
            optimiser.zero_grad(set_to_none=True)
            loss = _loss(model, loss_fn, x.to(device), y.to(device), target, weight)
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
            done = (epoch - 1 + batch / len(train_loader)) / options.epochs
            progress(
                min(done, 0.999),
                f"Epoch {epoch}/{options.epochs}, batch {batch}/{len(train_loader)}, "
                f"loss {np.mean(losses):.3f}",
            )
        logits = _predict_logits(model, val_loader, device)
        val = binary_metrics(val_labels, apply_calibration(logits, None), threshold=0.5)
        entry = {
            "epoch": epoch,
            "train_loss": float(np.mean(losses)),
            "val": val.as_dict(),
            "learning_rate": float(schedule.get_last_lr()[0]),
            "seconds": round(time.perf_counter() - epoch_started, 3),
        }
        history.append(entry)
        if not best or val.log_loss < best["log_loss"]:
            calibration, threshold, validation = calibrate(logits, val_labels, val_videos)
            best = {
                "epoch": epoch,
                "log_loss": val.log_loss,
                "state": copy.deepcopy(model.state_dict()),
                "threshold": threshold,
                "calibration": calibration,
                "validation": validation,
            }
        _write(checkpoint_path, options, size, best, history, summary, split, faces)
        progress(
            epoch / options.epochs,
            f"Epoch {epoch}/{options.epochs}: validation AUC {val.auc:.3f}, "
            f"log loss {val.log_loss:.3f}, accuracy {val.accuracy:.3f}",
        )
        patience = options.early_stop_patience
        if patience is not None and epoch - best["epoch"] >= patience:
            stopped_early = epoch < options.epochs
            break

    validation = tuple(
        (path, int(label), float(score))
        for path, label, score in zip(
            val_paths, val_labels, best["validation"]["scores"], strict=True
        )
    )
    return TrainResult(
        checkpoint=Path(checkpoint_path),
        history=tuple(history),
        best_epoch=int(best["epoch"]),
        threshold=float(best["threshold"]),
        dataset=summary,
        split=split.summary(faces),
        seconds=round(time.perf_counter() - started, 3),
        device=device_label(device),
        stopped_early=stopped_early,
        validation=validation,
        calibration=best["calibration"],
        calibrated_val=_calibrated_val(best),
    )


def _calibrated_val(best: dict[str, Any]) -> dict[str, Any]:
    """The kept epoch's calibrated validation figures, without the per-face scores."""
    return {k: v for k, v in best["validation"].items() if k != "scores"}


def _write(
    path: str | Path,
    options: TrainOptions,
    size: int,
    best: dict[str, Any],
    history: list[dict],
    summary: dict,
    split: Split,
    faces: Sequence[LabeledFace],
) -> None:
    state = {key: value.detach().cpu() for key, value in best["state"].items()}
    save_checkpoint(
        path,
        {
            "arch": options.arch,
            "input_size": size,
            "crop_margin": options.crop_margin,
            "mean": list(detector_models.get(options.arch).input_mean),
            "std": list(detector_models.get(options.arch).input_std),
            "state_dict": state,
            "threshold": float(best["threshold"]),
            "calibration": best["calibration"],
            "threshold_fpr": best["validation"]["real_videos"]["false_positive_rate"],
            "validation": _calibrated_val(best),
            "best_epoch": int(best["epoch"]),
            "epochs_done": len(history),
            "history": history,
            "train_options": options.as_dict(),
            "dataset": summary,
            "split": {
                **split.summary(faces),
                "val_identities": list(split.val_identities),
            },
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )

"""What a detection run and a detector's training can be told; jobs, the CLI, the bench
and the web share these declarations (the web host has no torch, so they live here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from deepreview_workers.pipeline.detection.dataset import DEFAULT_CROP_MARGIN
from deepreview_workers.pipeline.options.spec import option, options_from_mapping

# The model registry imports torch; a test keeps it in step.
DETECTOR_ARCHS = ("efficientnet_b0", "efficientnet_lite0", "efficientnet_lite2", "meso4")
BALANCE_MODES = ("sampler", "loss")
LR_SCHEDULES = ("cosine", "constant")
LANDMARK_MODES = ("auto", "none")
# The forensic signals, all on by default; the registry imports OpenCV (a test keeps
# this in step with it).
DEFAULT_SIGNALS: tuple[str, ...] = (
    "face_blur",
    "edge_seam",
    "skin_tone",
    "mouth_sharpness",
    "flicker",
    "landmark_jitter",
    "blinking",
)
CROP_SIZE = 256  # aligned crop the pixel signals measure on


@dataclass(frozen=True)
class Meso4Params:
    """``detector_models.create("meso4", ...)``."""

    weights: Any = None  # a local state-dict file to load
    dropout: float = option(
        0.25, label="Dropout", help="Dropout before the dense layer", low=0.0, high=0.9
    )


@dataclass(frozen=True)
class EfficientNetParams:
    """``detector_models.create("efficientnet_b0", ...)``: random initialisation unless
    ``weights`` (a local ImageNet state-dict file) is given."""

    weights: Any = None
    drop_rate: float = option(
        0.2, label="Dropout", help="Dropout before the classifier", low=0.0, high=0.9
    )


@dataclass(frozen=True)
class EfficientNetLiteParams(EfficientNetParams):
    """``detector_models.create("efficientnet_lite0" | "efficientnet_lite2", ...)``."""

    pretrained: bool = option(
        True,
        label="ImageNet start",
        help="Start from the packaged ImageNet weights (when no weights file is given)",
    )


@dataclass(frozen=True)
class AugmentOptions:
    """Probability of each augmentation per crop (0 turns it off) and its ranges."""

    drop_part: float = 0.3  # landmark part dropping, or random erase without landmarks
    jpeg: float = 0.3
    jpeg_quality: tuple[int, int] = (40, 95)
    blur: float = 0.1
    blur_sigma: tuple[float, float] = (0.3, 1.5)
    colour: float = 0.5
    brightness: float = 0.2  # +- fraction
    contrast: float = 0.2
    saturation: float = 0.2
    hue_degrees: float = 6.0
    flip: float = 0.5

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def none(cls) -> AugmentOptions:
        """No augmentation at all (validation, or a test that wants exact pixels)."""
        return cls(drop_part=0.0, jpeg=0.0, blur=0.0, colour=0.0, flip=0.0)


@dataclass(frozen=True)
class DetectOptions:
    """Everything a detection run can be told."""

    frames: int = option(  # the DFDC winner used 32
        32,
        label="Frames to analyse",
        help="Spread evenly over each video, plus landmark-only samples around them for "
        "flicker, jitter and blinking",
        low=1,
        high=512,
    )
    temporal_fps: float = option(
        15.0,
        label="Temporal fps",
        help="Landmark-only samples per second for the temporal signals; 0 turns them off",
        low=0,
        high=60,
        step=1,
        advanced=True,
    )
    temporal_window: float = option(
        1.0,
        label="Temporal window s",
        help="Seconds sampled around each analysed frame",
        low=0,
        high=10,
        step=0.5,
        advanced=True,
    )
    signals: tuple[str, ...] = DEFAULT_SIGNALS
    min_face_size: int = option(
        40,
        label="Min face px",
        help="Smaller faces are not scored",
        low=12,
        high=1024,
        advanced=True,
    )
    # Lower than extraction's 0.9: dim, small faces still get scored.
    min_confidence: float = option(
        0.8,
        label="Min confidence",
        help="Face detector confidence below which a face is not scored",
        low=0.0,
        high=1.0,
        step=0.05,
        advanced=True,
    )
    max_faces: int = option(  # a crowd would otherwise cost minutes
        6, label="Max faces", help="Largest faces scored per frame", low=1, high=32, advanced=True
    )
    detect_max_side: int = 960  # frames are shrunk to this for face detection only
    temporal_max_side: int = 960  # and landmark-only samples are kept at this size
    batch_size: int = 8  # analysed frames per detector call (bounds memory too)
    crop_size: int = CROP_SIZE  # aligned crop the pixel signals measure on
    detector: str = "mtcnn"
    landmarker: str = "dlib68"
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.frames < 1 or self.batch_size < 1 or self.max_faces < 1:
            raise ValueError("frames, batch_size and max_faces must be at least 1")
        if self.temporal_fps < 0 or self.temporal_window < 0:
            raise ValueError("temporal_fps and temporal_window must not be negative")
        if min(self.detect_max_side, self.temporal_max_side) < 64:
            raise ValueError("detect_max_side and temporal_max_side must be at least 64")
        unknown = [name for name in self.signals if name not in DEFAULT_SIGNALS]
        if unknown:
            choices = ", ".join(sorted(DEFAULT_SIGNALS))
            raise ValueError(f"Unknown forensic signal '{unknown[0]}'; choose one of: {choices}")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "signals": list(self.signals)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectOptions:
        """Options from job params; unknown keys raise ``ValueError``."""
        return options_from_mapping(cls, data, strict=True, what="detection")


@dataclass(frozen=True)
class TrainOptions:
    """Everything a detector's training run can be told."""

    arch: str = "efficientnet_lite0"  # chosen when the detector is made; fine-tunes the built-in
    input_size: int | None = None  # None: the architecture's own (meso4 256, effnet 224)
    epochs: int = option(10, label="Epochs", help="Passes over the training faces", low=1, high=500)
    batch_size: int = option(32, label="Batch size", help="Faces per step", low=1, high=512)
    # None: the starting point's own (deepreview_workers.pipeline.detection.train).
    learning_rate: float | None = option(
        None,
        label="Learning rate",
        help="AdamW step size; empty: 1e-4 from the built-in detector, 3e-4 from ImageNet, "
        "1e-3 from scratch",
        low=1e-6,
        high=1.0,
        step=1e-4,
    )
    weight_decay: float = 1e-2
    # cosine: decay to 5% of the rate over the run (long runs); constant: keep it (short
    # runs of a few hundred steps, where decaying early stops learning too soon).
    lr_schedule: str = "cosine"
    val_fraction: float = option(
        0.2,
        label="Validation share",
        help="Share of identities held out for validation",
        low=0.05,
        high=0.5,
        step=0.05,
    )
    seed: int = option(
        0, label="Seed", help="Fixes the split and the augmentation", low=0, high=2**31 - 1
    )
    device: str = "auto"
    balance: str = "sampler"  # sampler: equal draws per class; loss: class-weighted loss
    augment: AugmentOptions = field(default_factory=AugmentOptions)
    pretrained_weights: str | None = None  # local ImageNet state dict (efficientnet_b0)
    start_from_builtin: bool = True  # the built-in detector's arch fine-tunes its weights
    crop_margin: float = DEFAULT_CROP_MARGIN  # the margin the crops were cut with (recorded)
    # Self-blends (SBI) of the training reals join the fakes as this share of fake draws:
    # they teach the blending traces every swap shares, and keep a fine-tuned built-in
    # detector from forgetting them for the project's few fakes. Needs landmarks.
    self_blend: float = option(
        0.5,
        label="Self-blended fakes",
        help="Share of fake draws that are the real training faces self-blended (0: off)",
        low=0.0,
        high=1.0,
        step=0.05,
        advanced=True,
    )
    # A pretrained EfficientNet keeps its stem and first N stages as they are.
    freeze_stages: int = 2
    landmarks: str = "auto"  # auto: the set's, else dlib on each crop; none: random erase
    early_stop_patience: int | None = None  # stop after this many epochs without a best
    cache_mb: int = 1024  # keep decoded, resized crops in memory up to this size

    def __post_init__(self) -> None:
        if self.arch not in DETECTOR_ARCHS:
            raise ValueError(
                f"Unknown detector model '{self.arch}'; choose one of: {', '.join(DETECTOR_ARCHS)}"
            )
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if self.learning_rate is not None and self.learning_rate <= 0:
            raise ValueError("learning_rate must be positive")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, not {self.lr_schedule!r}")
        if self.balance not in BALANCE_MODES:
            raise ValueError(f"balance must be one of {BALANCE_MODES}, not {self.balance!r}")
        if self.landmarks not in LANDMARK_MODES:
            raise ValueError(f"landmarks must be one of {LANDMARK_MODES}, not {self.landmarks!r}")
        if not 0.0 <= self.self_blend <= 1.0:
            raise ValueError("self_blend must be between 0 and 1")
        if self.input_size is not None and not 32 <= self.input_size <= 1024:
            raise ValueError("input_size must be between 32 and 1024 pixels")
        if self.pretrained_weights is not None and self.arch != "efficientnet_b0":
            raise ValueError("pretrained_weights is only used by efficientnet_b0")

    @property
    def size(self) -> int:
        from deepreview_workers.pipeline.detection.models import default_input_size  # torch

        return self.input_size or default_input_size(self.arch)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainOptions:
        """Options from job params; unknown keys raise ``ValueError`` (a typo is an error)."""
        values = dict(data)
        if isinstance(values.get("augment"), dict):
            augment_options = dict(values["augment"])
            for key in ("jpeg_quality", "blur_sigma"):
                if key in augment_options:
                    augment_options[key] = tuple(augment_options[key])
            values["augment"] = AugmentOptions(**augment_options)
        return options_from_mapping(cls, values, strict=True, what="training")


@dataclass(frozen=True)
class DetectorTrainJobOptions(TrainOptions):
    """A detector's stored options: its training's, and how many frames of each labeled
    video the job cuts faces from."""

    frames_per_video: int = option(
        16,
        label="Frames per video",
        help="Face crops taken from each labeled video (a fake's from its swapped frames)",
        low=1,
        high=256,
    )

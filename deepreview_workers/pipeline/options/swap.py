"""What swap training and conversion can be told; jobs, the CLI, the bench and the web
share these declarations (the web host has no torch, so they live here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from deepreview_workers.pipeline.errors import SwapInputError
from deepreview_workers.pipeline.options.extract import LANDMARK_MASKS
from deepreview_workers.pipeline.options.spec import option, option_from

if TYPE_CHECKING:
    from deepreview_workers.pipeline.swap.blend import BlendSettings
    from deepreview_workers.pipeline.swap.losses import LossOptions

# The registries these name import torch; a test keeps them in step.
SWAP_ARCHS = ("medium128", "original")
CONVERT_MASKS = (*LANDMARK_MASKS, "learned", "ellipse")
COLOR_TRANSFERS = ("avg-color", "hist-match", "none", "reinhard")
DIRECTIONS = ("a-to-b", "b-to-a")
# The demo's small swap model and its conversion (deepreview/demo); the detector's map
# bench and recipe make the app's own fakes the same way (detection/swapfakes.py).
DEMO_MODEL_OPTIONS = {"width": 0.25, "batch_size": 4}
DEMO_CONVERT_OPTIONS = {"color_transfer": "reinhard", "feather_px": 6, "smoothing_window": 3}


@dataclass(frozen=True)
class AugmentOptions:
    """Ranges of the random changes; each is drawn uniformly in [-range, +range].

    Defaults follow faceswap's training defaults (rotation 10 degrees, zoom 5 %, shift 5 %,
    flip half the time, LAB lightness 30 % and a/b 8 %, warp of 5 px at 256 px).
    """

    rotation_degrees: float = 10.0
    zoom: float = 0.05  # fraction of the face size
    shift: float = 0.05  # fraction of the image side
    flip_probability: float = 0.5
    warp: bool = True
    warp_std: float = 0.02  # std of the 5x5 control-point offsets, fraction of the side
    brightness: float = 0.0  # added to RGB in [0, 1]
    contrast: float = 0.1  # relative change of the distance from the mean
    lab_lightness: float = 0.3
    lab_ab: float = 0.08

    def __post_init__(self) -> None:
        if not 0.0 <= self.flip_probability <= 1.0:
            raise ValueError(f"flip_probability must be in [0, 1], got {self.flip_probability}")
        if min(self.rotation_degrees, self.zoom, self.shift, self.warp_std) < 0 or self.zoom >= 1:
            raise ValueError("augmentation ranges must be >= 0 (and zoom < 1)")


@dataclass(frozen=True)
class SwapArchParams:
    """A swap architecture's parameters (``architectures.create(name, width=...)``)."""

    width: float = option(
        1.0,
        label="Width",
        help="Channel multiplier; 1 is the architecture's real size",
        low=0.01,
        high=4.0,
        step=0.125,
    )


@dataclass(frozen=True)
class TrainOptions:
    """Everything a swap training run can be told."""

    arch: str = "original"  # chosen when the model is made, never changed
    width: float = option_from(SwapArchParams, "width", low=0.125, high=2.0, advanced=True)
    batch_size: int = option(
        16, label="Batch size", help="Faces per identity per iteration", low=1, high=512
    )
    learning_rate: float = option(  # faceswap's and DeepFaceLab's default
        5e-5, label="Learning rate", help="Adam learning rate", low=1e-7, high=1e-2, advanced=True
    )
    iterations: int = 100_000  # stop when the model has trained this many in total
    checkpoint_every: int = option(
        500,
        label="Checkpoint every",
        help="Iterations between saved checkpoints",
        low=1,
        high=1_000_000,
        advanced=True,
    )
    preview_every: int = option(
        500,
        label="Preview every",
        help="Iterations between preview grids",
        low=1,
        high=1_000_000,
        advanced=True,
    )
    log_every: int = 10
    seed: int = option(
        0,
        label="Seed",
        help="Fixes the initial weights and the batches",
        low=0,
        high=2**31 - 1,
        advanced=True,
    )
    device: str = option("auto", label="Device", help="auto, cpu, cuda or cuda:N", advanced=True)
    mixed_precision: bool | None = None  # None = on for CUDA, off on the CPU
    coverage: float = option(
        0.875,
        label="Coverage",
        help="Centre fraction of the aligned crop the model sees",
        low=0.5,
        high=1.0,
        step=0.0625,
        advanced=True,
    )
    mask_type: str = option(
        "extended",
        label="Mask",
        help="Landmark mask for loss weighting and learned masks",
        choices=LANDMARK_MASKS,
        advanced=True,
    )
    ssim_weight: float = option(
        0.0,
        label="SSIM weight",
        help="Weight of the structural (SSIM) loss",
        low=0.0,
        high=10.0,
        step=0.1,
        advanced=True,
    )
    mask_loss: bool = option(True, label="Mask loss", help="Learn the face mask too", advanced=True)
    background_weight: float = option(
        0.1,
        label="Background weight",
        help="Loss weight outside the face mask",
        low=0.0,
        high=1.0,
        step=0.05,
        advanced=True,
    )
    eye_mouth_priority: bool = option(
        False, label="Eye and mouth priority", help="Weigh eyes and mouth more", advanced=True
    )
    eye_mouth_weight: float = option(
        3.0,
        label="Eye and mouth weight",
        help="Loss weight of eyes and mouth when prioritised",
        low=1.0,
        high=20.0,
        step=0.5,
        advanced=True,
    )
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
        if self.mask_type not in LANDMARK_MASKS:
            raise SwapInputError(
                f"unknown mask type {self.mask_type!r}; choose one of {', '.join(LANDMARK_MASKS)}"
            )
        if self.arch not in SWAP_ARCHS:  # fail before any work
            raise SwapInputError(
                f"Unknown swap model '{self.arch}'; choose one of: {', '.join(SWAP_ARCHS)}"
            )

    def loss_options(self) -> LossOptions:
        from deepreview_workers.pipeline.swap.losses import LossOptions  # torch: on use

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


@dataclass(frozen=True)
class ConvertOptions:
    """Everything a conversion can be told."""

    direction: str = "a-to-b"  # a-to-b: the target shows A, the output shows B
    mask: str = option(
        "extended",
        label="Mask",
        help="Which face mask decides the pasted area",
        choices=CONVERT_MASKS,
    )
    erode_dilate_px: int = option(
        0,
        label="Erode / dilate px",
        help="Frame pixels: negative shrinks (erodes) the mask, positive grows (dilates) it",
        low=-64,
        high=64,
    )
    feather_px: float = option(
        8.0,
        label="Feather px",
        help="Width of the soft edge, in frame pixels",
        low=0,
        high=128,
        step=1,
    )
    color_transfer: str = option(
        "avg-color",
        label="Colour transfer",
        help="Match the swapped face's colours to the frame",
        choices=COLOR_TRANSFERS,
    )
    seamless_clone: bool = option(
        False, label="Seamless clone", help="Poisson (seamless) cloning of the face into the frame"
    )
    sharpen: float = option(
        0.0, label="Sharpen", help="Unsharp-mask amount, 0 = off", low=0.0, high=5.0, step=0.1
    )
    smoothing_window: int = option(
        1,
        label="Smoothing frames",
        help="Landmark smoothing window in frames (odd), 1 = off: steadier faces, less jitter",
        low=1,
        high=31,
        step=2,
    )
    face_scale: float = option(
        1.0,
        label="Face scale",
        help="Paste the swapped face this much larger (> 1) or smaller",
        low=0.5,
        high=2.0,
        step=0.01,
    )
    batch_size: int = 16  # faces per model call
    device: str = "auto"
    crf: int = 17  # H.264 quality (lower = better); 17 is visually lossless
    preset: str = "medium"

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise SwapInputError(f"direction must be one of {DIRECTIONS}, not {self.direction!r}")
        if self.mask not in CONVERT_MASKS:
            raise SwapInputError(f"mask must be one of {CONVERT_MASKS}, not {self.mask!r}")
        if self.color_transfer not in COLOR_TRANSFERS:
            raise SwapInputError(
                f"color_transfer must be one of {COLOR_TRANSFERS}, not {self.color_transfer!r}"
            )
        if self.smoothing_window < 1 or self.batch_size < 1 or self.feather_px < 0:
            raise SwapInputError("smoothing_window and batch_size must be >= 1, feather_px >= 0")
        if not 0.5 <= self.face_scale <= 2.0 or self.sharpen < 0:
            raise SwapInputError("face_scale must be in [0.5, 2] and sharpen >= 0")

    @property
    def encoder_side(self) -> str:
        return self.direction[0]

    @property
    def decoder_side(self) -> str:
        return self.direction[-1]

    def blend_settings(self) -> BlendSettings:
        from deepreview_workers.pipeline.swap.blend import BlendSettings  # torch: on use

        return BlendSettings(
            mask=self.mask,
            erode_dilate_px=self.erode_dilate_px,
            feather_px=self.feather_px,
            color_transfer=self.color_transfer,
            seamless_clone=self.seamless_clone,
            sharpen=self.sharpen,
            face_scale=self.face_scale,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

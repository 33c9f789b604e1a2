"""What an extraction can be told; the job, the CLI, the bench and the web share it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from deepreview_workers.pipeline.frames import FrameFilter
from deepreview_workers.pipeline.options.spec import option, option_from

SAMPLING_MODES = ("every_n", "fps", "all")
# Plugin names the web may offer; the registries import OpenCV or dlib (the ``ml``
# extra, which the web host may lack), and a test keeps these in step with them.
LANDMARK_MASKS = ("components", "extended")
EMBEDDERS = ("dlib_resnet", "facenet")


@dataclass(frozen=True)
class MtcnnParams:
    """The MTCNN face detector's parameters (``detectors.create("mtcnn", ...)``)."""

    device: Any = "cpu"  # a torch device or its name; resolve "auto" first
    min_face_size: int = option(
        40,
        label="Min face px",
        help="Smaller faces are skipped (MTCNN's smallest pyramid scale)",
        low=12,
        high=4096,
    )
    thresholds: tuple[float, float, float] = option(
        (0.6, 0.7, 0.7),
        label="Stage thresholds",
        help="Scores in (0, 1) for the P-, R- and O-net stages",
        low=0.0,
        high=1.0,
        exposed=False,
    )
    min_confidence: float = option(
        0.9,
        label="Min confidence",
        help="Face detector confidence below which a face is skipped",
        low=0.0,
        high=1.0,
        step=0.01,
    )
    margin: float = option(
        0.0,
        label="Margin",
        help="Each box grows by this fraction of its size (half on each side)",
        low=0.0,
        high=2.0,
        step=0.05,
    )
    max_batch: int = option(
        16, label="Batch", help="Frames per network call, which bounds memory", low=1, high=1024
    )

    def __post_init__(self) -> None:
        if not all(0 < t < 1 for t in self.thresholds):
            raise ValueError("thresholds must be three scores strictly between 0 and 1")


@dataclass(frozen=True)
class ExtractOptions:
    """Everything an extraction can be told."""

    sampling: str = option(
        "fps",
        label="Sampling",
        help="Which frames to look at: a number per second, every Nth, or all",
        choices=SAMPLING_MODES,
    )
    every_n: int = option(
        15,
        label="N",
        help="Every Nth frame",
        low=1,
        high=10_000,
        shown_when=("sampling", "every_n"),
    )
    # About one frame every half second avoids near-duplicates.
    target_fps: float = option(
        2.0,
        label="fps",
        help="Frames per second of video",
        low=0.01,
        high=240.0,
        step=0.1,
        shown_when=("sampling", "fps"),
    )
    start_frame: int = option(0, exposed=False)
    end_frame: int | None = option(None, exposed=False)  # exclusive; None = to the end
    # Passed to the face detector: declared once, by its parameters.
    min_face_size: int = option_from(MtcnnParams, "min_face_size")
    min_confidence: float = option_from(MtcnnParams, "min_confidence")
    margin: float = option_from(MtcnnParams, "margin", high=1.0, advanced=True)
    crop_size: int = option(
        256, label="Crop px", help="Side of the saved face crops", low=64, high=1024, advanced=True
    )
    masks: tuple[str, ...] = option(
        ("components", "extended"), choices=LANDMARK_MASKS, exposed=False
    )
    detector: str = option("mtcnn", exposed=False)
    landmarker: str = option("dlib68", exposed=False)
    embedder: str = option(
        "dlib_resnet",
        label="Embedder",
        help="Face embedding used to group faces by identity",
        choices=EMBEDDERS,
        advanced=True,
    )
    device: str = option("auto", label="Device", help="auto, cpu, cuda or cuda:N", advanced=True)
    batch_size: int = option(16, exposed=False)
    # Reuse a track's embedding for this long (0 embeds every face): identity does
    # not change within a track, and embedding is the slowest stage on a CPU.
    embed_interval_seconds: float = option(
        1.0,
        label="Embed every s",
        help="A followed face reuses its embedding this long; 0 embeds every face",
        low=0.0,
        high=3600.0,
        step=0.1,
        advanced=True,
    )
    # Full face detection at least this often (video seconds); between keyframes faces
    # are followed from the previous sampled frame, much faster. 0 = detect every frame.
    redetect_seconds: float = option(
        1.0,
        label="Redetect every s",
        help="Full face detection this often, faces followed between; 0 = every frame",
        low=0.0,
        high=3600.0,
        step=0.1,
        advanced=True,
    )

    def __post_init__(self) -> None:
        if self.sampling not in SAMPLING_MODES:
            raise ValueError(f"sampling must be one of {SAMPLING_MODES}, not {self.sampling!r}")
        if self.every_n < 1 or self.target_fps <= 0 or self.batch_size < 1:
            raise ValueError("every_n, target_fps and batch_size must be positive")
        if self.redetect_seconds < 0:
            raise ValueError("redetect_seconds must be 0 (every frame) or positive")

    def frame_filter(self) -> FrameFilter:
        if self.sampling == "all":
            return lambda index, seconds: True
        if self.sampling == "every_n":
            return lambda index, seconds: (index - self.start_frame) % self.every_n == 0
        last_bucket = [-1]

        def by_time(index: int, seconds: float) -> bool:
            bucket = math.floor(seconds * self.target_fps + 1e-6)
            if bucket == last_bucket[0]:
                return False
            last_bucket[0] = bucket
            return True

        return by_time


@dataclass(frozen=True)
class ExtractJobOptions(ExtractOptions):
    """An extraction job's options: the extraction's, and how to split a long video."""

    segment_frames: int = option(
        0,
        label="Segment frames",
        help="Split a long video into jobs of this many frames (0 = one job)",
        low=0,
        high=10_000_000,
        advanced=True,
    )

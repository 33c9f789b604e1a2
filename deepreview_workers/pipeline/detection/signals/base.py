"""The forensic-signal plugin kind: what a signal promises, the face it looks at, its registry.

A signal measures one kind of artifact from the taxonomy (its ``kind`` slug, see
:mod:`deepreview_workers.pipeline.detection.taxonomy`) on every sampled face, in two steps:

1. ``measure(face)`` runs while the frame is in memory and returns a small
   measurement (a float, or a few numbers a temporal signal compares later), or None
   when the face does not allow it (e.g. no skin around the face in a grey photo).
2. ``series(times, measures)`` turns one face track's measurements, in time order, into
   one raw value per sample (None where undefined). Frame-local signals return their
   measurements as they are; temporal ones (flicker, jitter, blinking) compare
   neighbouring samples here.

``summary(tracks)`` condenses the whole video (e.g. blinks per minute). Raw values are
oriented so that higher means more suspicious wherever that has a direction
(``higher_is_suspicious``); :mod:`deepreview_workers.pipeline.detection.normalise` puts them on a
common 0..1 scale per video. ``description`` is what the review UI shows next to the
track, so it says what the number means in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import cv2
import numpy as np

from deepreview_workers.pipeline.align import align_face, transform_points, umeyama
from deepreview_workers.pipeline.masks import maskers
from deepreview_workers.pipeline.mean_face import MEAN_FACE_2D, MEAN_FACE_FIRST
from deepreview_workers.pipeline.options.detection import CROP_SIZE
from deepreview_workers.pipeline.registry import Registry
from deepreview_workers.pipeline.types import AlignedFace, Box

#: Aligned-crop size the pixel signals measure on; band widths below scale with it.
# Landmarks that keep their place relative to each other whatever the expression:
# eyebrows, nose, eye corners (iBUG 300-W indices). Jitter and its alignment use them.
RIGID_POINTS: tuple[int, ...] = (*range(17, 36), 36, 39, 42, 45)
_SMALL_SIDE = 160  # frames are shrunk to this width for whole-frame colour means


class FrameView:
    """One decoded frame, with views several faces and signals share (computed once)."""

    def __init__(self, rgb: np.ndarray, index: int, seconds: float) -> None:
        self.rgb = rgb
        self.index = index
        self.seconds = seconds

    @cached_property
    def grey(self) -> np.ndarray:
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2GRAY)

    @cached_property
    def detail_bands(self) -> tuple[np.ndarray, np.ndarray]:
        """Finest detail and grey image of the frame (see :func:`detail_bands`)."""
        return detail_bands(self.grey)

    @cached_property
    def small(self) -> tuple[np.ndarray, float]:
        """``(rgb, scale)``: the frame shrunk to at most 160 px wide, float32 0..1."""
        height, width = self.rgb.shape[:2]
        scale = min(1.0, _SMALL_SIDE / max(width, 1))
        size = (max(int(round(width * scale)), 1), max(int(round(height * scale)), 1))
        small = cv2.resize(self.rgb, size, interpolation=cv2.INTER_AREA)
        return small.astype(np.float32) / 255.0, scale


class FaceView:
    """One face in one frame: its box and 68 landmarks (source-frame pixels), and lazily
    computed views (aligned crop, masks, Lab colours) that every signal reuses."""

    def __init__(
        self,
        frame: FrameView,
        box: Box,
        landmarks68: np.ndarray,
        *,
        crop_size: int = CROP_SIZE,
    ) -> None:
        self.frame = frame
        self.box = tuple(float(v) for v in box)
        self.landmarks68 = np.asarray(landmarks68, dtype=np.float64)
        self.crop_size = int(crop_size)
        self._masks: dict[str, np.ndarray] = {}

    # --- aligned crop ---------------------------------------------------------------

    @cached_property
    def aligned(self) -> AlignedFace:
        return align_face(self.frame.rgb, self.landmarks68, size=self.crop_size)

    @cached_property
    def valid(self) -> np.ndarray:
        """(S, S) bool: aligned pixels that come from inside the frame (not the black pad)."""
        height, width = self.frame.rgb.shape[:2]
        ones = np.full((height, width), 255, dtype=np.uint8)
        warped = cv2.warpAffine(ones, self.aligned.matrix, (self.crop_size, self.crop_size))
        return warped > 127

    @cached_property
    def grey(self) -> np.ndarray:
        """(S, S) float32 grey aligned crop, 0..255."""
        return cv2.cvtColor(self.aligned.crop_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)

    @cached_property
    def lab(self) -> np.ndarray:
        """(S, S, 3) float32 CIE L*a*b* of the aligned crop (L 0..100)."""
        return cv2.cvtColor(self.aligned.crop_rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)

    def mask(self, name: str) -> np.ndarray:
        """A landmark mask (``components``, ``extended``) in aligned pixels, (S, S) uint8."""
        if name not in self._masks:
            masker = maskers.create(name)
            self._masks[name] = masker.make(self.aligned.landmarks68_aligned, self.crop_size)
        return self._masks[name]

    def px(self, fraction_of_crop: float) -> int:
        """A length given as a fraction of the crop size, in whole pixels (at least 1)."""
        return max(int(round(fraction_of_crop * self.crop_size)), 1)

    @cached_property
    def features_mask(self) -> np.ndarray:
        """(S, S) bool: eyes, eyebrows and mouth, slightly grown (not skin)."""
        points = self.aligned.landmarks68_aligned
        mask = np.zeros((self.crop_size, self.crop_size), dtype=np.uint8)
        for part in (slice(36, 42), slice(42, 48), slice(17, 22), slice(22, 27), slice(48, 60)):
            hull = cv2.convexHull(np.round(points[part]).astype(np.int32))
            cv2.fillConvexPoly(mask, hull, 255)
        return dilate(mask, self.px(1 / 40)) > 127

    @cached_property
    def skin_interior(self) -> np.ndarray:
        """(S, S) bool: the face inside its hull, away from the edge, without eyes/brows/mouth."""
        inner = erode(self.mask("components"), self.px(1 / 32)) > 127
        return inner & ~self.features_mask & self.valid

    # --- geometry -------------------------------------------------------------------

    @cached_property
    def rigid_landmarks_unit(self) -> np.ndarray:
        """The rigid landmarks, similarity-aligned onto the mean face (units of face width).

        Head translation, rotation in the image plane and scale are removed; what is left
        is how the face's own geometry changes."""
        rigid = np.asarray(RIGID_POINTS)
        mean = MEAN_FACE_2D[rigid - MEAN_FACE_FIRST]
        matrix = umeyama(self.landmarks68[rigid], mean, estimate_scale=True)
        return transform_points(self.landmarks68[rigid], matrix)


def detail_bands(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(fine, image)`` float32: the finest detail of a grey image (about 1-2 px: the
    image minus its sigma-1 blur) and the image itself."""
    image = grey.astype(np.float32)
    return image - cv2.GaussianBlur(image, (0, 0), 1.0), image


def detail_ratio(bands: tuple[np.ndarray, np.ndarray], selection: np.ndarray) -> float:
    """Sharpness of a region: the share of its grey-level variance that lies in the
    finest detail. Unlike the variance of the Laplacian it does not grow with contrast
    or texture (wrinkles, glasses): a face scaled up from a low-resolution generator, or
    blurred, keeps its shading and large features but loses the 1-2 px detail."""
    fine, image = bands
    return (float(fine[selection].var()) + 1e-3) / (float(image[selection].var()) + 1.0)


def dilate(mask: np.ndarray, px: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate(mask, kernel)


def erode(mask: np.ndarray, px: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.erode(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)


def log2_ratio(numerator: float, denominator: float, softening: float) -> float:
    """``log2((a + s) / (b + s))``: 0 when equal, +1 when ``a`` is twice ``b``; ``s`` keeps
    near-zero values (flat regions, still frames) from making huge ratios."""
    return float(np.log2((numerator + softening) / (denominator + softening)))


@dataclass(frozen=True)
class TrackValues:
    """One face track's samples in time order: seconds, raw values, measurements."""

    times: np.ndarray
    values: list[float | None]
    measures: list[Any]


class Signal:
    """Base of every forensic signal plugin (see the module docstring)."""

    name: ClassVar[str]
    kind: ClassVar[str]  # artifact kind slug from the taxonomy
    description: ClassVar[str]
    unit: ClassVar[str]
    higher_is_suspicious: ClassVar[bool | None] = True
    #: False: measured on the analysed frames only (full pixel work). True: also on the
    #: denser landmark-only samples between them, because it compares neighbours in time.
    temporal: ClassVar[bool] = False

    def measure(self, face: FaceView) -> Any:
        raise NotImplementedError

    def series(self, times: np.ndarray, measures: list[Any]) -> list[float | None]:
        """Raw value per sample of one track; frame-local signals pass measurements on."""
        return [None if m is None else float(m) for m in measures]

    def summary(self, tracks: list[TrackValues]) -> dict[str, float | int | None]:
        """Video-level numbers; by default statistics of every raw value."""
        values = np.array(
            [v for track in tracks for v in track.values if v is not None], dtype=np.float64
        )
        if values.size == 0:
            return {"count": 0, "mean": None, "median": None, "p90": None, "max": None}
        return {
            "count": int(values.size),
            "mean": float(values.mean()),
            "median": float(np.median(values)),
            "p90": float(np.percentile(values, 90)),
            "max": float(values.max()),
        }

    @classmethod
    def info(cls) -> dict[str, Any]:
        """What the UI needs to draw and explain the track."""
        return {
            "name": cls.name,
            "kind": cls.kind,
            "description": cls.description,
            "unit": cls.unit,
            "higher_is_suspicious": cls.higher_is_suspicious,
            "temporal": cls.temporal,
        }


signals: Registry[Signal] = Registry("forensic signal")

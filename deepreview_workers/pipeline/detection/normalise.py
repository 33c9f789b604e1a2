"""Per-video normalisation of forensic signals, so every track fits one timeline.

Each signal has its own unit (a log ratio, a colour difference, a percentage of the
face width...). To draw them on one timeline, every raw value of one signal in one
video (all sampled frames, all faces) is turned into

- ``z``: a *robust z-score*, ``(raw - median) / (1.4826 * MAD)``. The median and the
  median absolute deviation (MAD; 1.4826 makes it equal the standard deviation for
  normal data) ignore a few extreme frames, which are exactly the frames a reviewer
  wants to see stand out, whereas a mean and standard deviation would be dragged by
  them. When more than half the values are equal the MAD is 0; then the mean absolute
  deviation (times 1.2533, its normal-data factor) is used; when every value is
  equal, ``z`` is 0. ``z`` is clipped to +-10 so one absurd frame stays drawable.
- ``norm``: ``z`` mapped to 0..1 by ``clip(0.5 + z / 6, 0, 1)``: the video's typical
  value sits at 0.5, and three robust standard deviations above (below) it reach 1 (0).
  Unlike percentile ranks, a steady signal stays flat at 0.5 instead of being spread
  over 0..1, so noise is not drawn as if it were an event.

Raw values are always kept next to them: normalisation is relative to the video itself
and hides an artifact present in every frame, which only the raw level (and the video
summaries) show. Signals are oriented so that a higher raw value is more suspicious
(see each signal's ``higher_is_suspicious``), so a high ``norm`` reads the same way on
every track.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAD_TO_SD = 1.4826  # 1 / Phi^-1(3/4): MAD of normal data times this is its sd
MEAN_AD_TO_SD = 1.2533  # sqrt(pi / 2): mean absolute deviation of normal data to its sd
Z_CLIP = 10.0
NORM_SPAN_SD = 3.0  # robust sds from the median to either end of 0..1

METHOD = "robust_z"


@dataclass(frozen=True)
class Scale:
    """Centre and spread of one signal in one video; ``spread`` 0 means constant."""

    centre: float
    spread: float
    count: int

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "method": METHOD,
            "centre": self.centre,
            "spread": self.spread,
            "count": self.count,
        }


def fit_scale(values: Sequence[float | None] | np.ndarray) -> Scale:
    """Median and robust spread of the finite values (None and NaN are skipped)."""
    data = _finite(values)
    if data.size == 0:
        return Scale(centre=0.0, spread=0.0, count=0)
    centre = float(np.median(data))
    deviations = np.abs(data - centre)
    spread = float(np.median(deviations)) * MAD_TO_SD
    if spread <= 1e-12:
        spread = float(deviations.mean()) * MEAN_AD_TO_SD
    if spread <= 1e-12:
        spread = 0.0
    return Scale(centre=centre, spread=spread, count=int(data.size))


def robust_z(value: float | None, scale: Scale) -> float | None:
    """``value``'s robust z-score under ``scale``, clipped to +-10; None stays None."""
    if value is None or not np.isfinite(value):
        return None
    if scale.spread == 0.0:
        return 0.0
    return float(np.clip((value - scale.centre) / scale.spread, -Z_CLIP, Z_CLIP))


def unit_from_z(z: float | None) -> float | None:
    """Map a robust z-score to 0..1 (0.5 = the video's median, +-3 sd = the ends)."""
    if z is None:
        return None
    return float(np.clip(0.5 + z / (2.0 * NORM_SPAN_SD), 0.0, 1.0))


def normalise(
    values: Sequence[float | None] | np.ndarray,
) -> tuple[list[float | None], list[float | None], Scale]:
    """``(z, norm, scale)`` for one signal's raw values of one video, in input order."""
    scale = fit_scale(values)
    z = [robust_z(None if v is None else float(v), scale) for v in values]
    return z, [unit_from_z(value) for value in z], scale


def _finite(values: Sequence[float | None] | np.ndarray) -> np.ndarray:
    data = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return data[np.isfinite(data)]

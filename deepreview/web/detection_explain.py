"""What a detection run's score means, in the compact form the pages show beside it.

The run's timeline series (``deepreview.detection.services.detection_series``) carries
whether the score is a calibrated probability, what share of real videos the threshold
flags, what the bench measured for the detector on other tools' fakes, where the
detector's manipulation maps point and how the video's signals rank among real videos.
Runs stored before those existed lack the keys: they come back as ``None``, so the
pages say nothing rather than something misleading.
"""

from __future__ import annotations

from deepreview.detection.models import DetectionRun
from deepreview.detection.services import run_series


def series_explanation(series: dict) -> dict:
    """The explanation fields of a run's series (``None`` where the run has none)."""
    reference = series.get("signal_reference") or None
    return {
        # None (not False) for runs recorded before calibration was recorded at all.
        "calibrated": bool(series["calibrated"]) if "calibrated" in series else None,
        "threshold": series.get("threshold"),
        "threshold_fpr": series.get("threshold_fpr"),
        "external_check": series.get("external_check"),
        "map_summary": series.get("map_summary") or None,
        "signal_reference": reference,
        "flagged_frames": sum(1 for flag in series.get("flags") or [] if flag),
        "map_frames": len(series.get("maps") or {}),
    }


def run_explanation(run: DetectionRun) -> dict:
    return series_explanation(run_series(run) or {})

"""Forensic signals on an absolute scale, and their fusion into a second-opinion score.

Per-video normalisation (robust z) shows which frames stand out *within* a video, so a
video whose every frame is blurred or seamed looks flat. The reference file holds, for
each signal, its video-level 90th percentile over real videos; a new video's value gets
its percentile among them (``0.97``: higher than 97% of real videos). A logistic
regression over those percentiles (``fusion``) gives a fake probability from the signals
alone: shown beside the CNN's score, and the score when no CNN runs.

File (``builtin/signal_reference.json``, made by scripts/signal_reference.py)::

    {"schema": "deepreview.signal-reference", "version": 1, "statistic": "p90",
     "videos": 33, "source": "...",
     "signals": {name: [sorted p90 values of real videos]},
     "fusion": {"features": [names], "coef": [...], "intercept": 0.1, "trained_on": "..."}}

The built-in reference also carries what the bench measured for the fusion on other
tools' clips (``fusion_external``, from :mod:`.external_check`): a second opinion is
shown with how much it is worth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from deepreview_workers.pipeline.detection.external_check import measured_figures

BUILTIN_REFERENCE = Path(__file__).with_name("builtin") / "signal_reference.json"
SCHEMA = "deepreview.signal-reference"


def video_statistics(signals: dict[str, Any], statistic: str = "p90") -> dict[str, float | None]:
    """Signal name -> the video-level statistic from a detection's signal summaries
    (``SignalSummary`` objects or their dicts)."""
    out = {}
    for name, summary in signals.items():
        values = summary["summary"] if isinstance(summary, dict) else summary.summary
        value = values.get(statistic)
        out[name] = None if value is None or not np.isfinite(value) else float(value)
    return out


@dataclass(frozen=True)
class SignalReference:
    statistic: str
    signals: dict[str, np.ndarray]  # sorted values over real videos
    fusion: dict[str, Any] | None
    videos: int
    source: str
    fusion_external: dict[str, Any] | None = None  # the bench's figures for the fusion

    @classmethod
    def load(cls, path: Path) -> SignalReference:
        data = json.loads(Path(path).read_text())
        if data.get("schema") != SCHEMA:
            raise ValueError(f"{path} is not a deepreview signal reference")
        return cls(
            statistic=data.get("statistic", "p90"),
            signals={k: np.sort(np.asarray(v, np.float64)) for k, v in data["signals"].items()},
            fusion=data.get("fusion"),
            videos=int(data.get("videos", 0)),
            source=str(data.get("source", "")),
        )

    @classmethod
    def load_builtin(cls) -> SignalReference | None:
        if not BUILTIN_REFERENCE.is_file():
            return None
        reference = cls.load(BUILTIN_REFERENCE)
        external = measured_figures(BUILTIN_REFERENCE.parent, "fusion", BUILTIN_REFERENCE)
        return replace(reference, fusion_external=external)

    def percentiles(self, values: dict[str, float | None]) -> dict[str, float | None]:
        """Signal -> share of reference videos with a lower value (ties count half)."""
        out: dict[str, float | None] = {}
        for name, value in values.items():
            ref = self.signals.get(name)
            if value is None or ref is None or not len(ref):
                out[name] = None
                continue
            below = np.searchsorted(ref, value, "left")
            upto = np.searchsorted(ref, value, "right")
            out[name] = float((below + upto) / 2 / len(ref))
        return out

    def fused_probability(self, percentiles: dict[str, float | None]) -> float | None:
        if not self.fusion:
            return None
        x = np.array(
            [
                percentiles.get(n) if percentiles.get(n) is not None else 0.5
                for n in self.fusion["features"]
            ]
        )
        z = float(np.dot(self.fusion["coef"], x) + self.fusion["intercept"])
        return 1.0 / (1.0 + np.exp(-z))

    def compare(self, signals: dict[str, Any]) -> dict[str, Any]:
        """What a video's signals look like against real videos (JSON-ready)."""
        values = video_statistics(signals, self.statistic)
        pct = self.percentiles(values)
        return {
            "statistic": self.statistic,
            "reference_videos": self.videos,
            "source": self.source,
            "signals": {
                n: {
                    "value": None if values[n] is None else round(values[n], 5),
                    "percentile": None if pct[n] is None else round(pct[n], 4),
                }
                for n in values
            },
            "fusion_probability": _round(self.fused_probability(pct)),
            "fusion_external": self.fusion_external,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

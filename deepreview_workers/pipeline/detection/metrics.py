"""Detector metrics and the rules that turn face scores into one video score.

Conventions: label 1 = fake (the positive class), 0 = real; a score is the detector's
probability that a face is fake, 0..1; "predicted fake" means ``score >= threshold``.

Metrics (each checked against hand-computed examples in the tests):

- ROC curve and AUC: the curve walks the thresholds from above the highest score down
  to the lowest (so it starts at (0, 0) and ends at (1, 1)); tied scores move the curve
  diagonally, which gives the AUC its usual meaning, the probability that a random fake
  scores above a random real with ties counting half (Mann-Whitney U / (n_fake n_real)).
- Equal error rate: the point where the false positive rate (reals called fake) equals
  the false negative rate (fakes called real), linearly interpolated between the two
  ROC points where ``FNR - FPR`` changes sign; its threshold is the score at the ROC
  point that reaches the crossing.
- Log loss: mean binary cross-entropy in nats with scores clipped to
  ``[eps, 1 - eps]`` (the DFDC metric; unclipped, one confident mistake is infinite).
- Accuracy and the confusion matrix at a threshold.

Video scores (:data:`AGGREGATIONS`):

- ``mean``: the mean of every face score of the sampled frames.
- ``confident``: Selim Seferbekov's rule from his DFDC-winning solution
  (``confident_strategy`` in ``kernel_utils.py`` of ``selimsef/dfdc_deepfake_challenge``).
  With ``n`` face scores: if more than ``n // 2.5`` (about 40%) *and* more than 11 of
  them are confidently fake (> 0.8), the video score is the mean of those confident
  fake scores; else, if more than 90% are confidently real (< 0.2), it is the mean of
  those; otherwise it is the plain mean. A swap often only shows in part of the frames
  (turned head, occlusion), so averaging everything would pull a clearly fake video
  towards 0.5; the two guards keep a handful of false alarms from doing the same to a
  real video. The 11 is an absolute count meant for 32 sampled frames: with fewer face
  scores than 12 the first branch never fires.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

ArrayLike = Sequence[float] | Sequence[int] | np.ndarray

LOG_LOSS_EPS = 1e-15


def _arrays(labels: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=np.int64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length: {y.size} vs {s.size}")
    if y.size == 0:
        raise ValueError("no scores to evaluate")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (real) or 1 (fake)")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite numbers")
    return y, s


def _both_classes(y: np.ndarray, what: str) -> None:
    if y.min() == y.max():
        raise ValueError(f"{what} needs both real (0) and fake (1) labels")


@dataclass(frozen=True)
class RocCurve:
    """ROC points in threshold order; ``thresholds[0]`` is +inf (nothing called fake)."""

    fpr: tuple[float, ...]
    tpr: tuple[float, ...]
    thresholds: tuple[float, ...]

    def as_dict(self) -> dict[str, list[float | None]]:
        # JSON has no infinity; the first threshold ("above every score") becomes None.
        return {
            "fpr": list(self.fpr),
            "tpr": list(self.tpr),
            "thresholds": [None if not np.isfinite(t) else t for t in self.thresholds],
        }


def _roc_counts(
    labels: ArrayLike, scores: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """``(tp, fp, thresholds, positives, negatives)`` per ROC point, counts as integers."""
    y, s = _arrays(labels, scores)
    _both_classes(y, "a ROC curve")
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    # Last index of each run of equal scores: the curve moves once per distinct score.
    ends = np.r_[np.flatnonzero(np.diff(s_sorted)), s_sorted.size - 1]
    tp = np.r_[0, np.cumsum(y_sorted)[ends]]
    fp = np.r_[0, (ends + 1) - tp[1:]]
    positives = int(y.sum())
    return tp, fp, np.r_[np.inf, s_sorted[ends]], positives, int(y.size) - positives


def roc_curve(labels: ArrayLike, scores: ArrayLike) -> RocCurve:
    """The ROC curve: one point per distinct score, plus the (0, 0) start."""
    tp, fp, thresholds, positives, negatives = _roc_counts(labels, scores)
    return RocCurve(
        fpr=tuple(float(v) for v in fp / negatives),
        tpr=tuple(float(v) for v in tp / positives),
        thresholds=tuple(float(v) for v in thresholds),
    )


def roc_auc(labels: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve (trapezoids; ties count half)."""
    curve = roc_curve(labels, scores)
    fpr, tpr = np.asarray(curve.fpr), np.asarray(curve.tpr)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def equal_error_rate(labels: ArrayLike, scores: ArrayLike) -> tuple[float, float]:
    """``(eer, threshold)``: where the false positive and false negative rates meet."""
    tp, fp, thresholds, positives, negatives = _roc_counts(labels, scores)
    # FNR - FPR in whole counts (times positives * negatives), so an exact meeting point
    # is found exactly rather than missed by a rounding error.
    diff = (positives - tp) * negatives - fp * positives
    i = int(np.flatnonzero(diff <= 0)[0])  # diff starts > 0 and ends < 0
    d0, d1 = float(diff[i - 1]), float(diff[i])
    t = d0 / (d0 - d1)
    fpr = fp / negatives
    eer = fpr[i - 1] + t * (fpr[i] - fpr[i - 1])
    return float(eer), float(thresholds[i])


def log_loss(labels: ArrayLike, scores: ArrayLike, eps: float = LOG_LOSS_EPS) -> float:
    """Mean binary cross-entropy (nats), scores clipped to ``[eps, 1 - eps]``."""
    y, s = _arrays(labels, scores)
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps}")
    p = np.clip(s, eps, 1.0 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1.0 - p)))


@dataclass(frozen=True)
class Confusion:
    """Counts at one threshold: tp = fakes called fake, tn = reals called real."""

    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / max(self.tp + self.fp + self.tn + self.fn, 1)

    def as_dict(self) -> dict[str, float | int]:
        return {**asdict(self), "accuracy": self.accuracy}


def confusion_matrix(labels: ArrayLike, scores: ArrayLike, threshold: float = 0.5) -> Confusion:
    """Confusion counts with "fake" predicted when ``score >= threshold``."""
    y, s = _arrays(labels, scores)
    fake = s >= threshold
    return Confusion(
        threshold=float(threshold),
        tp=int(np.sum(fake & (y == 1))),
        fp=int(np.sum(fake & (y == 0))),
        tn=int(np.sum(~fake & (y == 0))),
        fn=int(np.sum(~fake & (y == 1))),
    )


def accuracy(labels: ArrayLike, scores: ArrayLike, threshold: float = 0.5) -> float:
    """Share of scores on the right side of ``threshold``."""
    return confusion_matrix(labels, scores, threshold).accuracy


@dataclass(frozen=True)
class BinaryMetrics:
    """Everything the trainer reports per epoch, on one labeled set of scores."""

    count: int
    auc: float | None  # None when only one class is present
    log_loss: float
    accuracy: float
    eer: float | None
    eer_threshold: float | None
    confusion: Confusion

    def as_dict(self) -> dict:
        data = asdict(self)
        data["confusion"] = self.confusion.as_dict()
        return data


def binary_metrics(labels: ArrayLike, scores: ArrayLike, threshold: float = 0.5) -> BinaryMetrics:
    """AUC, log loss, accuracy, EER and confusion at ``threshold`` in one call."""
    y, s = _arrays(labels, scores)
    both = y.min() != y.max()
    eer, eer_threshold = equal_error_rate(y, s) if both else (None, None)
    return BinaryMetrics(
        count=int(y.size),
        auc=roc_auc(y, s) if both else None,
        log_loss=log_loss(y, s),
        accuracy=accuracy(y, s, threshold),
        eer=eer,
        eer_threshold=eer_threshold,
        confusion=confusion_matrix(y, s, threshold),
    )


# --- video score from face scores ---------------------------------------------------


def mean_score(scores: ArrayLike) -> float | None:
    """Mean of the face scores; None when there are none (no faces: no score)."""
    s = np.asarray(scores, dtype=np.float64).ravel()
    return float(s.mean()) if s.size else None


def confident_strategy(
    scores: ArrayLike,
    *,
    fake_threshold: float = 0.8,
    real_threshold: float = 0.2,
    fake_share_divisor: float = 2.5,
    min_fake_count: int = 11,
    real_share: float = 0.9,
) -> float | None:
    """Selim Seferbekov's DFDC video score (see the module docstring); None for no scores.

    The defaults are his: more than ``n // 2.5`` and more than 11 scores above 0.8 give
    their mean; else more than 90% of scores below 0.2 give theirs; else the mean.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    if s.size == 0:
        return None
    confident_fake = s > fake_threshold
    fakes = int(confident_fake.sum())
    if fakes > s.size // fake_share_divisor and fakes > min_fake_count:
        return float(s[confident_fake].mean())
    confident_real = s < real_threshold
    if int(confident_real.sum()) > real_share * s.size:
        return float(s[confident_real].mean())
    return float(s.mean())


#: Video-score rules by name: ``AGGREGATIONS["confident"](face_scores)``.
AGGREGATIONS: dict[str, Callable[[ArrayLike], float | None]] = {
    "mean": mean_score,
    "confident": confident_strategy,
}

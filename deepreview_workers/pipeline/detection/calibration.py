"""Making a detector's score a probability, and saying what its threshold means.

Both trainers (the built-in recipe and a project's detector) fit Platt scaling on their
held-out validation faces, ``p = sigmoid(a * logit + b)``, and store it in the
checkpoint with the share of validation real videos the threshold flags.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepreview_workers.pipeline.detection.metrics import confident_strategy, equal_error_rate


def fit_platt(logits: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Platt scaling: ``p = sigmoid(a * logit + b)``, fitted by log loss against Platt's
    smoothed targets ((N+ + 1) / (N+ + 2) for fakes, 1 / (N- + 2) for reals), which keep a
    validation set the detector separates perfectly from driving ``a`` to infinity."""
    from scipy.optimize import minimize

    z = np.asarray(logits, np.float64).ravel()
    y = np.asarray(labels, np.float64).ravel()
    positives, negatives = float(y.sum()), float(len(y) - y.sum())
    target = np.where(y > 0.5, (positives + 1) / (positives + 2), 1 / (negatives + 2))

    def loss(params: np.ndarray) -> float:
        t = params[0] * z + params[1]
        # log(1 + e^t) - target * t, written to stay finite for large |t|
        return float(np.mean(np.logaddexp(0.0, t) - target * t))

    fit = minimize(loss, x0=np.array([1.0, 0.0]), method="L-BFGS-B")
    return {"method": "platt", "a": float(fit.x[0]), "b": float(fit.x[1])}


def apply_calibration(logits: np.ndarray, calibration: dict[str, Any] | None) -> np.ndarray:
    """``sigmoid(a * logit + b)``; plain ``sigmoid(logit)`` without a calibration."""
    z = np.asarray(logits, np.float64)
    if calibration:
        z = calibration["a"] * z + calibration["b"]
    return 1.0 / (1.0 + np.exp(-z))


def decision_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The equal-error point's threshold, moved halfway down to the next lower score.

    Any threshold in that gap calls the validation faces alike; its lower end would be
    the lowest fake of the point, and on a small split the detector separates perfectly
    that sits high (0.89 on one fine-tune), above most fakes it had not seen. Halfway
    leaves unseen faces a margin on both sides."""
    scores = np.asarray(scores, np.float64)
    _eer, threshold = equal_error_rate(labels, scores)
    below = scores[scores < threshold]
    return float((threshold + below.max()) / 2) if below.size else float(threshold)


def video_false_positive_rate(
    probabilities: np.ndarray, labels: np.ndarray, groups: np.ndarray, threshold: float
) -> dict[str, float]:
    """Share of real videos (the ``groups`` of faces labelled 0) whose confident-frames
    score reaches ``threshold``."""
    probabilities, labels, groups = map(np.asarray, (probabilities, labels, groups))
    real = np.unique(groups[labels == 0])
    flagged = sum(
        (confident_strategy(probabilities[(groups == g) & (labels == 0)]) or 0.0) >= threshold
        for g in real
    )
    return {"videos": len(real), "false_positive_rate": flagged / max(len(real), 1)}

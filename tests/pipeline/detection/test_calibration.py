"""Calibration of a project's detector: Platt scaling on its validation faces, the
threshold in calibrated terms and the share of real videos it flags."""

from __future__ import annotations

import numpy as np
import pytest

from deepreview_workers.pipeline.detection.calibration import (
    apply_calibration,
    decision_threshold,
    video_false_positive_rate,
)
from deepreview_workers.pipeline.detection.metrics import binary_metrics
from deepreview_workers.pipeline.detection.train import calibrate


def _overconfident(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and logits five times too sure of themselves, with some overlap."""
    labels = rng.integers(0, 2, n)
    logits = 5.0 * (rng.normal(0.0, 1.0, n) + np.where(labels == 1, 1.0, -1.0))
    return logits, labels


def test_calibration_lowers_log_loss_on_a_held_out_split():
    rng = np.random.default_rng(0)
    fit_logits, fit_labels = _overconfident(rng, 400)
    held_logits, held_labels = _overconfident(rng, 400)
    videos = np.arange(400).astype(str)
    calibration, _threshold, validation = calibrate(fit_logits, fit_labels, videos)
    assert calibration is not None and 0 < calibration["a"] < 1  # it softens
    assert validation["faces"]["log_loss"] < validation["log_loss_uncalibrated"]
    raw = binary_metrics(held_labels, apply_calibration(held_logits, None)).log_loss
    calibrated = binary_metrics(held_labels, apply_calibration(held_logits, calibration))
    assert calibrated.log_loss < 0.8 * raw


def test_threshold_is_the_equal_error_point_of_the_calibrated_scores():
    rng = np.random.default_rng(1)
    logits, labels = _overconfident(rng, 300)
    calibration, threshold, validation = calibrate(logits, labels, np.arange(300).astype(str))
    scores = apply_calibration(logits, calibration)
    assert np.allclose(validation["scores"], scores)
    at_eer = binary_metrics(labels, scores, threshold=binary_metrics(labels, scores).eer_threshold)
    at_threshold = validation["faces"]["confusion"]
    assert at_threshold["threshold"] == threshold < at_eer.eer_threshold
    # The same calls on every validation face as the equal-error point itself.
    assert {**at_threshold, "threshold": 0} == {**at_eer.confusion.as_dict(), "threshold": 0}


def test_threshold_of_a_perfectly_separated_split_sits_midway_between_the_classes():
    """On a few faces it gets all right, the threshold is not the lowest fake's score
    (which unseen fakes mostly score below) but halfway to the highest real's."""
    labels = np.array([0, 0, 0, 1, 1, 1])
    scores = np.array([0.05, 0.2, 0.3, 0.9, 0.95, 0.99])
    assert decision_threshold(labels, scores) == pytest.approx(0.6)


def test_a_detector_ranking_the_wrong_way_is_not_turned_upside_down():
    rng = np.random.default_rng(2)
    logits, labels = _overconfident(rng, 200)
    calibration, _threshold, validation = calibrate(-logits, labels, np.arange(200).astype(str))
    assert calibration is None
    assert np.allclose(validation["scores"], apply_calibration(-logits, None))


def test_false_positive_rate_counts_real_videos_not_faces():
    # Video a: 20 confident fake-looking faces of a real video; b and c: clearly real.
    scores = np.r_[np.full(20, 0.95), np.full(20, 0.05), np.full(5, 0.1), np.full(30, 0.9)]
    labels = np.r_[np.zeros(45, int), np.ones(30, int)]
    videos = np.array(["a"] * 20 + ["b"] * 20 + ["c"] * 5 + ["fake"] * 30)
    rate = video_false_positive_rate(scores, labels, videos, 0.5)
    assert rate == {"videos": 3, "false_positive_rate": 1 / 3}

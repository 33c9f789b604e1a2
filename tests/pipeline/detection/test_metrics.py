"""Detector metrics and video-score rules against hand-computed examples."""

from __future__ import annotations

import math

import pytest

from deepreview_workers.pipeline.detection.metrics import (
    AGGREGATIONS,
    accuracy,
    binary_metrics,
    confident_strategy,
    confusion_matrix,
    equal_error_rate,
    log_loss,
    mean_score,
    roc_auc,
    roc_curve,
)

# Four faces: two real (0.1, 0.4), two fake (0.35, 0.8).
LABELS = [0, 0, 1, 1]
SCORES = [0.1, 0.4, 0.35, 0.8]


def test_roc_curve_points_by_hand():
    curve = roc_curve(LABELS, SCORES)
    # Thresholds from "above everything" down: 0.8 catches one fake, 0.4 adds a real,
    # 0.35 the second fake, 0.1 the second real.
    assert curve.thresholds == (math.inf, 0.8, 0.4, 0.35, 0.1)
    assert curve.tpr == (0.0, 0.5, 0.5, 1.0, 1.0)
    assert curve.fpr == (0.0, 0.0, 0.5, 0.5, 1.0)
    assert curve.as_dict()["thresholds"][0] is None  # JSON has no infinity


def test_auc_by_hand_including_ties():
    # 3 of the 4 (real, fake) pairs are ordered right: AUC 0.75.
    assert roc_auc(LABELS, SCORES) == pytest.approx(0.75)
    # Pairs: (0.2<0.6), (0.2<0.9), (0.6=0.6 counts half), (0.6<0.9): 3.5 / 4.
    assert roc_auc([0, 0, 1, 1], [0.2, 0.6, 0.6, 0.9]) == pytest.approx(0.875)
    assert roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert roc_auc([0, 1], [0.2, 0.7]) == 1.0
    assert roc_auc([1, 0], [0.2, 0.7]) == 0.0


def test_equal_error_rate_by_hand():
    # At threshold 0.4 one real of two is called fake (FPR 0.5) and one fake of two is
    # missed (FNR 0.5): the rates meet there.
    eer, threshold = equal_error_rate(LABELS, SCORES)
    assert eer == pytest.approx(0.5) and threshold == 0.4
    # Perfect separation: the rates meet at 0.
    eer, threshold = equal_error_rate([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert eer == 0.0 and threshold == 0.8
    # Sorted: 0.9 F, 0.8 F, 0.7 R, 0.5 F, 0.2 R, 0.1 R. At 0.7 one real of three is
    # called fake and one fake of three is missed: both rates 1/3.
    eer, threshold = equal_error_rate([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.7, 0.5, 0.8, 0.9])
    assert eer == pytest.approx(1 / 3) and threshold == 0.7
    # A tie moves the curve diagonally from (FPR 0, FNR 1) to (1, 0): the rates meet
    # half way along it, interpolated.
    eer, threshold = equal_error_rate([0, 1], [0.5, 0.5])
    assert eer == pytest.approx(0.5) and threshold == 0.5


def test_log_loss_by_hand_and_clipped():
    # -(ln 0.8 + ln 0.7) / 2
    assert log_loss([1, 0], [0.8, 0.3]) == pytest.approx((0.2231436 + 0.3566749) / 2, abs=1e-6)
    # A certain mistake is clipped at 1e-15 instead of being infinite: -ln(1e-15).
    assert log_loss([1], [0.0]) == pytest.approx(34.538776, abs=1e-5)
    assert log_loss([1, 0], [1.0, 0.0]) == pytest.approx(0.0, abs=1e-12)


def test_accuracy_and_confusion_at_thresholds():
    at_half = confusion_matrix(LABELS, SCORES, 0.5)
    assert (at_half.tp, at_half.fp, at_half.tn, at_half.fn) == (1, 0, 2, 1)
    assert accuracy(LABELS, SCORES) == 0.75
    lower = confusion_matrix(LABELS, SCORES, 0.35)  # "fake" includes a score equal to it
    assert (lower.tp, lower.fp, lower.tn, lower.fn) == (2, 1, 1, 0)
    assert lower.as_dict()["accuracy"] == 0.75


def test_binary_metrics_bundle():
    metrics = binary_metrics(LABELS, SCORES)
    assert metrics.auc == pytest.approx(0.75) and metrics.eer == pytest.approx(0.5)
    assert metrics.count == 4 and metrics.accuracy == 0.75
    assert metrics.as_dict()["confusion"]["tp"] == 1
    one_class = binary_metrics([1, 1], [0.9, 0.8])
    assert one_class.auc is None and one_class.eer is None


@pytest.mark.parametrize(
    "labels, scores",
    [([], []), ([0, 1], [0.5]), ([0, 2], [0.1, 0.2]), ([0, 1], [0.1, float("nan")])],
)
def test_bad_inputs_are_refused(labels, scores):
    with pytest.raises(ValueError):
        log_loss(labels, scores)


def test_auc_needs_both_classes():
    with pytest.raises(ValueError, match="both real"):
        roc_auc([1, 1], [0.2, 0.3])


def test_mean_score():
    assert mean_score([0.2, 0.4, 0.9]) == pytest.approx(0.5)
    assert mean_score([]) is None


def test_confident_strategy_fake_branch():
    # 13 of 32 above 0.8: more than 32 // 2.5 = 12 and more than 11 -> their mean.
    assert confident_strategy([0.9] * 13 + [0.5] * 19) == pytest.approx(0.9)
    # 12 of 32 is not more than 12 -> no confident branch applies -> plain mean.
    assert confident_strategy([0.9] * 12 + [0.5] * 20) == pytest.approx((10.8 + 10) / 32)
    # Few scores: 10 confident fakes are not more than 11 -> plain mean of all.
    assert confident_strategy([0.95] * 10 + [0.3] * 2) == pytest.approx((9.5 + 0.6) / 12)


def test_confident_strategy_real_branch():
    # 29 of 32 below 0.2 is more than 90% (28.8) -> the mean of those.
    assert confident_strategy([0.1] * 29 + [0.9] * 3) == pytest.approx(0.1)
    # 28 of 32 is not -> plain mean.
    assert confident_strategy([0.1] * 28 + [0.9] * 4) == pytest.approx((2.8 + 3.6) / 32)
    assert confident_strategy([]) is None


def test_aggregations_by_name():
    assert set(AGGREGATIONS) == {"mean", "confident"}
    assert AGGREGATIONS["mean"]([0.0, 1.0]) == 0.5

"""Per-video signal normalisation: robust z-score and its 0..1 mapping, by hand."""

from __future__ import annotations

import pytest

from deepreview_workers.pipeline.detection.normalise import (
    fit_scale,
    normalise,
    robust_z,
    unit_from_z,
)


def test_robust_z_ignores_one_outlier():
    z, norm, scale = normalise([1, 2, 3, 4, 100])
    # median 3; absolute deviations 2, 1, 0, 1, 97 -> MAD 1 -> spread 1.4826
    assert scale.centre == 3 and scale.spread == pytest.approx(1.4826)
    assert z[0] == pytest.approx(-2 / 1.4826)
    assert z[2] == 0.0 and norm[2] == 0.5
    assert z[4] == 10.0  # 97 / 1.4826 = 65 sds, clipped to 10
    assert norm[4] == 1.0
    assert norm[0] == pytest.approx(0.5 - (2 / 1.4826) / 6)


def test_zero_mad_falls_back_to_mean_absolute_deviation():
    # deviations 0, 0, 0, 0, 4: MAD 0; mean absolute deviation 0.8 * 1.2533
    z, norm, scale = normalise([5, 5, 5, 5, 9])
    assert scale.spread == pytest.approx(0.8 * 1.2533)
    assert z[4] == pytest.approx(4 / (0.8 * 1.2533))
    assert norm[4] == 1.0 and norm[0] == pytest.approx(0.5 - (0 / 1) / 6)


def test_constant_signal_stays_flat_at_half():
    z, norm, scale = normalise([0.3, 0.3, 0.3])
    assert scale.spread == 0.0
    assert z == [0.0, 0.0, 0.0] and norm == [0.5, 0.5, 0.5]


def test_missing_values_stay_missing_and_do_not_count():
    z, norm, scale = normalise([None, 1.0, 3.0, float("nan")])
    assert scale.count == 2 and scale.centre == 2.0
    assert z[0] is None and norm[0] is None and z[3] is None
    assert z[2] == pytest.approx(1 / 1.4826)


def test_empty_and_mapping_ends():
    assert fit_scale([]).count == 0
    assert robust_z(None, fit_scale([1, 2])) is None
    assert unit_from_z(3.0) == 1.0 and unit_from_z(-3.0) == 0.0 and unit_from_z(1.5) == 0.75

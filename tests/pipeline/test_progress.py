import pytest

from deepreview_workers.pipeline.progress import Cancelled, no_progress, scaled


def test_scaled_maps_sub_step_into_its_range():
    seen = []
    sub = scaled(lambda fraction, message: seen.append((fraction, message)), 0.2, 0.6)
    sub(0.0, "start")
    sub(0.5, "half")
    sub(1.0, "end")
    sub(1.7, "overshoot")
    assert seen == [(0.2, "start"), (pytest.approx(0.4), "half"), (0.6, "end"), (0.6, "overshoot")]


def test_scaled_rejects_inverted_range():
    with pytest.raises(ValueError):
        scaled(no_progress, 0.8, 0.2)


def test_cancelled_propagates_through_scaled():
    def cancel(fraction: float, message: str) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        scaled(cancel, 0.0, 0.5)(0.1, "working")

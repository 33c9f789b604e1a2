"""What detector training reads from the project: labeled videos and ground truth."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from deepreview.detection.jobs import detector_training_videos
from deepreview_workers.pipeline.swap.groundtruth import read_ground_truth
from tests.exports.conftest import source_project  # noqa: F401  (the fixture)
from tests.pipeline.dataset.media import PASTED

pytestmark = pytest.mark.django_db


def test_a_conversion_brings_its_ground_truth_masks_to_training(source_project):  # noqa: F811
    videos = detector_training_videos(
        detector=SimpleNamespace(project=source_project), frames_per_video=4
    )
    by_label = {video.label: video for video in videos}
    assert by_label["real"].ground_truth is None
    with by_label["fake"].ground_truth() as path:
        truth = read_ground_truth(path)
    assert truth.manipulated_frames == list(range(PASTED[0], PASTED[1] + 1))

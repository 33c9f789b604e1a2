"""Keeping the best N faces by head angle, without a database."""

from __future__ import annotations

from deepreview_workers.pipeline.curation.best import PosedFace, best_by_pose_drops


def test_every_angle_keeps_a_face_before_any_angle_keeps_two():
    # Sharpest first: four frontal faces, then one profile face each way.
    faces = [PosedFace(0.0, 0.0, "a")] * 4 + [PosedFace(-60.0, 0.0, "a"), PosedFace(60.0, 0, "a")]
    drops = best_by_pose_drops(faces, 3)
    assert drops == [1, 2, 3]  # the sharpest frontal and both profiles stay


def test_a_bin_alternates_sources_and_nothing_drops_when_few():
    faces = [PosedFace(5.0, 5.0, "video-1")] * 3 + [PosedFace(5.0, 5.0, "video-2")]
    assert best_by_pose_drops(faces, 2) == [1, 2]  # the sharpest of each source stays
    assert best_by_pose_drops(faces, 4) == [] and best_by_pose_drops([], 3) == []

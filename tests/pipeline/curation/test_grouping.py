"""People from embeddings: track centres and leader clustering, on real faces."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from deepreview_workers.pipeline.curation.grouping import (
    group_centres,
    identity_clusters,
    leader_clusters,
)
from deepreview_workers.pipeline.embed import embedders
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.landmarks import landmarkers
from tests.media_paths import FACES, SHARED_MEDIA

REAL_IMAGES = SHARED_MEDIA / "real_images"


@pytest.fixture(scope="module")
def embed_photo():
    detector, landmarker = detectors.create("mtcnn"), landmarkers.create("dlib68")
    embedder = embedders.create("dlib_resnet")

    def embed(path) -> np.ndarray:  # noqa: ANN001
        frame = np.asarray(Image.open(path).convert("RGB"))
        hits = sorted(detector.detect(frame), key=lambda hit: -hit.score)
        return embedder.embed(frame, landmarker.predict(frame, [hits[0].box]))[0]

    return embed


@pytest.mark.skipif(not REAL_IMAGES.is_dir(), reason="shared media absent")
def test_two_photos_of_each_person_cluster_together_and_apart_from_others(embed_photo):
    photos = [
        REAL_IMAGES / "biden_2.jpg",
        REAL_IMAGES / "pd_biden_official_vp_portrait.jpg",
        REAL_IMAGES / "obama_biden_two_people.jpg",  # the most confident face: Obama
        REAL_IMAGES / "pd_obama_official_portrait_2012.jpg",
        *FACES,  # five other people, one photo each
    ]
    vectors = np.stack([embed_photo(p) for p in photos])
    labels = identity_clusters(list(range(len(photos))), vectors)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2]
    assert len(set(labels.tolist())) == 2 + len(photos) - 4


def test_a_track_is_one_person_and_the_largest_person_is_label_0():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16), rng.normal(size=16)
    vectors = np.stack([a, a, b, a + 0.01, b, b, b])
    keys = ["t1", "t1", "t2", "t3", "t2", "t2", "t2"]
    labels = identity_clusters(keys, vectors, threshold=0.5)
    assert labels.tolist() == [1, 1, 0, 1, 0, 0, 0]
    group_keys, centres, sizes = group_centres(keys, vectors)
    assert group_keys == ["t1", "t2", "t3"] and sizes.tolist() == [2, 4, 1]
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 1.0)


def test_leader_clustering_compares_with_centres_so_it_does_not_chain():
    # Points 0.3 apart along a line: single linkage at 0.35 would join all five.
    angles = np.radians([0, 17.5, 35, 52.5, 70])
    centres = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    labels = leader_clusters(centres, np.ones(5, dtype=int), threshold=0.35)
    assert len(set(labels.tolist())) >= 2
    assert leader_clusters(np.zeros((0, 2)), np.zeros(0, dtype=int), 0.3).size == 0
    with pytest.raises(ValueError):
        leader_clusters(centres, np.ones(5, dtype=int), threshold=0)

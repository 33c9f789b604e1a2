"""Curation orderings: each key's direction, missing values last, stable ties."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pytest

from deepreview_workers.pipeline.curation.order import SORT_KEYS, identity_distances, sort_faces
from deepreview_workers.pipeline.types import FaceMetrics

BASE = FaceMetrics(
    blur=100.0,
    face_size=100.0,
    brightness=128.0,
    hue=20.0,
    histogram=(0.25, 0.25, 0.25, 0.25),
    yaw=0.0,
    pitch=0.0,
    roll=0.0,
    confidence=0.99,
)


@dataclass(frozen=True)
class Record:
    metrics: FaceMetrics
    embedding: np.ndarray | None


def _unit(seed: int, near: np.ndarray | None = None) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=128)
    if near is not None:
        v = near + 0.05 * v / np.linalg.norm(v)
    return (v / np.linalg.norm(v)).astype(np.float32)


def _records(**columns) -> list[Record]:
    count = len(next(iter(columns.values())))
    return [
        Record(replace(BASE, **{k: v[i] for k, v in columns.items()}), None) for i in range(count)
    ]


def test_identity_puts_the_odd_person_out_first():
    alice = _unit(0)
    records = [Record(BASE, _unit(i, near=alice)) for i in range(1, 8)]
    records.insert(3, Record(BASE, _unit(99)))  # someone else
    records.append(Record(BASE, None))  # never embedded
    order = sort_faces(records, "identity")
    assert order[0] == 3 and order[-1] == len(records) - 1
    # Against a chosen reference: the chosen face itself comes last among the embedded.
    by_reference = sort_faces(records, "identity", reference_embedding=records[5].embedding)
    assert by_reference[0] == 3 and by_reference[-2] == 5


def test_identity_reference_must_match_the_embedder():
    records = [Record(BASE, _unit(1))]
    with pytest.raises(ValueError, match="same embedder"):
        identity_distances([r.embedding for r in records], np.zeros(512))


@pytest.mark.parametrize(
    ("key", "column", "values", "expected"),
    [
        ("blur", "blur", [50.0, 5.0, 500.0], [1, 0, 2]),  # blurriest first
        ("size", "face_size", [120.0, 40.0, 80.0], [1, 2, 0]),  # smallest first
        ("yaw", "yaw", [10.0, -30.0, 0.0], [1, 2, 0]),  # image-left ... image-right
        ("pitch", "pitch", [5.0, 15.0, -20.0], [2, 0, 1]),  # down ... up
        ("brightness", "brightness", [30.0, 200.0, 90.0], [0, 2, 1]),  # darkest first
        ("confidence", "confidence", [0.99, 0.91, 0.95], [1, 2, 0]),  # least sure first
        ("hue", "hue", [10.0, 350.0, 180.0, 5.0], [2, 1, 0, 3]),  # mean ~2.5 deg: 180 first
    ],
)
def test_metric_keys_put_the_worst_first(key: str, column: str, values: list, expected: list):
    records = _records(**{column: values})
    assert sort_faces(records, key) == expected
    assert sort_faces(records, key, reverse=True) == expected[::-1]


def test_hist_puts_the_least_typical_colours_first():
    typical = (0.4, 0.3, 0.2, 0.1)
    records = _records(histogram=[typical, typical, (0.0, 0.0, 0.1, 0.9), (0.35, 0.35, 0.2, 0.1)])
    order = sort_faces(records, "hist")
    assert order[0] == 2 and order[-2:] == [0, 1]


def test_missing_values_go_last_and_ties_keep_input_order():
    records = _records(blur=[math.nan, 10.0, 10.0, 3.0, 10.0])
    assert sort_faces(records, "blur") == [3, 1, 2, 4, 0]
    assert sort_faces(records, "blur", reverse=True) == [1, 2, 4, 3, 0]


@pytest.mark.parametrize("key", SORT_KEYS)
def test_every_key_returns_a_permutation(key: str):
    rng = np.random.default_rng(3)
    records = [
        Record(
            replace(
                BASE,
                blur=float(rng.uniform(0, 100)),
                hue=float(rng.uniform(0, 360)),
                histogram=tuple(rng.dirichlet(np.ones(4))),
            ),
            _unit(i),
        )
        for i in range(20)
    ]
    assert sorted(sort_faces(records, key)) == list(range(20))
    assert sort_faces([], key) == []


def test_unknown_key_names_the_choices():
    with pytest.raises(ValueError, match="Unknown sort key 'sharpness'; choose one of: identity"):
        sort_faces([], "sharpness")

"""Near-duplicate faces across splits, by identity embedding.

Identity-disjoint splits keep each *named* person in one split, but the same footage can
still reach two splits under two names (a video uploaded twice, a person labeled
differently in two projects). Faces whose dlib embeddings lie closer than
``dedupe_distance`` (Euclidean, on L2-normalised vectors; 0 = the same face) are treated
as the same face: it stays in the earlier split (train, then validation, then test)
and is dropped from the later one, so no test face was seen in training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from deepreview_workers.pipeline.dataset.faces import SampledFace
from deepreview_workers.pipeline.dataset.types import SPLITS

_CHUNK = 256  # rows per distance block: memory stays O(chunk x faces), not faces^2


@dataclass(frozen=True)
class Duplicate:
    """A dropped face and the kept face it duplicates (names as in the export)."""

    dropped: str  # <video>_<frame>_<face>
    dropped_split: str
    kept: str
    kept_split: str
    distance: float

    def as_dict(self) -> dict:
        return {
            "dropped": self.dropped,
            "dropped_split": self.dropped_split,
            "kept": self.kept,
            "kept_split": self.kept_split,
            "distance": round(self.distance, 4),
        }


@dataclass(frozen=True)
class DedupeResult:
    kept: tuple[SampledFace, ...]
    duplicates: tuple[Duplicate, ...]


def _matrix(faces: Sequence[SampledFace]) -> np.ndarray:
    if not faces:
        return np.zeros((0, 0), np.float32)
    return np.stack([np.asarray(f.embedding, np.float64).ravel() for f in faces])


def remove_cross_split_duplicates(
    faces: Sequence[SampledFace], splits: Mapping[str, str], distance: float
) -> DedupeResult:
    """Drop faces of a later split that lie within ``distance`` of a kept face of an
    earlier one. ``splits`` maps video key -> split; faces keep their input order.

    Faces within one split are left alone (near-identical neighbouring frames of one
    video are normal there and do not leak anything). ``distance`` <= 0 disables the
    check.
    """
    if distance <= 0:
        return DedupeResult(tuple(faces), ())
    by_split = {s: [f for f in faces if splits[f.video] == s] for s in SPLITS}
    earlier: list[SampledFace] = []
    duplicates: list[Duplicate] = []
    dropped: set[int] = set()
    for split in SPLITS:
        current = by_split[split]
        if earlier and current:
            reference = _matrix(earlier)
            reference_sq = (reference**2).sum(axis=1)
            vectors = _matrix(current)
            for start in range(0, len(current), _CHUNK):
                block = vectors[start : start + _CHUNK]
                # |a - b|^2 = |a|^2 + |b|^2 - 2 a.b: one matrix product per block.
                squared = (block**2).sum(axis=1)[:, None] + reference_sq[None, :]
                gaps = np.sqrt(np.maximum(squared - 2.0 * block @ reference.T, 0.0))
                nearest = gaps.argmin(axis=1)
                for row, column in enumerate(nearest):
                    gap = float(gaps[row, column])
                    if gap < distance:
                        face, match = current[start + row], earlier[column]
                        dropped.add(id(face))
                        duplicates.append(
                            Duplicate(face.name, split, match.name, splits[match.video], gap)
                        )
        earlier.extend(f for f in current if id(f) not in dropped)
    kept = tuple(f for f in faces if id(f) not in dropped)
    return DedupeResult(kept, tuple(duplicates))


__all__ = ["DedupeResult", "Duplicate", "remove_cross_split_duplicates"]

"""Orderings of a faceset for curation: the faces you most likely want to remove come first.

Directions by key (``reverse=True`` flips any of them):

==========  ==========================================================================
identity    distance to the reference embedding (or to the mean of all embeddings),
            largest first: other people and false detections lead
blur        variance of the Laplacian, smallest first: the blurriest lead
size        face size in the source frame, smallest first
yaw         signed yaw, ascending: turned to the image's left (-) ... right (+)
pitch       signed pitch, ascending: looking down (-) ... up (+)
brightness  mean V, darkest first
hue         circular distance of the mean hue from the set's mean hue, largest first:
            odd colour grading or lighting leads
hist        Bhattacharyya similarity to the set's mean colour histogram, smallest first
confidence  detector score, lowest first: likely false positives lead
==========  ==========================================================================

Faces whose value is missing (no embedding, NaN metric) always go last; ties keep
input order, so sorting is stable and deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from deepreview_workers.pipeline.curation.grouping import unit_rows
from deepreview_workers.pipeline.types import FaceMetrics

SORT_KEYS = ("identity", "blur", "size", "yaw", "pitch", "brightness", "hue", "hist", "confidence")

# key -> (FaceMetrics field, True when the largest value should come first)
_METRIC_KEYS = {
    "blur": ("blur", False),
    "size": ("face_size", False),
    "yaw": ("yaw", False),
    "pitch": ("pitch", False),
    "brightness": ("brightness", False),
    "confidence": ("confidence", False),
}


class SortableFace(Protocol):
    """What sorting reads: ``ExtractedFace`` and ``alignments.FaceRecord`` both fit."""

    metrics: FaceMetrics
    embedding: np.ndarray | None


def identity_distances(
    embeddings: Sequence[np.ndarray | None], reference_embedding: np.ndarray | None = None
) -> np.ndarray:
    """(N,) float64 Euclidean distance of each unit embedding to the unit reference.

    Without a reference, the reference is the normalised mean of all unit embeddings
    (the faceset's centre). Faces without an embedding get NaN.
    """
    present = [i for i, e in enumerate(embeddings) if e is not None]
    distances = np.full(len(embeddings), np.nan)
    if not present:
        return distances
    vectors = unit_rows(np.stack([np.asarray(embeddings[i], np.float64).ravel() for i in present]))
    if reference_embedding is None:
        centre = vectors.mean(axis=0)
    else:
        centre = np.asarray(reference_embedding, dtype=np.float64).ravel()
        if centre.shape != vectors.shape[1:]:
            raise ValueError(
                f"reference embedding has {centre.size} values, the faces "
                f"{vectors.shape[1]}: were they made by the same embedder?"
            )
    norm = np.linalg.norm(centre)
    centre = centre / norm if norm > 0 else centre
    distances[present] = np.linalg.norm(vectors - centre, axis=1)
    return distances


def histogram_similarity(
    a: tuple[float, ...] | np.ndarray, b: tuple[float, ...] | np.ndarray
) -> float:
    """Bhattacharyya coefficient of two normalised histograms: 1 = identical, 0 = disjoint.

    ``a``, ``b``: equal-length sequences of non-negative floats (normalised here again,
    so raw counts work too).
    """
    p = np.asarray(a, dtype=np.float64).ravel()
    q = np.asarray(b, dtype=np.float64).ravel()
    if p.shape != q.shape:
        raise ValueError(f"histograms differ in length: {p.size} vs {q.size}")
    p_sum, q_sum = p.sum(), q.sum()
    if p_sum <= 0 or q_sum <= 0:
        return 0.0
    return float(np.clip(np.sqrt(p / p_sum * q / q_sum).sum(), 0.0, 1.0))


def hue_outliers(hues: np.ndarray) -> np.ndarray:
    """(N,) degrees 0..180: each hue's circular distance from the set's mean hue."""
    hues = np.asarray(hues, dtype=np.float64)
    angles = np.radians(hues)
    finite = np.isfinite(angles)
    if not finite.any():
        return hues
    mean = np.arctan2(np.sin(angles[finite]).mean(), np.cos(angles[finite]).mean())
    # Wrapped difference in degrees, 0..180.
    return np.degrees(np.abs(np.angle(np.exp(1j * (angles - mean)))))


def histogram_similarities(histograms: Sequence[Sequence[float]]) -> np.ndarray:
    """(N,) Bhattacharyya similarity of each histogram to the set's mean (NaN if empty)."""
    hists = [np.asarray(h, dtype=np.float64) for h in histograms]
    usable = [h for h in hists if h.size and h.sum() > 0]
    if not usable:
        return np.full(len(hists), np.nan)
    mean = np.mean([h / h.sum() for h in usable if h.size == usable[0].size], axis=0)
    return np.array(
        [
            histogram_similarity(h, mean) if h.size == mean.size and h.sum() > 0 else np.nan
            for h in hists
        ]
    )


def sort_values(
    records: Sequence[SortableFace], by: str, *, reference_embedding: np.ndarray | None = None
) -> tuple[np.ndarray, bool]:
    """(N,) float64 value per face for key ``by`` and whether larger values come first."""
    if by not in SORT_KEYS:
        raise ValueError(f"Unknown sort key '{by}'; choose one of: {', '.join(SORT_KEYS)}")
    if by == "identity":
        embeddings = [r.embedding for r in records]
        return identity_distances(embeddings, reference_embedding), True
    if by == "hist":
        return histogram_similarities([r.metrics.histogram for r in records]), False
    if by == "hue":
        return hue_outliers(np.array([r.metrics.hue for r in records], dtype=np.float64)), True
    field, descending = _METRIC_KEYS[by]
    return np.array([getattr(r.metrics, field) for r in records], dtype=np.float64), descending


def curation_order(values: np.ndarray, *, descending: bool, reverse: bool = False) -> list[int]:
    """Indices in curation order of one value per face: ``descending`` puts the largest
    first, ``reverse`` turns that round; faces without a value (NaN) stay last either
    way and ties keep input order."""
    values = np.asarray(values, dtype=np.float64)
    if reverse:
        descending = not descending
    missing = ~np.isfinite(values)
    keyed = np.where(missing, 0.0, -values if descending else values)
    # lexsort: last key is primary -> missing last, then the value, then input order.
    order = np.lexsort((np.arange(len(values)), keyed, missing))
    return [int(i) for i in order]


def sort_faces(
    records: Sequence[SortableFace],
    by: str,
    *,
    reference_embedding: np.ndarray | None = None,
    reverse: bool = False,
) -> list[int]:
    """Indices of ``records`` in curation order for key ``by`` (see the module table).

    ``reference_embedding``: (D,) float, only for ``identity`` (e.g. the face a curator
    clicked); None measures against the mean. ``reverse`` flips the order of the faces
    that have a value; faces without one stay last either way.
    """
    values, descending = sort_values(records, by, reference_embedding=reference_embedding)
    return curation_order(values, descending=descending, reverse=reverse)

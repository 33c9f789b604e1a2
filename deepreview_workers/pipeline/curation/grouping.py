"""Group faces into people: per-track centres, then leader clustering of the centres.

Faces of one track are one person already (the tracker linked them by box overlap
and embedding distance), so people are found among *tracks*, not single faces: a
10-minute video has tens of tracks but thousands of faces, and a track's mean
embedding is steadier than any one face's.

Leader clustering visits groups from the largest down; each joins the nearest
existing cluster whose centre is within ``threshold``, else starts a new one, and
the cluster centre is the weighted mean of its members. Comparing with centres
(not with the nearest member) avoids single-linkage chaining, where a few
borderline faces glue two people together; visiting the largest first lets the
best-supported people set the centres. The result is deterministic.

Distances are Euclidean between unit vectors. For dlib's 128-d descriptor,
photos of one person measure about 0.2-0.35 apart and different people 0.4 and
more, hence :data:`DEFAULT_IDENTITY_THRESHOLD`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

DEFAULT_IDENTITY_THRESHOLD = 0.36


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def group_centres(
    keys: Sequence[Hashable], vectors: np.ndarray
) -> tuple[list[Hashable], np.ndarray, np.ndarray]:
    """Mean unit embedding per key, in order of first appearance.

    Returns ``(group_keys, centres (G, D) unit rows, sizes (G,))``.
    """
    if len(keys) != len(vectors):
        raise ValueError(f"{len(keys)} keys for {len(vectors)} embeddings")
    order: dict[Hashable, int] = {}
    for key in keys:
        order.setdefault(key, len(order))
    units = unit_rows(vectors)
    index = np.array([order[key] for key in keys], dtype=np.int64)
    sums = np.zeros((len(order), units.shape[1] if units.ndim == 2 else 0))
    np.add.at(sums, index, units)
    sizes = np.bincount(index, minlength=len(order))
    return list(order), unit_rows(sums), sizes


def leader_clusters(centres: np.ndarray, sizes: np.ndarray, threshold: float) -> np.ndarray:
    """Cluster label per group; label 0 is the cluster with the most faces, and so on.

    ``centres``: (G, D) unit rows; ``sizes``: (G,) faces per group (the weights).
    """
    if threshold <= 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    count = len(centres)
    labels = np.full(count, -1, dtype=np.int64)
    if count == 0:
        return labels
    sums: list[np.ndarray] = []  # weighted sum of member centres per cluster
    weights: list[float] = []
    # Largest first; ties by input order so equal inputs give equal labels.
    for g in sorted(range(count), key=lambda i: (-int(sizes[i]), i)):
        if sums:
            means = unit_rows(np.stack(sums))
            distances = np.linalg.norm(means - centres[g], axis=1)
            nearest = int(np.argmin(distances))
            if distances[nearest] < threshold:
                labels[g] = nearest
                sums[nearest] = sums[nearest] + centres[g] * sizes[g]
                weights[nearest] += float(sizes[g])
                continue
        labels[g] = len(sums)
        sums.append(centres[g] * float(sizes[g]))
        weights.append(float(sizes[g]))
    # Renumber by total faces, largest cluster first (stable for ties).
    by_weight = sorted(range(len(weights)), key=lambda c: (-weights[c], c))
    renumber = np.empty(len(weights), dtype=np.int64)
    renumber[by_weight] = np.arange(len(weights))
    return renumber[labels]


def identity_clusters(
    keys: Sequence[Hashable], vectors: np.ndarray, threshold: float = DEFAULT_IDENTITY_THRESHOLD
) -> np.ndarray:
    """Person label per face: faces sharing a key (a track) always share a label.

    Label 0 is the person with the most faces.
    """
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    group_keys, centres, sizes = group_centres(keys, vectors)
    group_label = dict(zip(group_keys, leader_clusters(centres, sizes, threshold), strict=True))
    return np.array([group_label[key] for key in keys], dtype=np.int64)

"""Near-duplicate faces of one faceset, by blocks of matrix products.

Greedy, sharpest first: a face is dropped when a face kept before it shows the same
person (embedding distance below ``max_distance``) at the same head angle (yaw and
pitch each within ``max_angle`` degrees). Each block of faces is compared with all kept
faces in one matrix product per chunk, and only the block's own faces are resolved one
by one, so 20,000 faces take about a second instead of minutes, with the same result
as comparing face by face.
"""

from __future__ import annotations

import numpy as np

BLOCK = 512  # faces resolved together
CHUNK = 4096  # kept faces per matrix product: memory O(BLOCK x CHUNK)


def _conflicts(
    vectors: np.ndarray,
    angles: np.ndarray,
    other_v: np.ndarray,
    other_a: np.ndarray,
    max_distance: float,
    max_angle: float,
) -> np.ndarray:
    """(len(vectors), len(other_v)) bool: same person at the same angle. Angles are
    compared only for the pairs whose embeddings are close (few of them)."""
    # |a - b|^2 = |a|^2 + |b|^2 - 2 a.b: one matrix product for the whole block.
    squared = (vectors**2).sum(1)[:, None] + (other_v**2).sum(1)[None, :]
    squared -= 2.0 * vectors @ other_v.T
    rows, cols = np.nonzero(squared < max_distance**2)
    same_angle = np.abs(angles[rows] - other_a[cols]).max(axis=1) <= max_angle
    out = np.zeros(squared.shape, bool)
    out[rows[same_angle], cols[same_angle]] = True
    return out


def near_duplicate_rows(
    vectors: np.ndarray, angles: np.ndarray, max_distance: float, max_angle: float
) -> list[int]:
    """Rows to drop. ``vectors`` (N, D) embeddings and ``angles`` (N, 2) yaw and pitch in
    degrees, ordered best first (the order decides which face of a group stays)."""
    vectors = np.asarray(vectors, np.float64)
    angles = np.asarray(angles, np.float64)
    kept: list[int] = []
    dropped: list[int] = []
    for start in range(0, len(vectors), BLOCK):
        rows = np.arange(start, min(start + BLOCK, len(vectors)))
        blocked = np.zeros(len(rows), bool)
        kept_rows = np.array(kept, dtype=int)
        for chunk in range(0, len(kept_rows), CHUNK):
            other = kept_rows[chunk : chunk + CHUNK]
            blocked |= _conflicts(
                vectors[rows], angles[rows], vectors[other], angles[other], max_distance, max_angle
            ).any(axis=1)
        inside = _conflicts(
            vectors[rows], angles[rows], vectors[rows], angles[rows], max_distance, max_angle
        )
        block_kept: list[int] = []
        for j in range(len(rows)):
            if blocked[j] or inside[j, block_kept].any():
                dropped.append(int(rows[j]))
            else:
                block_kept.append(j)
        kept.extend(int(rows[j]) for j in block_kept)
    return dropped

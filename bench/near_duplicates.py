"""Seconds to find a faceset's near-duplicates (same person, same head angle), by size.

    .venv/bin/python bench/near_duplicates.py [--faces 1000 5000 20000] [--reference 5000]

Synthetic faces, head angles spread over +-45 degrees, the request's thresholds (distance
0.45, 10 degrees): 40 people's dlib-like embeddings (128-d, unit length) with noise (most
faces are duplicates), then every face a different person (the worst case: nothing is
dropped, so every face is compared with every other).
``--reference`` also times the face-by-face loop the API used before, up to that size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deepreview_workers.pipeline.curation.near_duplicates import near_duplicate_rows  # noqa: E402


def one_by_one(vectors: np.ndarray, angles: np.ndarray, distance: float, angle: float) -> int:
    kept: list[int] = []
    dropped = 0
    for i in range(len(vectors)):
        if kept:
            k = np.array(kept)
            close = np.linalg.norm(vectors[k] - vectors[i], axis=1) < distance
            if np.any(close & (np.abs(angles[k] - angles[i]).max(axis=1) <= angle)):
                dropped += 1
                continue
        kept.append(i)
    return dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--reference", type=int, default=5000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    people = rng.normal(size=(40, 128))
    print(f"{'case':>9s} {'faces':>7s} {'dropped':>8s} {'blocked s':>10s} {'face-by-face s':>15s}")
    cases = [("40 people", count) for count in args.faces] + [("distinct", max(args.faces))]
    for case, count in cases:
        if case == "distinct":
            vectors = rng.normal(size=(count, 128))
        else:
            vectors = people[rng.integers(0, 40, count)] + rng.normal(scale=0.3, size=(count, 128))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        angles = rng.uniform(-45, 45, size=(count, 2))
        started = time.perf_counter()
        dropped = near_duplicate_rows(vectors, angles, 0.45, 10.0)
        blocked = time.perf_counter() - started
        reference = "-"
        if count <= args.reference:
            started = time.perf_counter()
            assert one_by_one(vectors, angles, 0.45, 10.0) == len(dropped)
            reference = f"{time.perf_counter() - started:.2f}"
        print(f"{case:>9s} {count:7d} {len(dropped):8d} {blocked:10.2f} {reference:>15s}")


if __name__ == "__main__":
    main()

"""Agreement between reviewers: pure functions on plain data, no database.

- Verdicts: Krippendorff's alpha for nominal data (the ``krippendorff`` package) over
  videos x reviewers, missing verdicts allowed; and, per video, the share of reviewer
  pairs that gave the same label.
- Marks: temporal overlap per artifact kind. Each reviewer's ranges of a kind on a
  video are a set of frames; two reviewers agree as much as the intersection over
  union (IoU) of their sets. Pairs where neither marked the kind say nothing and are
  skipped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations

import krippendorff
import numpy as np

Range = tuple[int, int]  # inclusive frame range


def krippendorff_alpha(units: Sequence[Sequence[str | None]]) -> float | None:
    """Nominal alpha; ``units[v][r]`` is reviewer r's label on video v (None: no verdict).

    None when it is undefined: fewer than two videos with two or more verdicts, or one
    label everywhere (no disagreement can be told from chance).
    """
    if not units:
        return None
    categories = sorted({label for unit in units for label in unit if label is not None})
    pairable = [unit for unit in units if sum(label is not None for label in unit) >= 2]
    if len(categories) < 2 or not pairable:
        return None
    code = {label: float(i) for i, label in enumerate(categories)}
    width = max(len(unit) for unit in pairable)
    data = np.full((width, len(pairable)), np.nan)
    for column, unit in enumerate(pairable):
        for row, label in enumerate(unit):
            if label is not None:
                data[row, column] = code[label]
    value = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    return None if value is None or math.isnan(value) else float(value)


def pairwise_agreement(labels: Sequence[str]) -> float | None:
    """Share of reviewer pairs that gave the same label; None with fewer than two."""
    pairs = list(combinations(labels, 2))
    if not pairs:
        return None
    return sum(a == b for a, b in pairs) / len(pairs)


def frames_of(ranges: Iterable[Range]) -> list[Range]:
    """The union of inclusive ranges as sorted, disjoint, inclusive ranges."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _length(ranges: Sequence[Range]) -> int:
    return sum(end - start + 1 for start, end in ranges)


def _intersection(a: Sequence[Range], b: Sequence[Range]) -> int:
    i = j = total = 0
    while i < len(a) and j < len(b):
        low, high = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if low <= high:
            total += high - low + 1
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def range_iou(a: Iterable[Range], b: Iterable[Range]) -> float | None:
    """Frame IoU of two sets of ranges; None when both are empty."""
    sa, sb = frames_of(a), frames_of(b)
    inter = _intersection(sa, sb)
    union = _length(sa) + _length(sb) - inter
    return None if union == 0 else inter / union


def mark_overlap(
    marks: Mapping[object, Mapping[str, Sequence[Range]]], reviewers: Sequence[object]
) -> dict[str, float]:
    """Mean pairwise frame IoU per kind among ``reviewers`` (those who gave a verdict).

    ``marks[reviewer][kind]`` are that reviewer's ranges. A kind nobody in a pair
    marked is skipped for that pair; a reviewer who marked nothing of a kind that
    another did counts as IoU 0 for the pair.
    """
    kinds = sorted({kind for reviewer in reviewers for kind in marks.get(reviewer, {})})
    result: dict[str, float] = {}
    for kind in kinds:
        scores = [
            iou
            for r1, r2 in combinations(reviewers, 2)
            if (iou := range_iou(marks.get(r1, {}).get(kind, ()), marks.get(r2, {}).get(kind, ())))
            is not None
        ]
        if scores:
            result[kind] = sum(scores) / len(scores)
    return result

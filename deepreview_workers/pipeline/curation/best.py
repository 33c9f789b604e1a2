"""Keep the N faces that cover head angles evenly (DeepFaceLab's "best").

Faces go into yaw/pitch bins of 15 degrees; each bin is ordered sharpest first,
alternating between sources (a video's track, an image) for variety; then the bins
give one face each in turn, fullest bins first, until N are kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

POSE_BIN_DEGREES = 15.0


@dataclass(frozen=True)
class PosedFace:
    """What choosing reads of a face: head angles in degrees and where it came from."""

    yaw: float
    pitch: float
    source: Hashable  # faces of one source (media and track) are alternated with others


def best_by_pose_drops(faces: Sequence[PosedFace], count: int) -> list[int]:
    """Indices of ``faces`` to drop so that ``count`` stay. ``faces`` come sharpest first
    (the order decides which face of a bin goes first); ascending indices."""
    if count >= len(faces):
        return []
    bins: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, face in enumerate(faces):
        key = (int(face.yaw // POSE_BIN_DEGREES), int(face.pitch // POSE_BIN_DEGREES))
        bins[key].append(index)
    queues = [_alternate_sources(members, faces) for members in bins.values()]
    # Fullest bins first so that ties favour the common angles' best faces.
    queues.sort(key=len, reverse=True)
    keep: set[int] = set()
    while len(keep) < count:
        for queue in queues:
            if queue and len(keep) < count:
                keep.add(queue.pop(0))
    return [i for i in range(len(faces)) if i not in keep]


def _alternate_sources(members: list[int], faces: Sequence[PosedFace]) -> list[int]:
    """Sharpest first, but each source in turn before repeating one."""
    by_source: dict[Hashable, list[int]] = defaultdict(list)
    for index in members:
        by_source[faces[index].source].append(index)
    order: list[int] = []
    lanes = list(by_source.values())
    while any(lanes):
        for lane in lanes:
            if lane:
                order.append(lane.pop(0))
    return order

"""Link the faces of a video into tracks (one per person on screen) by box overlap and identity.

Frames are visited in order; each frame's faces are matched greedily, best score
first, to the tracks seen within ``max_gap_frames``. A face may join a track when

- its box overlaps the track's predicted box by at least ``iou_threshold`` (the box
  is moved on at the track's recent speed, so fast motion and sparse sampling still
  overlap), or both have embeddings (a face may re-enter elsewhere after a cut-away);
- and, when both have embeddings, the face is within ``max_embedding_distance`` of
  the track's mean embedding: two people crossing never swap ids.

Score = IoU + embedding similarity (1 - distance / max distance, 0 when either has
no embedding). Embeddings may be None: the design embeds a track's faces sparsely.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from deepreview_workers.pipeline.types import Box

#: (frame_index, box in source pixels, (D,) float32 embedding or None)
TrackInput = tuple[int, Box, np.ndarray | None]


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes; 0 when either is empty."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64).ravel()
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector


@dataclass
class _Track:
    track_id: int
    box: Box
    frame: int
    velocity: tuple[float, float] = (0.0, 0.0)  # box shift in pixels per frame
    embedding_sum: np.ndarray | None = None

    def predicted_box(self, frame: int) -> Box:
        steps = frame - self.frame
        dx, dy = self.velocity[0] * steps, self.velocity[1] * steps
        x0, y0, x1, y1 = self.box
        return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)

    def embedding(self) -> np.ndarray | None:
        return None if self.embedding_sum is None else _unit(self.embedding_sum)

    def update(self, frame: int, box: Box, embedding: np.ndarray | None) -> None:
        steps = frame - self.frame
        if steps > 0:
            new = (
                (box[0] + box[2] - self.box[0] - self.box[2]) / (2 * steps),
                (box[1] + box[3] - self.box[1] - self.box[3]) / (2 * steps),
            )
            # Smooth the speed: detector boxes jitter by a few pixels per frame.
            self.velocity = (0.5 * (self.velocity[0] + new[0]), 0.5 * (self.velocity[1] + new[1]))
        self.box = box
        self.frame = frame
        if embedding is not None:
            unit = _unit(embedding)
            self.embedding_sum = unit if self.embedding_sum is None else self.embedding_sum + unit


def link_tracks(
    faces: list[TrackInput],
    *,
    iou_threshold: float = 0.3,
    max_embedding_distance: float = 0.6,
    max_gap_frames: int = 60,
) -> list[int]:
    """Track id per face, in the order of ``faces``; ids are 0, 1, 2... by first appearance.

    ``faces``: (frame_index, box, embedding) per face, any order; box is (x0, y0, x1, y1)
    source-frame pixels; embedding is (D,) float (L2-normalised or not) or None.
    ``max_embedding_distance``: Euclidean distance between unit embeddings above which
    two faces are different people (0.6 is dlib's same-person threshold).
    ``max_gap_frames``: a track not seen for more frames than this ends; with sparse
    sampling set it to a few sampling steps (the default is 2 s at 30 fps).
    """
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    if max_embedding_distance <= 0:
        raise ValueError(f"max_embedding_distance must be > 0, got {max_embedding_distance}")
    by_frame: dict[int, list[int]] = defaultdict(list)
    for position, (frame, _box, _embedding) in enumerate(faces):
        by_frame[int(frame)].append(position)

    ids = [-1] * len(faces)
    live: list[_Track] = []  # tracks seen within max_gap_frames; ended ones are dropped
    next_id = 0
    for frame in sorted(by_frame):
        live = [t for t in live if frame - t.frame <= max_gap_frames]
        candidates: list[tuple[float, int, int]] = []  # (score, track position, face position)
        for t_pos, track in enumerate(live):
            predicted = track.predicted_box(frame)
            track_embedding = track.embedding()
            for f_pos in by_frame[frame]:
                _frame, box, embedding = faces[f_pos]
                iou = box_iou(predicted, box)
                similarity = 0.0
                if track_embedding is not None and embedding is not None:
                    distance = float(np.linalg.norm(track_embedding - _unit(embedding)))
                    if distance > max_embedding_distance:
                        continue  # a different person, however close the boxes
                    similarity = 1.0 - distance / max_embedding_distance
                elif iou < iou_threshold:
                    continue  # nothing but position to go on, and it does not overlap
                candidates.append((iou + similarity, t_pos, f_pos))

        # Greedy, best first; ties broken by order so the result is deterministic.
        candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
        used_tracks: set[int] = set()
        for _score, t_pos, f_pos in candidates:
            if t_pos in used_tracks or ids[f_pos] != -1:
                continue
            used_tracks.add(t_pos)
            track = live[t_pos]
            ids[f_pos] = track.track_id
            _frame, box, embedding = faces[f_pos]
            track.update(frame, tuple(map(float, box)), embedding)

        for f_pos in by_frame[frame]:
            if ids[f_pos] == -1:
                _frame, box, embedding = faces[f_pos]
                track = _Track(track_id=next_id, box=tuple(map(float, box)), frame=frame)
                track.update(frame, track.box, embedding)
                live.append(track)
                ids[f_pos] = next_id
                next_id += 1
    return ids

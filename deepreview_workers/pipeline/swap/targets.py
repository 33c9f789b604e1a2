"""Which face to swap in each frame of a target video, read from its alignments file."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from deepreview_workers.pipeline.alignments import (
    AlignmentsError,
    AlignmentsFile,
    FaceRecord,
    read_alignments,
)
from deepreview_workers.pipeline.swap.convert_types import TrackSelection
from deepreview_workers.pipeline.swap.errors import SwapInputError


def _area(face: FaceRecord) -> float:
    x0, y0, x1, y1 = face.box
    return max(x1 - x0, 0.0) * max(y1 - y0, 0.0)


def select_target_faces(
    alignments: AlignmentsFile,
    track: TrackSelection = "largest",
    start_frame: int = 0,
    end_frame: int | None = None,
) -> dict[int, FaceRecord]:
    """frame index -> the face to swap, for frames in ``[start_frame, end_frame)``.

    ``track``: a track id from the alignments (the same person across frames; with two
    people in the video, pick one), or ``"largest"``: the largest face of each frame.
    Raises ``SwapInputError`` when the track does not occur in the alignments at all.
    """
    if track != "largest" and (isinstance(track, bool) or not isinstance(track, int)):
        raise SwapInputError(f"track must be a track id (int) or 'largest', not {track!r}")
    if not any(frame.faces for frame in alignments.frames):
        raise SwapInputError(
            f"the alignments of {alignments.source.file_name} hold no faces; extract the "
            "target video first"
        )
    if track != "largest":
        present = sorted({face.track_id for face in alignments.faces})
        if track not in present:
            listed = ", ".join(str(t) for t in present) or "none"
            raise SwapInputError(
                f"track {track} is not in the alignments of {alignments.source.file_name} "
                f"(tracks present: {listed})"
            )
    chosen: dict[int, FaceRecord] = {}
    for frame in alignments.frames:
        if frame.frame_index < start_frame or (
            end_frame is not None and frame.frame_index >= end_frame
        ):
            continue
        faces = [f for f in frame.faces if track == "largest" or f.track_id == track]
        if faces:
            chosen[frame.frame_index] = max(faces, key=_area)
    return chosen


def smooth_landmarks(faces: Mapping[int, FaceRecord], window: int) -> dict[int, np.ndarray]:
    """frame index -> (68, 2) float64 landmarks averaged over ``window`` frames.

    The average is centred (no lag) and stays within one run of consecutive frames of
    one track: a gap or a different track starts a new run, so faces are never averaged
    with another person's or across a cut where the face was lost.
    """
    indices = sorted(faces)
    half = max(window, 1) // 2
    smoothed: dict[int, np.ndarray] = {}
    runs: list[list[int]] = []
    for index in indices:
        previous = runs[-1][-1] if runs else None
        if (
            previous is None
            or index != previous + 1
            or (faces[index].track_id != faces[previous].track_id)
        ):
            runs.append([])
        runs[-1].append(index)
    for run in runs:
        points = np.stack([faces[i].landmarks68 for i in run]).astype(np.float64)
        sums = np.concatenate([np.zeros((1, 68, 2)), np.cumsum(points, axis=0)])
        for k, index in enumerate(run):
            lo, hi = max(0, k - half), min(len(run), k + half + 1)
            smoothed[index] = (sums[hi] - sums[lo]) / (hi - lo)
    return smoothed


def check_alignments(alignments: AlignmentsFile, width: int, height: int) -> None:
    """``SwapInputError`` unless the alignments are of this video size and every frame."""
    source = alignments.source
    if (source.width, source.height) != (width, height):
        raise SwapInputError(
            f"the alignments are for a {source.width}x{source.height} video "
            f"({source.file_name}), the input is {width}x{height}; extract the input itself"
        )
    options = alignments.options
    sampling = options.get("sampling")
    if sampling == "fps" or (sampling == "every_n" and options.get("every_n") != 1):
        raise SwapInputError(
            "the alignments were extracted from sampled frames (sampling "
            f"{sampling!r}); conversion needs the face in every frame: extract the target "
            "video with sampling 'all'"
        )


def load_alignments(alignments: AlignmentsFile | str | os.PathLike[str]) -> AlignmentsFile:
    """``alignments`` itself, or the file at that path (``SwapInputError`` if unreadable)."""
    if isinstance(alignments, AlignmentsFile):
        return alignments
    try:
        return read_alignments(alignments)
    except (AlignmentsError, OSError) as exc:
        raise SwapInputError(f"cannot read the alignments {alignments}: {exc}") from None


def target_embeddings(alignments: AlignmentsFile, track: TrackSelection) -> np.ndarray | None:
    """(N, D) embeddings of the face ``track`` chooses, across the video (to check it is
    the identity a model replaces); None when it has none or they differ in size."""
    faces = select_target_faces(alignments, track)
    vectors = [f.embedding for f in faces.values() if f.embedding is not None]
    if not vectors or len({v.size for v in vectors}) != 1:
        return None
    return np.stack(vectors)

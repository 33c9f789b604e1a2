"""Convert a target video: put the other identity's face on one person, frame by frame.

    result = convert_video("target.mp4", "target_extract/alignments.json", "models/ab",
                           "fake.mp4", ConvertOptions(color_transfer="reinhard"), track=0)

Conversion runs no detector: the target face's 68 landmarks in every frame come from
the target video's alignments file (``deepreview extract`` with ``sampling="all"``).
Per frame the chosen face (a track id, or the largest face of the frame) is aligned to
the mean face exactly as the training faces were (the model's ``FaceGeometry``),
optionally with its landmarks averaged over neighbouring frames of the same track (less
jitter). Faces are batched through the shared encoder and the *other* identity's
decoder (``a-to-b``: the video shows A, the output shows B), then warped back and
blended (:mod:`.blend`: mask, erosion, feather, colour transfer, sharpening, seamless
clone, face scale).

The input is decoded once; the output (:mod:`.writer`) has the same frame count, frame
rate, timestamps and size, the original audio, and a synthetic tag in its metadata. The
ground truth (:mod:`.groundtruth`) records for every frame whether it was manipulated
and, if so, the exact changed-pixel mask. Frames where the target face is absent are
copied untouched and unflagged.

``start_frame`` / ``end_frame`` convert one segment (for splitting a long video over
several workers): the segment file starts at time 0, keeps the audio of its time range,
and its ground truth names input frame indices.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from deepreview_workers.pipeline.alignments import AlignmentsFile, FaceRecord
from deepreview_workers.pipeline.device import device_label
from deepreview_workers.pipeline.options.swap import ConvertOptions
from deepreview_workers.pipeline.probe import av_errors, open_media, select_video_stream
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.swap.convert_types import (
    ConversionResult,
    FrameConversion,
    TrackSelection,
)
from deepreview_workers.pipeline.swap.converter import (
    Converter,
    convert_frame,
    preview_frame,
    side_by_side_jpeg,
)
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.groundtruth import (
    GroundTruthWriter,
    default_ground_truth_path,
)
from deepreview_workers.pipeline.swap.models import TrainedModel
from deepreview_workers.pipeline.swap.targets import (
    check_alignments,
    load_alignments,
    select_target_faces,
    smooth_landmarks,
    target_embeddings,
)
from deepreview_workers.pipeline.swap.writer import SwapVideoWriter


@dataclass
class _Pending:
    index: int
    frame: av.VideoFrame
    pts: int
    rgb: np.ndarray | None = None
    face: FaceRecord | None = None
    landmarks: np.ndarray | None = None


def _sorted_video_pts(path: Path) -> list[int]:
    """Presentation timestamps of every video frame, in display order (demux only)."""
    with av_errors(path, while_doing="reading timestamps"):
        container = open_media(path)
        try:
            video = select_video_stream(container)
            return sorted(
                packet.pts
                for packet in container.demux(video)
                if packet.size and packet.pts is not None
            )
        finally:
            container.close()


def convert_video(
    input_path: str | os.PathLike[str],
    alignments: AlignmentsFile | str | os.PathLike[str],
    model: TrainedModel | Converter | str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    options: ConvertOptions | None = None,
    *,
    track: TrackSelection = "largest",
    start_frame: int = 0,
    end_frame: int | None = None,
    ground_truth_path: str | os.PathLike[str] | None = None,
    progress: ProgressCallback = no_progress,
) -> ConversionResult:
    """Convert ``input_path`` into ``output_path`` with its ground truth (module doc).

    ``alignments``: the input's ``AlignmentsFile`` or its path. ``model``: a model
    folder, a ``TrainedModel`` or a ``Converter``. ``ground_truth_path`` defaults to
    ``<output stem>.groundtruth.zip`` next to the output. A ``Cancelled`` raised by
    ``progress`` deletes both partial files.
    """
    started = time.perf_counter()
    input_path, output_path = Path(input_path), Path(output_path)
    if input_path.resolve() == output_path.resolve():
        raise SwapInputError("the output path must differ from the input path")
    converter = model if isinstance(model, Converter) else Converter(model, options)
    options = converter.options
    alignments = load_alignments(alignments)
    gt_path = Path(ground_truth_path or default_ground_truth_path(output_path))
    segment = start_frame > 0 or end_frame is not None
    frame_pts = _sorted_video_pts(input_path) if segment else None
    if frame_pts is not None:
        end_frame = len(frame_pts) if end_frame is None else min(end_frame, len(frame_pts))
        if not 0 <= start_frame < end_frame:
            raise SwapInputError(
                f"frame range {start_frame}..{end_frame} is empty; the video has "
                f"{len(frame_pts)} frames"
            )
    # Smooth with the neighbours outside a segment too, so a video converted in segments
    # is frame for frame the video converted in one piece.
    half = options.smoothing_window // 2
    around = select_target_faces(
        alignments, track, start_frame - half, None if end_frame is None else end_frame + half
    )
    landmarks = smooth_landmarks(around, options.smoothing_window)
    targets = {
        i: face
        for i, face in around.items()
        if start_frame <= i and (end_frame is None or i < end_frame)
    }

    with av_errors(input_path, while_doing="converting"):
        container = open_media(input_path)
        try:
            return _convert_open(
                container,
                input_path,
                output_path,
                gt_path,
                converter,
                alignments,
                targets,
                landmarks,
                track,
                start_frame,
                end_frame,
                frame_pts,
                progress,
                started,
            )
        finally:
            container.close()


def _convert_open(
    container: av.container.InputContainer,
    input_path: Path,
    output_path: Path,
    gt_path: Path,
    converter: Converter,
    alignments: AlignmentsFile,
    targets: Mapping[int, FaceRecord],
    landmarks: Mapping[int, np.ndarray],
    track: TrackSelection,
    start_frame: int,
    end_frame: int | None,
    frame_pts: list[int] | None,
    progress: ProgressCallback,
    started: float,
) -> ConversionResult:
    options = converter.options
    video = select_video_stream(container)
    video.thread_type = "AUTO"
    width, height = video.codec_context.width, video.codec_context.height
    check_alignments(alignments, width, height)
    audio_in = container.streams.audio[0] if container.streams.audio else None
    video_tb = video.time_base
    rate = video.average_rate or video.guessed_rate or 25
    # Segments start at time 0; a whole video keeps its timestamps as they are.
    pts_offset = frame_pts[start_frame] if frame_pts is not None and start_frame > 0 else 0
    # A whole video keeps all its audio, priming packets before time 0 included.
    start_seconds = float(pts_offset * video_tb) if start_frame > 0 else -math.inf
    end_seconds = math.inf
    if frame_pts is not None and end_frame is not None and end_frame < len(frame_pts):
        end_seconds = float(frame_pts[end_frame] * video_tb)
    total = (
        (end_frame - start_frame)
        if end_frame is not None
        else (alignments.source.frame_count or video.frames or 1)
    )

    identities = converter.model.identities
    tag = {
        "synthetic": True,
        "generator": "deepreview",
        "manipulation": "face_swap",
        "direction": options.direction,
        "source_identity": identities.get(options.decoder_side, options.decoder_side),
        "target_identity": identities.get(options.encoder_side, options.encoder_side),
        "model": converter.model.describe(),
        "options": options.to_json(),
        "track": track,
        "input": {"file_name": input_path.name, "start_frame": start_frame},
    }
    writer = SwapVideoWriter(
        output_path, video, audio_in, tag=tag, crf=options.crf, preset=options.preset
    )
    truth = GroundTruthWriter(gt_path, (height, width))
    audio = writer.audio_stream
    audio_offset = 0
    if audio is not None and start_frame > 0:
        audio_offset = round(start_seconds / float(audio.time_base))
    pending: list[_Pending] = []
    manipulated: list[int] = []
    written = 0

    def flush() -> None:
        nonlocal written
        faces = [p for p in pending if p.rgb is not None]
        blended = converter.swap([p.rgb for p in faces], [p.landmarks for p in faces])
        results = dict(zip((p.index for p in faces), blended, strict=True))
        for item in pending:
            result = results.get(item.index)
            if result is None or result.box is None:
                writer.write_frame(item.frame, item.pts)
                truth.add_frame(item.index)
            else:
                writer.write_frame(item.frame, item.pts, result.frame)
                face = {"track_id": item.face.track_id, "face_index": item.face.face_index}
                truth.add_frame(item.index, alpha=result.alpha, box=result.box, face=face)
                manipulated.append(item.index)
            written += 1
        pending.clear()

    try:
        progress(0.0, "Converting")
        index = -1
        video_done = False
        streams = [video] if audio is None else [video, audio]
        for packet in container.demux(streams):
            if packet.stream.type == "audio":
                seconds = float(packet.pts * packet.time_base) if packet.pts is not None else 0
                if start_seconds - 1e-6 <= seconds < end_seconds:
                    writer.write_audio(packet, audio_offset)
                elif video_done and seconds >= end_seconds:
                    break
                continue
            if video_done:
                if audio is None:
                    break
                continue
            for frame in video.codec_context.decode(packet if packet.size else None):
                index += 1
                if index < start_frame:
                    continue
                if end_frame is not None and index >= end_frame:
                    video_done = True
                    break
                pts = frame.pts if frame.pts is not None else round(index / rate / video_tb)
                item = _Pending(index, frame, pts - pts_offset)
                if index in targets:
                    item.rgb = frame.to_ndarray(format="rgb24")
                    item.face, item.landmarks = targets[index], landmarks[index]
                pending.append(item)
                if sum(p.rgb is not None for p in pending) >= options.batch_size or (
                    item.rgb is None and len(pending) == 1
                ):
                    flush()
                done = index - start_frame + 1
                progress(min(done / max(total, 1), 0.999), f"Frame {done} of {total} converted")
        flush()
        writer.close()
        seconds = time.perf_counter() - started
        end = start_frame + written
        truth.close(
            {
                "video": {
                    "file_name": output_path.name,
                    "frame_count": written,
                    "fps": float(video.average_rate) if video.average_rate else None,
                    "width": width,
                    "height": height,
                },
                "source": {
                    "file_name": input_path.name,
                    "start_frame": start_frame,
                    "end_frame": end,
                },
                "synthetic": tag,
            }
        )
    except BaseException:
        writer.abort()
        truth.abort()
        raise
    progress(1.0, f"{len(manipulated)} of {written} frames swapped")
    return ConversionResult(
        output_path=output_path,
        ground_truth_path=gt_path,
        frames_total=written,
        frames_manipulated=manipulated,
        start_frame=start_frame,
        end_frame=end,
        seconds=round(seconds, 3),
        frames_per_second=round(written / seconds, 3) if seconds > 0 else 0.0,
        video_codec=writer.encoder,
        audio=writer.audio_mode,
        device=device_label(converter.model.device),
        synthetic_tag=tag,
    )


__all__ = [
    "ConversionResult",
    "ConvertOptions",
    "Converter",
    "FrameConversion",
    "TrackSelection",
    "convert_frame",
    "convert_video",
    "preview_frame",
    "select_target_faces",
    "side_by_side_jpeg",
    "smooth_landmarks",
    "target_embeddings",
]

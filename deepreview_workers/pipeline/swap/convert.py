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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import av
import cv2
import numpy as np
import torch

from deepreview_workers.pipeline.alignments import (
    AlignmentsError,
    AlignmentsFile,
    FaceRecord,
    read_alignments,
)
from deepreview_workers.pipeline.device import device_label
from deepreview_workers.pipeline.frames import read_frame
from deepreview_workers.pipeline.probe import av_errors, open_media, select_video_stream
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.swap.blend import (
    MASK_TYPES,
    Blended,
    BlendSettings,
    color_transfers,
    crop_scale,
    paste_face,
    scale_matrix,
)
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.groundtruth import (
    GroundTruthWriter,
    default_ground_truth_path,
)
from deepreview_workers.pipeline.swap.models import TrainedModel, load_model
from deepreview_workers.pipeline.swap.writer import SwapVideoWriter

DIRECTIONS = ("a-to-b", "b-to-a")
TrackSelection = int | Literal["largest"]


@dataclass(frozen=True)
class ConvertOptions:
    """Everything a conversion can be told; the job, the CLI and the bench share it."""

    direction: str = "a-to-b"  # a-to-b: the target shows A, the output shows B
    mask: str = "extended"  # components | extended | learned | ellipse
    erode_dilate_px: int = 0  # frame pixels; negative erodes (shrinks), positive dilates
    feather_px: float = 8.0  # frame pixels of soft edge
    color_transfer: str = "avg-color"  # none | avg-color | reinhard | hist-match
    seamless_clone: bool = False
    sharpen: float = 0.0  # unsharp-mask amount
    smoothing_window: int = 1  # frames of landmark averaging (1 = off; odd sizes)
    face_scale: float = 1.0  # > 1 pastes the swapped face larger
    batch_size: int = 16  # faces per model call
    device: str = "auto"
    crf: int = 17  # H.264 quality (lower = better); 17 is visually lossless
    preset: str = "medium"

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise SwapInputError(f"direction must be one of {DIRECTIONS}, not {self.direction!r}")
        if self.mask not in MASK_TYPES:
            raise SwapInputError(f"mask must be one of {MASK_TYPES}, not {self.mask!r}")
        color_transfers_names = color_transfers.names()
        if self.color_transfer not in color_transfers_names:
            raise SwapInputError(
                f"color_transfer must be one of {color_transfers_names}, "
                f"not {self.color_transfer!r}"
            )
        if self.smoothing_window < 1 or self.batch_size < 1 or self.feather_px < 0:
            raise SwapInputError("smoothing_window and batch_size must be >= 1, feather_px >= 0")
        if not 0.5 <= self.face_scale <= 2.0 or self.sharpen < 0:
            raise SwapInputError("face_scale must be in [0.5, 2] and sharpen >= 0")

    @property
    def encoder_side(self) -> str:
        return self.direction[0]

    @property
    def decoder_side(self) -> str:
        return self.direction[-1]

    def blend_settings(self) -> BlendSettings:
        return BlendSettings(
            mask=self.mask,
            erode_dilate_px=self.erode_dilate_px,
            feather_px=self.feather_px,
            color_transfer=self.color_transfer,
            seamless_clone=self.seamless_clone,
            sharpen=self.sharpen,
            face_scale=self.face_scale,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FrameConversion:
    """``rgb``: the converted frame; ``mask``: (H, W) uint8 blend weight, 0 = untouched;
    ``box``: the mask's bounds (x0, y0, x1, y1, ends exclusive) or None."""

    rgb: np.ndarray
    mask: np.ndarray
    box: tuple[int, int, int, int] | None

    @property
    def manipulated(self) -> bool:
        return self.box is not None


@dataclass(frozen=True)
class ConversionResult:
    output_path: Path
    ground_truth_path: Path
    frames_total: int  # frames written (= frames of the converted range)
    frames_manipulated: list[int] = field(repr=False)  # input frame indices
    start_frame: int
    end_frame: int  # exclusive
    seconds: float
    frames_per_second: float
    video_codec: str
    audio: str | None  # "copy", "aac" (transcoded) or None (no audio)
    device: str
    synthetic_tag: dict[str, Any] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["output_path"] = str(self.output_path)
        data["ground_truth_path"] = str(self.ground_truth_path)
        return data


# ---- which face, where ----------------------------------------------------------------


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


def _check_alignments(alignments: AlignmentsFile, width: int, height: int) -> None:
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


def _load_alignments(alignments: AlignmentsFile | str | os.PathLike[str]) -> AlignmentsFile:
    if isinstance(alignments, AlignmentsFile):
        return alignments
    try:
        return read_alignments(alignments)
    except (AlignmentsError, OSError) as exc:
        raise SwapInputError(f"cannot read the alignments {alignments}: {exc}") from None


# ---- the model part --------------------------------------------------------------------


def _model_crop(frame: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The (size, size, 3) uint8 model input; big faces are rendered large and then
    area-averaged down, as the training crops were, instead of aliasing in one warp."""
    scale = crop_scale(matrix)
    if scale < 0.9:
        big = min(int(math.ceil(size / scale)), 2048)
        crop = cv2.warpAffine(
            frame,
            scale_matrix(matrix, big / size),
            (big, big),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0),
        )
        return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return cv2.warpAffine(
        frame,
        matrix,
        (size, size),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )


class Converter:
    """A loaded model plus conversion options: swaps faces in batches of frames."""

    def __init__(
        self, model: TrainedModel | str | os.PathLike[str], options: ConvertOptions | None = None
    ) -> None:
        self.options = options or ConvertOptions()
        if not isinstance(model, TrainedModel):
            model = load_model(model, self.options.device)
        self.model = model
        if self.options.mask == "learned" and not model.has_mask:
            raise SwapInputError(
                f"mask 'learned' needs a model with a mask output; '{model.arch}' has none "
                f"(use components, extended or ellipse)"
            )
        self.settings = self.options.blend_settings()

    def _predict(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        device = self.model.device
        batch = torch.from_numpy(crops).to(device).permute(0, 3, 1, 2).float().div_(255.0)
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=torch.float16, enabled=device.type == "cuda"),
        ):
            latent = self.model.model.encode(batch)
            rgb, mask = self.model.model.decode(latent, self.options.decoder_side)
        faces = rgb.float().permute(0, 2, 3, 1).cpu().numpy()
        masks = None if mask is None else mask.float()[:, 0].cpu().numpy()
        return faces, masks

    def swap(self, frames: list[np.ndarray], landmarks: list[np.ndarray]) -> list[Blended]:
        """Swap one face per frame: ``frames`` (H, W, 3) uint8 RGB, ``landmarks`` (68, 2)
        frame pixels of the face to replace. Model calls are batched (``batch_size``)."""
        size = self.model.size
        results: list[Blended] = []
        step = self.options.batch_size
        for start in range(0, len(frames), step):
            chunk = range(start, min(start + step, len(frames)))
            matrices = [self.model.geometry.matrix(landmarks[i], size) for i in chunk]
            crops = np.stack(
                [_model_crop(frames[i], m, size) for i, m in zip(chunk, matrices, strict=True)]
            )
            faces, masks = self._predict(crops)
            for k, i in enumerate(chunk):
                results.append(
                    paste_face(
                        frames[i],
                        faces[k],
                        matrices[k],
                        landmarks[i],
                        self.settings,
                        None if masks is None else masks[k],
                    )
                )
        return results


def convert_frame(
    frame_rgb: np.ndarray,
    landmarks68: np.ndarray,
    model: TrainedModel | Converter | str | os.PathLike[str],
    options: ConvertOptions | None = None,
) -> FrameConversion:
    """Swap the face at ``landmarks68`` (frame pixels) in one RGB frame (a UI preview).

    ``model``: a model folder, a loaded ``TrainedModel``, or a ``Converter`` (reuse one
    across previews: loading a model takes longer than converting a frame).
    """
    converter = model if isinstance(model, Converter) else Converter(model, options)
    blended = converter.swap([frame_rgb], [np.asarray(landmarks68, np.float64)])[0]
    return FrameConversion(blended.frame, blended.full_mask(), blended.box)


def preview_frame(
    input_path: str | os.PathLike[str],
    alignments: AlignmentsFile | str | os.PathLike[str],
    frame_index: int,
    model: TrainedModel | Converter | str | os.PathLike[str],
    options: ConvertOptions | None = None,
    *,
    track: TrackSelection = "largest",
) -> FrameConversion:
    """Frame ``frame_index`` of the video converted exactly as ``convert_video`` would
    (same face choice and smoothing); unchanged with an all-zero mask when the target
    face is absent there."""
    converter = model if isinstance(model, Converter) else Converter(model, options)
    alignments = _load_alignments(alignments)
    window = converter.options.smoothing_window
    half = window // 2
    faces = select_target_faces(alignments, track, frame_index - half, frame_index + half + 1)
    frame = read_frame(input_path, frame_index)
    if frame_index not in faces:
        return FrameConversion(frame, np.zeros(frame.shape[:2], np.uint8), None)
    landmarks = smooth_landmarks(faces, window)[frame_index]
    return convert_frame(frame, landmarks, converter)


# ---- whole videos ---------------------------------------------------------------------


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
    alignments = _load_alignments(alignments)
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
    _check_alignments(alignments, width, height)
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

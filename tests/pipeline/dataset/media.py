"""Real inputs for the dataset export tests: short clips of the public-domain clip, a
fake with ground truth made by pasting a face into it, and ExportVideo records."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from deepreview_workers.pipeline.dataset.types import ExportMark, ExportVerdict, ExportVideo
from deepreview_workers.pipeline.swap.groundtruth import GroundTruthWriter
from deepreview_workers.pipeline.video_io import file_sha256, probe_media
from tests.media_paths import HOPPER, PD_CLIP, require_shared_media

RATE = 30
WIDTH, HEIGHT = 512, 388
FACE_CENTRE, FACE_AXES = (244, 190), (70, 92)  # where the clip's face is (frames 0-240)
PASTED = (8, 21)  # inclusive frames of the pasted fake that carry the other face


def _encode(frames: list[np.ndarray], out: Path) -> Path:
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=RATE, options={"crf": "16"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, RATE)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out


def clip_frames(count: int) -> list[np.ndarray]:
    """The public-domain clip's first ``count`` frames, (388, 512, 3) uint8 RGB."""
    require_shared_media()
    frames = []
    with av.open(str(PD_CLIP)) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == count:
                break
    return frames


def short_clip(out: Path, count: int = 30) -> Path:
    """The public-domain clip's first ``count`` frames as a new H.264 file."""
    return _encode(clip_frames(count), out)


def blank_clip(out: Path, count: int = 12) -> Path:
    """Flat grey frames: a video in which no face can be found."""
    return _encode([np.full((HEIGHT, WIDTH, 3), 128, np.uint8)] * count, out)


def face_mask() -> np.ndarray:
    """(388, 512) uint8: a feathered ellipse over the clip's face."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.ellipse(mask, FACE_CENTRE, FACE_AXES, 0, 0, 360, 255, -1)
    return cv2.GaussianBlur(mask, (0, 0), 6)


def pasted_fake(out: Path, count: int = 30) -> tuple[Path, Path]:
    """A crude swap: Grace Hopper's portrait blended over the speaker's face on the
    frames in ``PASTED``, written with its ground-truth zip (the swap pipeline's own
    writer). Returns (video, ground truth)."""
    require_shared_media()
    portrait = cv2.cvtColor(cv2.imread(str(HOPPER), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    side = min(portrait.shape[:2])
    top = (portrait.shape[0] - side) // 3
    left = (portrait.shape[1] - side) // 2
    face = portrait[top : top + side, left : left + side]
    size = (2 * FACE_AXES[0] + 20, 2 * FACE_AXES[1] + 20)
    face = cv2.resize(face, size, interpolation=cv2.INTER_AREA)
    mask = face_mask()
    alpha = (mask.astype(np.float32) / 255)[..., None]
    y0, x0 = FACE_CENTRE[1] - FACE_AXES[1] - 10, FACE_CENTRE[0] - FACE_AXES[0] - 10
    truth_path = out.with_name(f"{out.stem}.groundtruth.zip")
    writer = GroundTruthWriter(truth_path, (HEIGHT, WIDTH))
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    frames = []
    for index, rgb in enumerate(clip_frames(count)):
        if PASTED[0] <= index <= PASTED[1]:
            pasted = rgb.copy()
            pasted[y0 : y0 + size[1], x0 : x0 + size[0]] = face
            rgb = (rgb * (1 - alpha) + pasted * alpha).astype(np.uint8)
            writer.add_frame(index, alpha=mask[box[1] : box[3], box[0] : box[2]], box=box)
        else:
            writer.add_frame(index)
        frames.append(rgb)
    video = _encode(frames, out)
    writer.close(
        {
            "video": {
                "file_name": out.name,
                "frame_count": count,
                "fps": RATE,
                "width": WIDTH,
                "height": HEIGHT,
            },
            "source": {"file_name": PD_CLIP.name, "start_frame": 0, "end_frame": count},
            "synthetic": {"made_by": "tests"},
        }
    )
    return video, truth_path


def export_video(
    path: Path,
    label: str,
    identities: tuple[str, ...],
    *,
    method: str | None = None,
    ground_truth: Path | None = None,
    label_source: str = "ground_truth",
    source: str = "test media",
    name: str | None = None,
    marks: tuple[ExportMark, ...] = (),
    verdicts: tuple[ExportVerdict, ...] = (),
    consensus: str | None = None,
) -> ExportVideo:
    """An ExportVideo for a real file, its size and frames probed as the app does."""
    probe = probe_media(path)
    sha = file_sha256(path)
    return ExportVideo(
        key=sha[:16],
        path=path,
        name=name or path.name,
        sha256=sha,
        label=label,
        label_source=label_source,
        identities=identities,
        frame_count=probe.frame_count,
        fps=float(probe.fps or 0),
        width=probe.width,
        height=probe.height,
        method=method,
        method_options={"mask": "ellipse"} if method else {},
        ground_truth=ground_truth,
        source=source,
        marks=marks,
        verdicts=verdicts,
        consensus=consensus,
    )

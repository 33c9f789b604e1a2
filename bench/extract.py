"""Extraction speed: the whole pipeline vs the naive baseline, in one process.

    .venv/bin/python bench/extract.py [VIDEO] [--sampling all|fps] [--fps 2] [--frames N]
                                      [--device auto] [--batch-size 16] [--no-baseline]
                                      [--redetect-seconds 1.0]

Prints frames per second for the full extraction (decode, detect, landmarks,
align, mask, metrics, embed, write), the share of time per stage, peak memory,
and the same for the baseline a newcomer would write: OpenCV decode of every
frame, MTCNN one frame at a time, dlib landmarks and embedding per face.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.media_paths import PD_CLIP as DEFAULT_VIDEO  # noqa: E402  (shared media)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_pipeline(video: Path, args: argparse.Namespace) -> tuple[float, int, dict]:
    from deepreview_workers.pipeline.extract import ExtractOptions, Extractor

    options = ExtractOptions(
        sampling=args.sampling,
        target_fps=args.fps,
        end_frame=args.frames,
        device=args.device,
        batch_size=args.batch_size,
        redetect_seconds=args.redetect_seconds,
    )
    extractor = Extractor(options)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = extractor.run(video, out)
        seconds = time.perf_counter() - started
    summary = result.summary
    return (
        seconds,
        summary.frames_sampled,
        {
            "faces": summary.faces_kept,
            "frames_read": summary.frames_read,
            "stages": summary.stage_seconds,
            "device": summary.device,
            "detection_frames": summary.detection_frames,
        },
    )


def run_baseline(video: Path, args: argparse.Namespace) -> tuple[float, int, int]:
    """The straightforward version: no batching, per-face model calls, cv2 decode."""
    import cv2
    import dlib
    import torch
    from facenet_pytorch import MTCNN

    from deepreview_workers.pipeline.weights import (
        dlib_face_descriptor_path,
        dlib_shape_predictor_path,
    )

    device = "cuda" if args.device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
    mtcnn = MTCNN(keep_all=True, device=device, min_face_size=40)
    predictor = dlib.shape_predictor(str(dlib_shape_predictor_path()))
    encoder = dlib.face_recognition_model_v1(str(dlib_face_descriptor_path()))
    capture = cv2.VideoCapture(str(video))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    step = 1 if args.sampling == "all" else max(int(round(fps / args.fps)), 1)
    started = time.perf_counter()
    index = sampled = faces = 0
    while True:
        ok, frame_bgr = capture.read()
        if not ok or (args.frames is not None and index >= args.frames):
            break
        if index % step == 0:
            sampled += 1
            rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
            boxes, probs = mtcnn.detect(rgb)
            if boxes is None:
                boxes, probs = [], []
            for box, prob in zip(boxes, probs, strict=True):
                if prob < 0.9:
                    continue
                rect = dlib.rectangle(*[int(v) for v in box])
                shape = predictor(rgb, rect)
                encoder.compute_face_descriptor(rgb, shape)
                faces += 1
        index += 1
    return time.perf_counter() - started, sampled, faces


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--sampling", choices=["all", "fps", "every_n"], default="all")
    parser.add_argument("--fps", type=float, default=2.0)
    parser.add_argument("--frames", type=int, default=None, help="stop after N frames")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--redetect-seconds",
        type=float,
        default=1.0,
        help="full detection this often, faces followed between (0 = always)",
    )
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    print(f"video: {args.video.name}  sampling: {args.sampling}")
    seconds, sampled, info = run_pipeline(args.video, args)
    print(
        f"pipeline  ({info['device']}): {sampled} frames, {info['faces']} faces in "
        f"{seconds:.2f} s = {sampled / seconds:.1f} frames/s"
    )
    total = sum(info["stages"].values()) or 1.0
    for stage, spent in sorted(info["stages"].items(), key=lambda kv: -kv[1]):
        print(f"    {stage:12} {spent:7.2f} s  {spent / total:5.1%}")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(info["detection_frames"].items()))
    print(f"    frames by detection: {counts}  (redetect every {args.redetect_seconds:g} s)")
    print(f"    peak memory {peak_rss_mb():.0f} MB")
    if args.no_baseline:
        return
    base_seconds, base_sampled, base_faces = run_baseline(args.video, args)
    print(
        f"baseline: {base_sampled} frames, {base_faces} faces in {base_seconds:.2f} s = "
        f"{base_sampled / base_seconds:.1f} frames/s"
    )
    speedup = (sampled / seconds) / (base_sampled / base_seconds)
    print(f"speed-up over the baseline: {speedup:.2f}x")


if __name__ == "__main__":
    main()

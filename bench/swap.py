"""Swap speed: training iterations per second (pipeline vs a bare PyTorch loop) and
conversion frames per second, on the public-domain shared media.

    .venv/bin/python bench/swap.py [--device cpu|cuda|auto] [--arch original] [--width W]
                                   [--batch-size 16] [--iterations 20] [--warmup 3]
                                   [--frames 60] [--no-convert] [--threads N]

Training: the trainer's iteration (sampling, on-device augmentation, masked loss, Adam,
AMP on CUDA; checkpoint and preview writes left out) against a bare loop of the same
model and batch on random tensors already on the device (no data at all); their ratio
is what the data pipeline costs. Batch building (gather + augmentation of one identity's
batch) is timed on its own too.
Conversion: the public-domain clip's first ``--frames`` frames (decode, align, model, blend,
H.264 encode, ground truth), with landmarks from a prior extraction (not timed).

Facesets: identity A from the public-domain clip (one frame in 4), identity B from the five
public-domain portraits, both read from the shared media (``DEEPREVIEW_SHARED_MEDIA``); for
throughput the identities do not matter. ``--width`` defaults to 1.0 (the real model) on
CUDA and 0.25 on the CPU so a CPU run finishes in minutes.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.media_paths import FACES as PORTRAITS  # noqa: E402  (shared media)
from tests.media_paths import PD_CLIP as CLIP  # noqa: E402


def show(label: str, figures: dict) -> None:
    print(f"{label}: {json.dumps(figures)}")


def extract(work: Path, device: str, frames: int) -> tuple[Path, list[Path], Path]:
    """Faceset folders for A and B, and an every-frame extraction of the clip's start."""
    from deepreview_workers.pipeline.extract import ExtractOptions, Extractor

    every = Extractor(ExtractOptions(sampling="all", device=device, end_frame=frames))
    sparse = copy.copy(every)
    sparse.options = replace(every.options, sampling="every_n", every_n=4, end_frame=None)
    sparse.run(CLIP, work / "faces_a")
    faces_b = []
    for photo in PORTRAITS:
        sparse.for_segment(0, None).run(photo, work / "faces_b" / photo.stem)
        faces_b.append(work / "faces_b" / photo.stem)
    every.run(CLIP, work / "target")
    return work / "faces_a", faces_b, work / "target" / "alignments.json"


def sync(device: object) -> None:
    import torch

    if getattr(device, "type", "cpu") == "cuda":
        torch.cuda.synchronize(device)


def bench_training(
    args: argparse.Namespace, work: Path, faces_a: Path, faces_b: list[Path]
) -> Path:
    import torch

    from deepreview_workers.pipeline.swap import (
        Trainer,
        TrainOptions,
        faceset_size,
        load_faceset_folder,
    )

    options = TrainOptions(
        arch=args.arch,
        width=args.width,
        batch_size=args.batch_size,
        device=args.device,
        iterations=args.warmup,
        checkpoint_every=10**9,
        preview_every=10**9,
        log_every=10**9,
        min_faces=1,
        learning_rate=1e-4,
    )
    size = faceset_size(options)
    a = load_faceset_folder(faces_a, size=size)
    b = load_faceset_folder(faces_b, size=size)
    trainer = Trainer(work / "model", a, b, options)
    trainer.run()  # warm-up: cuDNN autotuning, allocator, first-call overheads
    # Timed: the trainer's own iteration (sampling, augmentation, loss, optimiser step);
    # checkpoint and preview writes are left out (they happen every few hundred steps).
    sync(trainer.device)
    started = time.perf_counter()
    for _ in range(args.iterations):
        trainer.step()
    sync(trainer.device)
    pipeline = args.iterations / (time.perf_counter() - started)

    sync(trainer.device)
    started = time.perf_counter()
    for _ in range(args.iterations):
        trainer._batch("a")
    sync(trainer.device)
    batch_ms = (time.perf_counter() - started) / args.iterations * 1000

    # The bare loop: the same model, optimiser, AMP and batch on random device tensors.
    model, optimizer, scaler = trainer.model, trainer.optimizer, trainer.scaler
    inputs = torch.rand(2 * args.batch_size, 3, model.size, model.size, device=trainer.device)
    targets = torch.rand_like(inputs)

    def bare_step() -> None:
        with torch.autocast(trainer.device.type, dtype=torch.float16, enabled=trainer.amp):
            latent_a, latent_b = model.encode(inputs).split(args.batch_size)
            out_a, out_b = model.decode(latent_a, "a")[0], model.decode(latent_b, "b")[0]
        loss = (out_a.float() - targets[: args.batch_size]).abs().mean() + (
            out_b.float() - targets[args.batch_size :]
        ).abs().mean()
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    for _ in range(args.warmup):
        bare_step()
    sync(trainer.device)
    started = time.perf_counter()
    for _ in range(args.iterations):
        bare_step()
    sync(trainer.device)
    bare = args.iterations / (time.perf_counter() - started)
    show(
        "training",
        {
            "device": str(trainer.device),
            "arch": args.arch,
            "width": args.width,
            "resolution": model.size,
            "batch_size_per_identity": args.batch_size,
            "mixed_precision": trainer.amp,
            "faces_a": len(a),
            "faces_b": len(b),
            "pipeline_iterations_per_second": round(pipeline, 2),
            "bare_loop_iterations_per_second": round(bare, 2),
            "pipeline_over_bare": round(pipeline / bare, 3),
            "batch_build_ms_per_identity": round(batch_ms, 2),
            "torch_threads": torch.get_num_threads(),
        },
    )
    trainer.save_checkpoint()
    return work / "model"


def bench_conversion(
    args: argparse.Namespace, work: Path, model_dir: Path, alignments: Path
) -> None:
    from deepreview_workers.pipeline.swap import Converter, ConvertOptions, convert_video

    converter = Converter(model_dir, ConvertOptions(device=args.device))  # load: not timed
    result = convert_video(CLIP, alignments, converter, work / "fake.mp4", end_frame=args.frames)
    show(
        "conversion",
        {
            "device": result.device,
            "frames": result.frames_total,
            "frames_swapped": len(result.frames_manipulated),
            "seconds": result.seconds,
            "frames_per_second": result.frames_per_second,
            "video_codec": result.video_codec,
            "size": "512x388",
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--arch", default="original")
    parser.add_argument("--width", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--no-convert", action="store_true")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    from deepreview_workers.pipeline.device import resolve_device

    device = resolve_device(args.device)
    args.device = str(device)
    if args.width is None:
        args.width = 1.0 if device.type == "cuda" else 0.25
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        faces_a, faces_b, alignments = extract(work, args.device, args.frames)
        print(f"extraction (not benchmarked): {time.perf_counter() - started:.1f} s")
        model_dir = bench_training(args, work, faces_a, faces_b)
        if not args.no_convert:
            bench_conversion(args, work, model_dir, alignments)


if __name__ == "__main__":
    main()

"""``deepreview detect``, ``train-detector`` and ``export-detector``: detection from a shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from deepreview_workers.cli_faces import TerminalProgress
from deepreview_workers.cli_registry import arg, command


@command(
    "detect",
    help="Score videos with the built-in detector (or --detector) and measure forensic "
    "signals per frame.",
    arguments=[
        arg("videos", nargs="+", type=Path, metavar="VIDEO"),
        arg(
            "--detector",
            type=Path,
            default=None,
            help="a checkpoint from train-detector (default: the built-in detector)",
        ),
        arg("--signals-only", action="store_true", help="no detector: forensic signals alone"),
        arg("--frames", type=int, default=32, help="analysed frames, evenly spread"),
        arg("--project", type=int, help="with --server: the project to upload the videos to"),
        arg("--device", default="auto"),
        arg(
            "--json",
            action="store_true",
            help="print the whole result per video (per-frame scores and signals)",
        ),
    ],
)
def detect(args: argparse.Namespace) -> int:
    from deepreview_workers.pipeline.detection.builtin import load_builtin_detector
    from deepreview_workers.pipeline.detection.checkpoint import CheckpointError, load_detector
    from deepreview_workers.pipeline.detection.video import DetectOptions, VideoDetector
    from deepreview_workers.pipeline.video_io import MediaRejected

    if args.signals_only and args.detector:
        print(
            "deepreview detect: --detector and --signals-only exclude each other", file=sys.stderr
        )
        return 2
    try:
        if args.signals_only:
            loaded = None
        elif args.detector:
            loaded = load_detector(args.detector, args.device)
        else:
            loaded = load_builtin_detector(args.device)
        # Loads the shipped signal reference: a damaged one is a ValueError saying so.
        runner = VideoDetector(DetectOptions(frames=args.frames, device=args.device))
    except (CheckpointError, FileNotFoundError, ValueError) as exc:
        what = args.detector or ("signals" if args.signals_only else "built-in detector")
        print(f"deepreview detect: {what}: {exc}", file=sys.stderr)
        return 1
    status = 0
    for video in args.videos:
        try:
            result = runner.run(video, loaded, progress=TerminalProgress(video.name))
        except (MediaRejected, FileNotFoundError) as exc:
            print(
                f"deepreview detect: {video}: {getattr(exc, 'message', None) or exc}",
                file=sys.stderr,
            )
            status = 1
            continue
        data = result.as_dict()
        if not args.json:
            data.pop("frames")
        print(json.dumps({"video": str(video), **data}), flush=True)
    return status


@command(
    "train-detector",
    help="Train a fake detector from labeled face folders (DATA/real, DATA/fake or a "
    "labels.csv), from what `deepreview extract -o DATA/real` and `-o DATA/fake` wrote, "
    "or from a dataset export (its zip or folder; its own train/validation splits).",
    arguments=[
        arg("data", type=Path, metavar="DATA"),
        arg("-o", "--output", required=True, type=Path, metavar="PATH", help="checkpoint"),
        arg(
            "--arch",
            default="efficientnet_lite0",
            help="efficientnet_lite0 (default: fine-tunes the built-in detector), "
            "efficientnet_lite2 (from ImageNet), meso4 or efficientnet_b0 (from random weights)",
        ),
        arg("--epochs", type=int, default=10),
        arg("--batch-size", type=int, default=32),
        arg(
            "--learning-rate",
            type=float,
            default=None,
            help="default: 1e-4 from the built-in detector, 3e-4 from ImageNet, 1e-3 from scratch",
        ),
        arg("--pretrained-weights", default=None, help="local ImageNet weights (efficientnet)"),
        arg(
            "--source-dir",
            action="append",
            type=Path,
            default=[],
            metavar="DIR",
            help="extract output: a folder holding the videos the faces were extracted from "
            "(searched with its subfolders; repeatable). Each face is cut from its "
            "source frame as detection cuts it; without this the videos are looked "
            "for beside DATA and in the working folder",
        ),
        arg("--seed", type=int, default=0),
        arg("--device", default="auto"),
    ],
)
def train_detector(args: argparse.Namespace) -> int:
    from deepreview_workers.pipeline.detection.dataset import TrainingDataError, load_face_set
    from deepreview_workers.pipeline.detection.train import TrainOptions
    from deepreview_workers.pipeline.detection.train import train_detector as train

    try:
        options = TrainOptions(
            arch=args.arch,
            epochs=args.epochs,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            pretrained_weights=args.pretrained_weights,
            seed=args.seed,
            device=args.device,
        )
        # Extract output: faces found and cut from their frames as detection finds and cuts
        # them, at the model's input size and margin.
        face_set = load_face_set(
            args.data,
            source_dirs=args.source_dir,
            crop_size=options.size,
            crop_margin=options.crop_margin,
            device=args.device,
            progress=TerminalProgress("faces"),
        )
        result = train(face_set, args.output, options, progress=TerminalProgress("training"))
    except (TrainingDataError, ValueError, FileNotFoundError) as exc:
        print(f"deepreview train-detector: {args.data}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result.as_dict()), flush=True)
    return 0


@command(
    "export-detector",
    help="Export a detector (the built-in one, or a checkpoint from train-detector) to ONNX "
    "for onnxruntime and other runtimes, with a model card beside the file.",
    arguments=[
        arg(
            "detector",
            nargs="?",
            default="builtin",
            metavar="CHECKPOINT",
            help="a checkpoint from train-detector, or 'builtin' (the default)",
        ),
        arg(
            "-o",
            "--output",
            required=True,
            type=Path,
            metavar="OUT.onnx",
            help="the ONNX file; its model card goes beside it as OUT.model-card.md",
        ),
        arg("--onnx", action="store_true", help="export to ONNX (the one format so far)"),
        arg(
            "--no-check",
            action="store_true",
            help="skip running the file in onnxruntime against PyTorch",
        ),
    ],
)
def export_detector(args: argparse.Namespace) -> int:
    if not args.onnx:
        print("deepreview export-detector: name the format: --onnx", file=sys.stderr)
        return 2
    from deepreview_workers.pipeline.detection.checkpoint import CheckpointError
    from deepreview_workers.pipeline.detection.onnx_export import (
        PARITY_TOLERANCE,
        OnnxExportError,
        export_detector_onnx,
    )

    name = args.detector if args.detector != "builtin" else "built-in detector"
    try:
        result = export_detector_onnx(args.detector, args.output, check=not args.no_check)
    except (CheckpointError, FileNotFoundError, OnnxExportError) as exc:
        print(f"deepreview export-detector: {name}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result.as_dict()), flush=True)
    parity = result.parity_max_abs_diff
    if parity is not None and parity > PARITY_TOLERANCE:
        print(
            f"deepreview export-detector: {args.output}: onnxruntime differs from PyTorch "
            f"by up to {parity:.2e} (over {PARITY_TOLERANCE:g})",
            file=sys.stderr,
        )
        return 1
    return 0

"""``deepreview train`` and ``deepreview convert``: the swap jobs, from a shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from deepreview_workers.cli_faces import TerminalProgress
from deepreview_workers.cli_registry import arg, command


def _fail(subcommand: str, target: str, reason: str) -> int:
    print(f"deepreview {subcommand}: {target}: {reason}", file=sys.stderr)
    return 1


@command(
    "train",
    help="Train (or resume) an A<->B face-swap model from two extracted face folders.",
    arguments=[
        arg(
            "--faces-a",
            required=True,
            type=Path,
            nargs="+",
            metavar="DIR",
            help="folder(s) written by `deepreview extract` for identity A",
        ),
        arg(
            "--faces-b",
            required=True,
            type=Path,
            nargs="+",
            metavar="DIR",
            help="folder(s) for identity B",
        ),
        arg(
            "--model",
            required=True,
            type=Path,
            metavar="DIR",
            help="model folder: checkpoint, previews, loss history (resumed when present)",
        ),
        arg("--arch", default=None, help="original (64 px) or medium128 (new models only)"),
        arg("--iterations", type=int, default=100_000, help="train until this many in total"),
        arg("--batch-size", type=int, default=16, help="faces per identity per iteration"),
        arg("--learning-rate", type=float, default=5e-5),
        arg("--width", type=float, default=None, help="channel multiplier (new models only)"),
        arg("--checkpoint-every", type=int, default=500),
        arg("--preview-every", type=int, default=500),
        arg("--ssim-weight", type=float, default=0.0),
        arg("--eye-mouth-priority", action="store_true"),
        arg("--seed", type=int, default=0),
        arg("--device", default="auto", help="auto, cpu, cuda or cuda:N"),
    ],
)
def train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from deepreview_workers.pipeline.swap.errors import SwapInputError
    from deepreview_workers.pipeline.swap.faceset import load_faceset_folder
    from deepreview_workers.pipeline.swap.models import has_checkpoint
    from deepreview_workers.pipeline.swap.train import (
        Trainer,
        TrainOptions,
        faceset_size,
        load_train_options,
    )

    # A resumed model keeps its architecture, width and coverage.
    options = load_train_options(args.model) if has_checkpoint(args.model) else TrainOptions()
    fixed = {"arch": args.arch, "width": args.width}
    options = replace(
        options,
        **{k: v for k, v in fixed.items() if v is not None and not has_checkpoint(args.model)},
        iterations=args.iterations,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        checkpoint_every=args.checkpoint_every,
        preview_every=args.preview_every,
        ssim_weight=args.ssim_weight,
        eye_mouth_priority=args.eye_mouth_priority,
        seed=args.seed,
        device=args.device,
        identity_a=args.faces_a[0].name,
        identity_b=args.faces_b[0].name,
    )
    try:
        size = faceset_size(options)
        faces_a = load_faceset_folder(args.faces_a, size=size, label="A")
        faces_b = load_faceset_folder(args.faces_b, size=size, label="B")
        trainer = Trainer(args.model, faces_a, faces_b, options)
        result = trainer.run(progress=TerminalProgress(args.model.name))
    except SwapInputError as exc:
        return _fail("train", str(args.model), str(exc))
    print(json.dumps(result.as_dict()), flush=True)
    return 0


@command(
    "convert",
    help="Convert a video with a trained model; writes the fake and its ground-truth zip.",
    arguments=[
        arg("video", type=Path, metavar="VIDEO"),
        arg("--model", required=True, type=Path, metavar="DIR", help="a trained model folder"),
        arg("-o", "--output", required=True, type=Path, metavar="OUT.mp4"),
        arg(
            "--direction",
            choices=["a-to-b", "b-to-a"],
            default="a-to-b",
            help="a-to-b: the video shows A, the output shows B",
        ),
        arg(
            "--alignments",
            type=Path,
            default=None,
            help="the video's alignments.json from `deepreview extract --sampling all`; "
            "extracted now when omitted",
        ),
        arg("--track", type=int, default=None, help="track id of the face to swap (largest)"),
        arg("--mask", default="extended", help="components, extended, learned or ellipse"),
        arg(
            "--erode-dilate",
            dest="erode_dilate_px",
            type=int,
            default=0,
            help="pixels; negative erodes the mask",
        ),
        arg("--feather", dest="feather_px", type=float, default=8.0, help="pixels of soft edge"),
        arg(
            "--color-transfer", default="avg-color", help="none, avg-color, reinhard or hist-match"
        ),
        arg("--seamless-clone", action="store_true"),
        arg("--sharpen", type=float, default=0.0),
        arg("--smoothing-window", type=int, default=1, help="frames of landmark averaging"),
        arg("--face-scale", type=float, default=1.0),
        arg("--device", default="auto"),
    ],
)
def convert(args: argparse.Namespace) -> int:
    import tempfile

    from deepreview_workers.pipeline.extract import ExtractOptions, extract_media
    from deepreview_workers.pipeline.swap.convert import ConvertOptions, convert_video
    from deepreview_workers.pipeline.swap.errors import SwapInputError
    from deepreview_workers.pipeline.video_io import MediaRejected

    names = (
        "direction",
        "mask",
        "erode_dilate_px",
        "feather_px",
        "color_transfer",
        "seamless_clone",
        "sharpen",
        "smoothing_window",
        "face_scale",
        "device",
    )
    try:
        options = ConvertOptions(**{name: getattr(args, name) for name in names})
        with tempfile.TemporaryDirectory() as tmp:
            alignments = args.alignments
            if alignments is None:
                found = extract_media(
                    args.video,
                    Path(tmp),
                    progress=TerminalProgress("faces"),
                    options=ExtractOptions(sampling="all", masks=(), device=args.device),
                )
                alignments = found.alignments_path
            result = convert_video(
                args.video,
                alignments,
                args.model,
                args.output,
                options,
                track="largest" if args.track is None else args.track,
                progress=TerminalProgress(args.video.name),
            )
    except (SwapInputError, MediaRejected, FileNotFoundError) as exc:
        return _fail("convert", str(args.video), getattr(exc, "message", None) or str(exc))
    summary = result.as_dict()
    summary["frames_manipulated"] = len(result.frames_manipulated)
    print(json.dumps(summary), flush=True)
    return 0

"""``deepreview extract`` and ``deepreview sort``: the extraction job, from a shell."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from deepreview_workers.cli_registry import arg, command


class TerminalProgress:
    """A one-line progress bar on stderr (a ProgressCallback)."""

    def __init__(self, label: str, width: int = 30) -> None:
        self.label = label
        self.width = width
        self.started = time.monotonic()
        self.interactive = sys.stderr.isatty()
        self._last = -1.0

    def __call__(self, fraction: float, message: str) -> None:
        if not self.interactive and fraction - self._last < 0.1 and fraction < 1.0:
            return  # in logs, one line per 10 %
        self._last = fraction
        filled = int(self.width * fraction)
        elapsed = time.monotonic() - self.started
        eta = f" ETA {elapsed / fraction * (1 - fraction):4.0f}s" if 0.02 < fraction < 1 else ""
        bar = "#" * filled + "." * (self.width - filled)
        line = f"{self.label} [{bar}] {fraction:4.0%}{eta} {message}"[:160]
        end = "\r" if self.interactive and fraction < 1.0 else "\n"
        print(line.ljust(100 if self.interactive else 0), end=end, file=sys.stderr, flush=True)


@command(
    "extract",
    help="Extract aligned faces, masks and an alignments file from videos and images.",
    arguments=[
        arg("inputs", nargs="+", metavar="INPUT", help="video or image file"),
        arg("-o", "--output", required=True, type=Path, help="output folder"),
        arg("--sampling", choices=["fps", "every_n", "all"], default="fps"),
        arg("--fps", dest="target_fps", type=float, default=2.0, help="frames/s to sample"),
        arg("--every-n", type=int, default=15, help="take every Nth frame (every_n sampling)"),
        arg("--start-frame", type=int, default=0),
        arg("--end-frame", type=int, default=None),
        arg("--size", dest="crop_size", type=int, default=256, help="aligned crop size in pixels"),
        arg("--min-face-size", type=int, default=40, help="smaller faces are dropped (pixels)"),
        arg("--min-confidence", type=float, default=0.9, help="detector score threshold"),
        arg("--margin", type=float, default=0.0, help="box margin as a fraction of its size"),
        arg("--batch-size", type=int, default=16, help="frames per detector batch"),
        arg(
            "--redetect-seconds",
            type=float,
            default=1.0,
            help="full face detection at least this often; faces are followed in between "
            "(0 = detect every frame)",
        ),
        arg("--device", default="auto", help="auto, cpu or cuda[:N]"),
    ],
)
def extract(args: argparse.Namespace) -> int:
    from deepreview_workers.pipeline.extract import ExtractOptions, Extractor
    from deepreview_workers.pipeline.video_io import MediaRejected

    options = ExtractOptions(
        sampling=args.sampling,
        target_fps=args.target_fps,
        every_n=args.every_n,
        start_frame=args.start_frame,
        end_frame=args.end_frame,
        crop_size=args.crop_size,
        min_face_size=args.min_face_size,
        min_confidence=args.min_confidence,
        margin=args.margin,
        batch_size=args.batch_size,
        redetect_seconds=args.redetect_seconds,
        device=args.device,
    )
    extractor = Extractor(options)  # models load once for all inputs
    status = 0
    for name in args.inputs:
        path = Path(name)
        out_dir = args.output / path.stem
        try:
            result = extractor.run(path, out_dir, progress=TerminalProgress(path.name))
        except (MediaRejected, FileNotFoundError) as exc:
            reason = getattr(exc, "message", None) or str(exc)
            print(f"deepreview extract: {name}: {reason}", file=sys.stderr)
            status = 1
            continue
        record = {"input": str(path), "output": str(out_dir), **result.summary.as_dict()}
        print(json.dumps(record), flush=True)
    return status


@command(
    "sort",
    help="Print the faces of an extracted folder in curation order, one path per line.",
    arguments=[
        arg(
            "folder",
            type=Path,
            metavar="DIR",
            help="the folder given to `deepreview extract -o` (one or many inputs)",
        ),
        arg(
            "--by",
            required=True,
            help="identity, blur, size, yaw, pitch, brightness, hue, hist "
            "or confidence (the faces most likely to remove come first)",
        ),
        arg("--reverse", action="store_true", help="turn the order round"),
        arg(
            "--reference",
            type=Path,
            default=None,
            help="identity: a face crop from the folder to measure distance from",
        ),
    ],
)
def sort(args: argparse.Namespace) -> int:
    from deepreview_workers.pipeline.alignments import (
        ALIGNMENTS_FILE,
        AlignmentsError,
        extracted_folders,
        read_alignments,
    )
    from deepreview_workers.pipeline.curation.order import SORT_KEYS, sort_faces

    if args.by not in SORT_KEYS:
        print(f"deepreview sort: --by must be one of {', '.join(SORT_KEYS)}", file=sys.stderr)
        return 2
    faces, paths = [], []
    try:
        for source in extracted_folders(args.folder):  # every input `extract -o` wrote
            for face in read_alignments(source / ALIGNMENTS_FILE).faces:
                if face.crop_path:
                    faces.append(face)
                    paths.append(source / face.crop_path)
    except AlignmentsError as exc:
        print(f"deepreview sort: {exc}", file=sys.stderr)
        return 1
    reference = None
    if args.reference is not None:
        matches = [
            face
            for face, path in zip(faces, paths, strict=True)
            if path.resolve() == args.reference.resolve()
            or (not args.reference.parent.name and path.name == args.reference.name)
        ]
        if not matches:
            print(
                f"deepreview sort: {args.reference} is not a face of {args.folder}", file=sys.stderr
            )
            return 1
        reference = matches[0].embedding
    for index in sort_faces(faces, args.by, reference_embedding=reference, reverse=args.reverse):
        print(paths[index])
    return 0

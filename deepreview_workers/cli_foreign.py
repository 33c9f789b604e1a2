"""``deepreview import-faces``: a faceswap or DeepFaceLab faceset into extract's folders."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from deepreview_workers.cli_registry import arg, command


@command(
    "import-faces",
    help="Import a faceswap or DeepFaceLab faceset (folder or zip) as extracted faces.",
    arguments=[
        arg("source", type=Path, metavar="SRC", help="folder or zip of aligned faces"),
        arg("-o", "--output", required=True, type=Path, help="output folder (as extract -o)"),
        arg("--format", choices=["auto", "faceswap", "deepfacelab"], default="auto"),
        arg("--size", dest="crop_size", type=int, default=256, help="aligned crop size"),
    ],
)
def import_faces(args: argparse.Namespace) -> int:
    from deepreview_workers.cli_faces import TerminalProgress
    from deepreview_workers.pipeline.foreign_faces import (
        ForeignImportError,
        ImportOptions,
        import_foreign_faces,
    )

    options = ImportOptions(format=args.format, crop_size=args.crop_size)
    try:
        result = import_foreign_faces(
            args.source,
            args.output,
            options=options,
            progress=TerminalProgress(args.source.name),
        )
    except ForeignImportError as exc:
        print(f"deepreview import-faces: {exc}", file=sys.stderr)
        return 1
    summary = result.summary
    for reason, examples in summary["skipped_examples"].items():
        count = summary["skipped"][reason]
        print(
            f"deepreview import-faces: skipped {count} ({reason}), e.g. {examples[0]}",
            file=sys.stderr,
        )
    print(json.dumps({"output": str(args.output), **summary}), flush=True)
    return 0

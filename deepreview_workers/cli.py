"""``deepreview`` command line: run pipeline steps on local files, without Django.

Adding a subcommand is one function and one registration::

    @command("extract", help="Extract faces.", arguments=[arg("files", nargs="+")])
    def extract(args: argparse.Namespace) -> int:
        ...
        return 0

A command returns the process exit code: 0 success, 1 when some input failed (after
processing all of them); argparse exits with 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import metadata
from pathlib import Path

from deepreview_workers.cli_registry import COMMANDS, arg, command

PROG = "deepreview"
_FALLBACK_VERSION = "0.1.0"


def version() -> str:
    """The installed package version, or the source tree's when not installed."""
    try:
        return metadata.version(PROG)
    except metadata.PackageNotFoundError:
        return _FALLBACK_VERSION


def _fail(subcommand: str, target: str, reason: str) -> None:
    """One line on stderr per failed input, so scripts can grep it."""
    print(f"{PROG} {subcommand}: {target}: {reason}", file=sys.stderr)


@command(
    "probe",
    help="Describe video/image files as JSON lines (one object per file).",
    arguments=[arg("files", nargs="+", metavar="FILE", help="video or image file")],
)
def probe(args: argparse.Namespace) -> int:
    # Imported here so `deepreview --help` stays fast and works without PyAV.
    from deepreview_workers.pipeline.video_io import MediaRejected, file_sha256, probe_media

    status = 0
    for name in args.files:
        path = Path(name)
        try:
            result = probe_media(path)
            record = {
                "path": str(path),
                "size_bytes": path.stat().st_size,
                "sha256": file_sha256(path),
                **result.as_dict(),
            }
        except MediaRejected as exc:
            _fail("probe", name, f"{exc.message} [{exc.code}]")
            status = 1
            continue
        except OSError as exc:
            _fail("probe", name, exc.strerror or str(exc))
            status = 1
            continue
        print(json.dumps(record), flush=True)
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="deepreview: deepfake dataset curation and forensic review tools.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {version()}")
    parser.add_argument(
        "--server",
        default=os.environ.get("DEEPREVIEW_SERVER"),
        metavar="URL",
        help="run detect, export or import on this deepreview server (env DEEPREVIEW_SERVER)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("DEEPREVIEW_TOKEN"),
        help="API token for --server (env DEEPREVIEW_TOKEN; POST /api/auth/token/ gives one)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for entry in COMMANDS.values():
        sub = subparsers.add_parser(entry.name, help=entry.help, description=entry.help)
        for argument in entry.arguments:
            sub.add_argument(*argument.flags, **argument.options)
        sub.set_defaults(handler=entry.handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``deepreview`` console script; returns the exit code."""
    # Subcommands living in other modules register themselves on import.
    import deepreview_workers.cli_dataset  # noqa: F401
    import deepreview_workers.cli_detect  # noqa: F401
    import deepreview_workers.cli_faces  # noqa: F401
    import deepreview_workers.cli_foreign  # noqa: F401
    import deepreview_workers.cli_swap  # noqa: F401

    args = build_parser().parse_args(argv)
    try:
        if args.server:
            from deepreview_workers.cli_remote import run_remote

            return run_remote(args)
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `deepreview sort DIR --by blur | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

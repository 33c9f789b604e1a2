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
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

PROG = "deepreview"
_FALLBACK_VERSION = "0.1.0"

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Argument:
    """Positional ``flags`` and keyword ``options`` for ``ArgumentParser.add_argument``."""

    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: tuple[Argument, ...]
    handler: Handler


COMMANDS: dict[str, Command] = {}


def arg(*flags: str, **options: Any) -> Argument:
    """Declare one argument of a subcommand (same signature as ``add_argument``)."""
    return Argument(flags, options)


def command(
    name: str, *, help: str, arguments: Sequence[Argument] = ()
) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the subcommand ``name``."""

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise ValueError(f"subcommand {name!r} is registered twice")
        COMMANDS[name] = Command(name, help, tuple(arguments), handler)
        return handler

    return register


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
    from workers.pipeline.video_io import MediaRejected, file_sha256, probe_media

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
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for entry in COMMANDS.values():
        sub = subparsers.add_parser(entry.name, help=entry.help, description=entry.help)
        for argument in entry.arguments:
            sub.add_argument(*argument.flags, **argument.options)
        sub.set_defaults(handler=entry.handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``deepreview`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

"""The same verbs against a server: ``deepreview --server URL --token T VERB ...``.

A verb with a remote form runs through the Python client (``deepreview_client``): files
named on the command line are uploaded, the server's workers do the work, progress shows
on stderr and the result prints as it does locally. The token decides who acts, so the
local ``--user`` / ``--owner`` are not needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from deepreview_client import ApiError, Client, JobFailed
from deepreview_workers.cli_faces import TerminalProgress

RemoteHandler = Callable[[argparse.Namespace, Client], int]


def _project(args: argparse.Namespace, verb: str) -> int | None:
    if getattr(args, "project", None) is None:
        print(f"deepreview {verb}: --project is needed with --server", file=sys.stderr)
        return None
    return args.project


def remote_detect(args: argparse.Namespace, client: Client) -> int:
    project = _project(args, "detect")
    if project is None:
        return 2
    detector = None
    if args.detector is not None:
        if not str(args.detector).isdigit():
            print("deepreview detect: with --server, --detector is a detector id", file=sys.stderr)
            return 2
        detector = int(str(args.detector))
    status = 0
    for video in args.videos:
        try:
            item = client.upload(project, video)
            client.wait_ready(project, item["id"])
            (job,) = client.detect(
                project,
                [item["id"]],
                detector=detector,
                signals_only=args.signals_only,
                options={"frames": args.frames},
            )
            client.wait(project, job["id"], on_progress=TerminalProgress(video.name))
            run = client.detections(project, media=item["id"])[0]
            data = client.detection_result(run) if args.json else run
        except (ApiError, JobFailed, OSError) as exc:
            print(f"deepreview detect: {video}: {exc}", file=sys.stderr)
            status = 1
            continue
        print(json.dumps({"video": str(video), "media": item["id"], **data}), flush=True)
    return status


def remote_export(args: argparse.Namespace, client: Client) -> int:
    from deepreview_workers.cli_dataset import export_spec

    selection, options = export_spec(args)
    try:
        if args.preview:
            preview = client.export_preview(args.project, selection, options)
            print(json.dumps(preview, indent=2))
            return 0
        name = args.name or args.output.stem
        export = client.export_create(args.project, name, selection, options)
        client.wait(args.project, export["job"], on_progress=TerminalProgress("export"))
        args.output.parent.mkdir(parents=True, exist_ok=True)
        path = client.download_export(args.project, export["id"], args.output)
        export = client.export(args.project, export["id"])
    except (ApiError, JobFailed, OSError) as exc:
        print(f"deepreview export: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"export": export["id"], "output": str(path), **export["summary"]}, indent=2))
    return 0


def remote_import(args: argparse.Namespace, client: Client) -> int:
    try:
        record = client.import_dataset(
            args.export,
            name=args.name,
            project=args.project,
            layout=args.layout,
            compression=args.compression or "",
            on_progress=TerminalProgress("import"),
        )
    except (ApiError, OSError) as exc:
        print(f"deepreview import: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"project": record["project"], "import": record["id"], **record["summary"]}))
    return 0


REMOTE_COMMANDS: dict[str, RemoteHandler] = {
    "detect": remote_detect,
    "export": remote_export,
    "import": remote_import,
}


def run_remote(args: argparse.Namespace) -> int:
    handler = REMOTE_COMMANDS.get(args.command)
    if handler is None:
        names = ", ".join(sorted(REMOTE_COMMANDS))
        print(
            f"deepreview {args.command}: runs on local files only; with --server: {names}",
            file=sys.stderr,
        )
        return 2
    if not args.token:
        print("deepreview: --server needs --token (or DEEPREVIEW_TOKEN)", file=sys.stderr)
        return 2
    return handler(args, Client(args.server, token=args.token))


__all__ = ["REMOTE_COMMANDS", "run_remote"]

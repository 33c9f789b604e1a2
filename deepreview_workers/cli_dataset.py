"""``deepreview export`` and ``deepreview import``: dataset releases from a shell.

They need the app's database (the selection reads labels, verdicts and marks), so they
set up Django with the same settings as the app (``DJANGO_SETTINGS_MODULE``, default
``deepreview.settings``, and the same environment variables). Work runs in this
process with a progress bar; the result is recorded in the project like the builder's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from deepreview_workers.cli_faces import TerminalProgress
from deepreview_workers.cli_registry import arg, command


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deepreview.settings")
    import django

    django.setup()


def _user(username: str) -> object:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise SystemExit(f"deepreview: no user named '{username}'")
    return user


def export_spec(args: argparse.Namespace) -> tuple[dict, dict]:
    """Selection and options: the spec file's, overridden by flags given."""
    spec = json.loads(args.spec.read_text()) if args.spec else {}
    selection = dict(spec.get("selection", {}))
    options = dict(spec.get("options", {}))
    flags = {
        "label_source": args.label_source,
        "reviewer": args.reviewer,
        "labels": args.label,
        "identities": args.identity,
        "methods": args.method,
        "created_after": args.created_after,
        "created_before": args.created_before,
    }
    selection.update({k: v for k, v in flags.items() if v})
    opts = {
        "frames_per_video": args.frames,
        "crop_size": args.crop_size,
        "margin": args.margin,
        "seed": args.seed,
        "formats": args.format,
        "compressions": args.compression,
        "ratios": [float(v) for v in args.ratios.split(",")] if args.ratios else None,
    }
    options.update({k: v for k, v in opts.items() if v is not None})
    return selection, options


@command(
    "export",
    help="Export a labeled dataset from a project (selection as flags or a JSON spec file).",
    arguments=[
        arg("--project", type=int, required=True, help="project id"),
        arg("-o", "--output", type=Path, required=True, help="the zip to write"),
        arg("--user", help="who makes the export (a curator or owner; not with --server)"),
        arg("--name", default="", help="release name (default: the output's file name)"),
        arg("--spec", type=Path, help='JSON file {"selection": {...}, "options": {...}}'),
        arg("--label-source", choices=["ground_truth", "consensus", "reviewer"]),
        arg("--reviewer", help="with --label-source reviewer: whose verdicts"),
        arg("--label", action="append", choices=["real", "fake"]),
        arg("--identity", action="append", help="keep videos showing this person (repeat)"),
        arg("--method", action="append", help="real, uploaded or deepreview-<arch> (repeat)"),
        arg("--created-after"),
        arg("--created-before"),
        arg("--frames", type=int, help="face frames per video"),
        arg("--crop-size", type=int),
        arg("--margin", type=float),
        arg("--ratios", help="train,validation,test shares, e.g. 0.7,0.15,0.15"),
        arg("--seed", type=int),
        arg("--format", action="append", choices=["imagefolder", "ffpp", "annotations"]),
        arg("--compression", action="append", choices=["c0", "c23", "c40"]),
        arg("--preview", action="store_true", help="print what would be exported and stop"),
    ],
)
def export(args: argparse.Namespace) -> int:
    if not args.user:
        print("deepreview export: --user is needed (who makes the export)", file=sys.stderr)
        return 2
    _django()
    from django.http import Http404

    from deepreview.core.errors import ApplicationError
    from deepreview.exports import services
    from deepreview.projects.roles import Role
    from deepreview.projects.selectors import access_project

    selection, options = export_spec(args)
    try:
        project = access_project(_user(args.user), args.project, min_role=Role.CURATOR)
        if args.preview:
            print(
                json.dumps(
                    services.export_preview(project=project, selection=selection, options=options),
                    indent=2,
                )
            )
            return 0
        record = services.export_prepare(
            project=project,
            name=args.name or args.output.stem,
            selection=selection,
            options=options,
            requested_by=_user(args.user),
        )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        summary = services.export_build(
            export=record, out_zip=args.output, progress=TerminalProgress("export")
        )
        services.export_record(export=record, zip_path=args.output, summary=summary)
    except (ApplicationError, Http404) as exc:  # Http404: no such project, or not a member
        print(f"deepreview export: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 1
    print(json.dumps({"export": record.pk, "output": str(args.output), **summary}, indent=2))
    return 0


@command(
    "import",
    help="Load a dataset (a deepreview export, or a FaceForensics++, DFDC or Celeb-DF "
    "zip or folder) into a new project owned by --owner, or into --project.",
    arguments=[
        arg("export", type=Path, metavar="PATH", help="a zip, or a folder (not with --server)"),
        arg("--owner", help="who imports: owns the new project, or curates --project"),
        arg("--name", default="", help="project name (default: the zip's name)"),
        arg("--project", type=int, help="import into this existing project instead"),
        arg("--layout", default="auto", choices=["auto", "deepreview", "ffpp", "dfdc", "celebdf"]),
        arg("--compression", choices=["raw", "c0", "c23", "c40"], help="FaceForensics++ only"),
    ],
)
def import_(args: argparse.Namespace) -> int:
    if not args.owner:
        print("deepreview import: --owner is needed (who owns the project)", file=sys.stderr)
        return 2
    _django()
    from django.core.files.uploadedfile import UploadedFile
    from django.http import Http404

    from deepreview.core.errors import ApplicationError
    from deepreview.exports import importer
    from deepreview.jobs.models import Job
    from deepreview_workers.tasks.base import run_job

    where = {
        "name": args.name,
        "requested_by": _user(args.owner),
        "project_id": args.project,
        "layout": args.layout,
        "compression": args.compression or "",
    }
    record = None
    try:
        if args.export.is_dir():
            record = importer.import_prepare_folder(folder=args.export, **where)
        else:
            with args.export.open("rb") as handle:
                size = args.export.stat().st_size
                upload = UploadedFile(handle, name=args.export.name, size=size)
                record = importer.import_prepare(upload=upload, **where)
        summary = importer.dataset_import(
            record=record, zip_path=args.export, progress=TerminalProgress("import")
        )
    except (ApplicationError, OSError, Http404) as exc:  # Http404: not a member of --project
        message = getattr(exc, "message", None) or str(exc)
        if record is not None:  # as a failed import job: no half-filled project stays
            importer.import_abandon(record=record, reason=message.splitlines()[0])
        print(f"deepreview import: {message}", file=sys.stderr)
        return 1
    # The imported videos' previews (sprite, frame times, browser proxy) are probe jobs:
    # run them here so the project is ready without waiting for a worker.
    probes = Job.objects.filter(project=record.project, kind="probe", status="queued")
    for job_id in probes.values_list("pk", flat=True):
        run_job.run(job_id)
    print(json.dumps({"project": record.project_id, "import": record.pk, **summary}, indent=2))
    return 0

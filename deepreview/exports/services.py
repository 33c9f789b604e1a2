"""Export rules: options, the preview that proves a split is possible, the job that
builds the zip, and the request the builder gets (``deepreview_workers.pipeline.dataset``)."""

from __future__ import annotations

import zipfile
from collections import Counter
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.db import transaction

from deepreview.core.errors import ApplicationError
from deepreview.core.options import clean_options
from deepreview.core.storage import storage_put
from deepreview.exports.models import DatasetExport
from deepreview.exports.selection import SelectedVideo, normalise_selection, select_videos
from deepreview.jobs import services as job_services
from deepreview.media.services import media_local_path, stored_local_path
from deepreview.projects.models import Project
from deepreview.review import agreement
from deepreview.review.models import Consensus, Mark, Verdict
from deepreview.review.selectors import artifact_kinds
from deepreview_workers.pipeline.dataset.splits import SplitError, assign_splits
from deepreview_workers.pipeline.dataset.types import (
    SPLITS,
    ExportMark,
    ExportOptions,
    ExportRequest,
    ExportTaxonomyKind,
    ExportVerdict,
    ExportVideo,
)
from deepreview_workers.pipeline.options.spec import options_values

EXPORT_JOB = "dataset_export"


# -- options -----------------------------------------------------------------------------


def export_options(raw: dict) -> ExportOptions:
    """Validated options (declared by ``ExportOptions``); every error names its field.
    Ratios may also come as ``{"train": .., "validation": .., "test": ..}``."""
    if not isinstance(raw, dict):
        raise ApplicationError("The options must be a JSON object.")
    given = dict(raw)
    device = str(given.pop("device", "cpu"))  # the job's choice, not part of the contract
    if isinstance(given.get("ratios"), dict):
        given["ratios"] = [given["ratios"].get(split, 0) for split in SPLITS]
    values = clean_options(EXPORT_JOB, given, what="export")
    return ExportOptions(**values, device=device)


# -- from rows to the builder's records ------------------------------------------------------


def _pseudonyms(videos: list[SelectedVideo]) -> tuple[dict, dict, dict]:
    """Verdicts, marks and consensus of the chosen videos, with each person named
    ``reviewer-N`` in order of first appearance (videos by key, then verdicts, then
    marks): a published dataset names no accounts, and an imported export gets the
    same names back when it is exported again."""
    ids = [v.media.pk for v in videos]
    verdicts: dict[int, list[Verdict]] = {}
    for verdict in Verdict.objects.filter(media_id__in=ids).order_by("created_at", "id"):
        verdicts.setdefault(verdict.media_id, []).append(verdict)
    marks: dict[int, list[Mark]] = {}
    for mark in Mark.objects.filter(media_id__in=ids).order_by("start_frame", "end_frame", "id"):
        marks.setdefault(mark.media_id, []).append(mark)
    names: dict[int | None, str] = {}
    for video in videos:
        people = [v.reviewer_id for v in verdicts.get(video.media.pk, [])]
        people += [m.created_by_id for m in marks.get(video.media.pk, [])]
        for person in people:
            names.setdefault(person, f"reviewer-{len(names) + 1}")
    return verdicts, marks, names


def export_videos(
    videos: list[SelectedVideo],
    paths: dict[int, Path] | None = None,
    truths: dict[int, Path] | None = None,
) -> list[ExportVideo]:
    """The builder's records; without ``paths`` (a preview) files are not needed."""
    verdicts, marks, names = _pseudonyms(videos)
    consensus = dict(
        Consensus.objects.filter(media_id__in=[v.media.pk for v in videos]).values_list(
            "media_id", "label"
        )
    )
    keys = {video.media.pk: video.key for video in videos}
    records = []
    for video in videos:
        media = video.media
        conversion = video.conversion
        source_id = getattr(conversion, "source_media_id", None)
        records.append(
            ExportVideo(
                key=video.key,
                path=(paths or {}).get(media.pk, Path(media.name)),
                name=media.name,
                sha256=media.sha256,
                label=video.label,
                label_source="",
                identities=video.identities,
                frame_count=media.frame_count or 0,
                fps=media.fps or 0.0,
                width=media.width,
                height=media.height,
                method=video.method,
                method_options=video.method_options,
                ground_truth=(truths or {}).get(media.pk),
                manipulated_ranges=tuple(
                    tuple(r) for r in (conversion.manipulated_ranges if conversion else [])
                ),
                source=(
                    "synthetic: made by deepreview" if conversion else "uploaded to the project"
                ),
                original=keys.get(source_id) if source_id else None,
                verdicts=tuple(
                    ExportVerdict(
                        reviewer=names[v.reviewer_id],
                        label=v.label,
                        confidence=round(v.confidence, 4),
                        rationale=v.rationale,
                    )
                    for v in verdicts.get(media.pk, [])
                ),
                consensus=consensus.get(media.pk),
                marks=tuple(
                    ExportMark(
                        kind=m.kind,
                        start_frame=m.start_frame,
                        end_frame=m.end_frame,
                        region=tuple(m.region) if m.region else None,
                        note=m.note,
                        author=names.get(m.created_by_id, "reviewer-0"),
                    )
                    for m in marks.get(media.pk, [])
                ),
            )
        )
    return records


def _with_label_source(records: list[ExportVideo], source: str) -> list[ExportVideo]:
    return [replace(r, label_source=source) for r in records]


def _agreement(records: list[ExportVideo]) -> dict:
    people = sorted({v.reviewer for r in records for v in r.verdicts})
    column = {p: i for i, p in enumerate(people)}
    units = []
    for record in records:
        unit: list[str | None] = [None] * len(people)
        for verdict in record.verdicts:
            unit[column[verdict.reviewer]] = verdict.label
        units.append(unit)
    alpha = agreement.krippendorff_alpha(units)
    return {
        "krippendorff_alpha": None if alpha is None else round(alpha, 4),
        "videos_with_two_or_more_verdicts": sum(len(r.verdicts) >= 2 for r in records),
        "verdicts": sum(len(r.verdicts) for r in records),
        "reviewers": len(people),
    }


def _taxonomy(project: Project) -> tuple[ExportTaxonomyKind, ...]:
    return tuple(
        ExportTaxonomyKind(slug=k.slug, label=k.label, description=k.description)
        for k in artifact_kinds(project=project)
    )


# -- preview and request ------------------------------------------------------------------


def export_preview(*, project: Project, selection: dict, options: dict) -> dict:
    """What an export would hold, or the reason it cannot be made (empty selection,
    a split that cannot keep identities apart), without building anything."""
    selection = normalise_selection(selection)
    export_opts = export_options(options)
    videos = select_videos(project=project, selection=selection)
    if not videos:
        raise ApplicationError(
            "Nothing matches this selection: no ready video has a "
            f"{'/'.join(selection['labels'])} label from {selection['label_source']} with these "
            "filters. Loosen the filters or label more videos (review verdicts, consensus, or a "
            "curator marking uploads real or fake).",
            code="empty_selection",
        )
    records = export_videos(videos)
    try:
        splits = assign_splits(records, export_opts.ratios, export_opts.seed)
    except SplitError as exc:  # its message names the people and what to change
        raise ApplicationError(
            str(exc),
            code="split_impossible",
            extra={"suggestion": exc.suggestion, "suggested_ratios": exc.suggested_ratios},
        ) from None
    counts: dict[str, dict] = {
        s: {"videos": 0, "real": 0, "fake": 0, "identities": set()} for s in SPLITS
    }
    for record in records:
        row = counts[splits[record.key]]
        row["videos"] += 1
        row[record.label] += 1
        row["identities"].update(record.identities)
    for row in counts.values():
        row["identities"] = sorted(row["identities"])
    return {
        "selection": selection,
        "options": options_values(export_opts),
        "videos": len(records),
        "labels": dict(Counter(r.label for r in records)),
        "methods": dict(Counter(r.method or "real" for r in records)),
        "identities": len({i for r in records for i in r.identities}),
        "splits": counts,
        "faces_estimate": len(records) * export_opts.frames_per_video,
        "with_ground_truth": sum(bool(r.manipulated_ranges) for r in records),
    }


def export_prepare(
    *, project: Project, name: str, selection: dict, options: dict, requested_by: AbstractBaseUser
) -> DatasetExport:
    """The export's record, once the preview shows it can be made (the CLI builds it
    in-process; the API queues a job)."""
    preview = export_preview(project=project, selection=selection, options=options)
    return DatasetExport.objects.create(
        project=project,
        name=name.strip() or "dataset",
        selection=preview["selection"],
        options=preview["options"],
        created_by=requested_by,
    )


def export_request(
    *, project: Project, name: str, selection: dict, options: dict, requested_by: AbstractBaseUser
) -> DatasetExport:
    """Check the export can be made, then queue the job that builds it."""
    with transaction.atomic():
        export = export_prepare(
            project=project,
            name=name,
            selection=selection,
            options=options,
            requested_by=requested_by,
        )
        export.job = job_services.job_create(
            project_id=project.pk,
            kind=EXPORT_JOB,
            params={"export_id": export.pk},
            created_by=requested_by,
        )
        export.save(update_fields=["job"])
    return export


def export_build(*, export: DatasetExport, out_zip: Path, progress: object) -> dict:
    """Build the export's zip at ``out_zip`` (the job and the CLI call this)."""
    from deepreview_workers.pipeline.dataset.build import build_dataset

    project = export.project
    videos = select_videos(project=project, selection=export.selection)
    if not videos:
        raise ApplicationError(
            "The selection matches no video any more (were labels or videos removed?).",
            code="empty_selection",
        )
    with ExitStack() as stack:
        paths = {v.media.pk: stack.enter_context(media_local_path(v.media)) for v in videos}
        truths = {
            v.media.pk: stack.enter_context(stored_local_path(v.conversion.masks))
            for v in videos
            if v.conversion is not None and v.conversion.masks
        }
        records = _with_label_source(
            export_videos(videos, paths, truths), export.selection["label_source"]
        )
        request = ExportRequest(
            videos=tuple(records),
            options=export_options(export.options),
            selection=export.selection,
            taxonomy=_taxonomy(project),
            agreement=_agreement(records),
            title=export.name,
        )
        summary = build_dataset(request, out_zip, progress)
    return {
        "files": summary.files,
        "bytes": summary.bytes,
        "manifest_sha256": summary.manifest_sha256,
        "splits": summary.splits,
        "faces": summary.faces,
        "duplicates_removed": summary.duplicates_removed,
        "videos_without_faces": list(summary.videos_without_faces),
        "videos": len(records),
        "seconds": round(summary.seconds, 2),
    }


def export_record(*, export: DatasetExport, zip_path: Path, summary: dict) -> None:
    """Store the zip and what the datasheet says."""
    name = f"projects/{export.project_id}/exports/{export.pk}/{_file_name(export)}"
    export.artifact = storage_put(zip_path, name)  # replaces a retried attempt's partial file
    with zipfile.ZipFile(zip_path) as archive:
        export.datasheet = archive.read("datasheet.md").decode("utf-8")
    export.size_bytes = zip_path.stat().st_size
    export.manifest_sha256 = summary["manifest_sha256"]
    export.summary = summary
    export.save()


def _file_name(export: DatasetExport) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in export.name.lower()).strip("-")
    return f"{safe or 'dataset'}.zip"


def export_delete(*, export: DatasetExport) -> None:
    if export.job and export.job.status in ("queued", "running"):
        job_services.job_request_cancel(job=export.job)
    if export.artifact:
        default_storage.delete(export.artifact)
    export.delete()

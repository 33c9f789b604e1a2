"""Marks in and out of other annotation tools: CVAT for video 1.1 XML and Label Studio's
video JSON (the codecs and their representation choices are in
``deepreview.review.formats``).

Export shows what the review timeline shows: the caller's ``ReviewScope`` decides, so a
blind reviewer exports only their own marks. Import writes through ``mark_create``
(kinds, frame ranges and regions checked there) in one transaction: a bad file imports
nothing. Imported marks are the importer's. A mark equal to one the importer can see
on the video (same kind and frames, region equal within rounding) is skipped, so
importing the same file twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from deepreview.core.errors import ApplicationError
from deepreview.media.models import MediaItem
from deepreview.review import selectors, services
from deepreview.review.formats import (
    ExchangedLabel,
    ExchangedMark,
    FormatError,
    ReadResult,
    VideoGeometry,
)
from deepreview.review.formats.cvat_video import read_cvat_video, write_cvat_video
from deepreview.review.formats.labelstudio_video import (
    read_labelstudio_video,
    write_labelstudio_video,
)
from deepreview.review.selectors import ReviewScope

# A marks file of real work is kilobytes (a 10-minute video's per-frame tags: ~1 MiB).
MAX_IMPORT_BYTES = 16 * 1024**2
MAX_IMPORT_MARKS = 5000
# Regions are stored with 5 decimals; a file that went through a tool with pixel
# rounding may differ a little from what it exported.
REGION_TOLERANCE = 1e-4


@dataclass(frozen=True)
class MarkFormat:
    title: str
    content_type: str
    suffix: str
    write: Callable[..., bytes]
    read: Callable[..., ReadResult]


FORMATS: dict[str, MarkFormat] = {
    "cvat": MarkFormat(
        title="CVAT for video 1.1",
        content_type="application/xml",
        suffix="cvat.xml",
        write=write_cvat_video,
        read=read_cvat_video,
    ),
    "labelstudio": MarkFormat(
        title="Label Studio video JSON",
        content_type="application/json",
        suffix="labelstudio.json",
        write=write_labelstudio_video,
        read=read_labelstudio_video,
    ),
}


@dataclass(frozen=True)
class MarksFile:
    content: bytes
    content_type: str
    filename: str


@dataclass
class MarksImportReport:
    created: int = 0
    skipped: int = 0  # already there (or twice in the file)
    skipped_unknown: dict[str, int] = field(default_factory=dict)  # label -> marks
    ignored: dict[str, int] = field(default_factory=dict)  # not marks: element -> count


def _format(file_format: str) -> MarkFormat:
    try:
        return FORMATS[file_format]
    except KeyError:
        raise ApplicationError(
            f"Unknown format '{file_format}'; use one of: {', '.join(FORMATS)}.",
            fields={"format": [f"One of: {', '.join(FORMATS)}."]},
        ) from None


def _geometry(media: MediaItem) -> VideoGeometry:
    services.reviewable_video(media)  # the same "not a video / not ready" answers as marks
    return VideoGeometry(
        name=media.name,
        width=media.width,
        height=media.height,
        frame_count=media.frame_count,
        fps=media.fps,
    )


def marks_export(*, scope: ReviewScope, media: MediaItem, file_format: str) -> MarksFile:
    """The marks ``scope`` may see on ``media`` as a file of ``file_format``; its labels
    are every kind of the project's taxonomy, so the other tool can draw new ones too."""
    chosen = _format(file_format)
    video = _geometry(media)
    marks = [
        ExchangedMark(
            label=mark.kind,
            start_frame=mark.start_frame,
            end_frame=mark.end_frame,
            region=tuple(mark.region) if mark.region else None,
            note=mark.note,
        )
        for mark in selectors.mark_list(scope=scope, media=media)
    ]
    labels = [
        ExchangedLabel(name=kind.slug, color=kind.color)
        for kind in selectors.artifact_kinds(project=scope.project)
    ]
    stem = media.name.rsplit(".", 1)[0] or f"video-{media.pk}"
    return MarksFile(
        content=chosen.write(video=video, marks=marks, labels=labels),
        content_type=chosen.content_type,
        filename=f"{stem}.marks.{chosen.suffix}",
    )


def _kind_lookup(scope: ReviewScope) -> tuple[dict[str, str], list[str]]:
    """Label -> kind slug. A label matches a kind's slug, or (ignoring case) its slug or
    its label, so a CVAT task whose labels read "Edge seam" maps too."""
    kinds = selectors.artifact_kinds(project=scope.project)
    lookup: dict[str, str] = {}
    for kind in kinds:
        lookup.setdefault(kind.label.casefold(), kind.slug)
        lookup[kind.slug.casefold()] = kind.slug
    return lookup, [kind.slug for kind in kinds]


def _same_region(a: list[float] | None, b: tuple[float, ...] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return all(abs(x - y) <= REGION_TOLERANCE for x, y in zip(a, b, strict=True))


def marks_import(
    *,
    scope: ReviewScope,
    media: MediaItem,
    file_format: str,
    content: bytes,
    skip_unknown: bool = False,
) -> MarksImportReport:
    """Create the file's marks on ``media`` as ``scope.user``, all or none.

    A label that is no kind of the project stops the import, naming it and the known
    kinds, unless ``skip_unknown``: then its marks are left out and counted."""
    chosen = _format(file_format)
    video = _geometry(media)
    if len(content) > MAX_IMPORT_BYTES:
        raise ApplicationError(
            f"A marks file may be at most {MAX_IMPORT_BYTES // 1024**2} MiB.",
            code="too_large",
            status=413,
        )
    try:
        parsed = chosen.read(content, video=video)
    except FormatError as exc:
        raise ApplicationError(
            f"{chosen.title}: {exc}", code="invalid_file", fields={"file": [str(exc)]}
        ) from None
    if len(parsed.marks) > MAX_IMPORT_MARKS:
        raise ApplicationError(
            f"The file holds {len(parsed.marks)} marks; at most {MAX_IMPORT_MARKS} at once.",
            fields={"file": ["Too many marks."]},
        )

    lookup, known = _kind_lookup(scope)
    report = MarksImportReport(ignored=parsed.ignored)
    resolved: list[tuple[str, ExchangedMark]] = []
    unknown: dict[str, str] = {}  # label -> where it first appears
    for mark in parsed.marks:
        slug = lookup.get(mark.label) or lookup.get(mark.label.casefold())
        if slug is not None:
            resolved.append((slug, mark))
        elif skip_unknown:
            report.skipped_unknown[mark.label] = report.skipped_unknown.get(mark.label, 0) + 1
        else:
            unknown.setdefault(mark.label, mark.where)
    if unknown:
        named = "; ".join(f"'{label}' ({where})" for label, where in unknown.items())
        raise ApplicationError(
            f"Label(s) that are no artifact kind of this project: {named}. Known kinds: "
            f"{', '.join(known)}. Rename the label in the file, add the kind to the "
            "project, or import with skip_unknown to leave those marks out.",
            code="unknown_label",
            fields={"file": [f"Unknown label '{label}'." for label in unknown]},
        )

    # What the importer can see is what counts as "already there": a blind reviewer's
    # skipped count must not reveal other reviewers' marks.
    seen: dict[tuple[str, int, int], list[list[float] | None]] = {}
    for kind, start, end, region in selectors.mark_list(scope=scope, media=media).values_list(
        "kind", "start_frame", "end_frame", "region"
    ):
        seen.setdefault((kind, start, end), []).append(region)
    with transaction.atomic():
        for slug, mark in resolved:
            key = (slug, mark.start_frame, mark.end_frame)
            if any(_same_region(region, mark.region) for region in seen.get(key, [])):
                report.skipped += 1
                continue
            try:
                created = services.mark_create(
                    scope=scope,
                    media=media,
                    kind=slug,
                    start_frame=mark.start_frame,
                    end_frame=mark.end_frame,
                    region=list(mark.region) if mark.region else None,
                    note=mark.note,
                )
            except ApplicationError as exc:
                # Nothing of the file is kept (the transaction rolls back); say where.
                raise ApplicationError(
                    f"{chosen.title}, {mark.where or 'a mark'}: {exc.message} Nothing was "
                    "imported.",
                    code=exc.code,
                    status=exc.status,
                    fields=exc.fields,
                ) from None
            seen.setdefault(key, []).append(created.region)
            report.created += 1
    return report

"""Build a labeled dataset export: one deterministic zip from an :class:`ExportRequest`.

    summary = build_dataset(request, Path("export.zip"), progress)

In order (progress in scaled sub-ranges; a :class:`~deepreview_workers.pipeline.progress.Cancelled`
raised by ``progress`` propagates and leaves no partial zip behind):

1. Checks the request (an empty one is a ``ValueError``) and assigns identity-disjoint
   splits (:func:`~deepreview_workers.pipeline.dataset.splits.assign_splits`; a
   :class:`~deepreview_workers.pipeline.dataset.splits.SplitError` before any heavy work).
2. Decodes each video once for its face crops and annotation key frames
   (:mod:`~deepreview_workers.pipeline.dataset.faces`), into a temporary folder.
3. Drops near-duplicate faces across splits (:mod:`~deepreview_workers.pipeline.dataset.dedupe`).
4. Re-encodes the videos at the requested FaceForensics++ levels
   (:mod:`~deepreview_workers.pipeline.dataset.encode`) and writes each fake's
   ground-truth masks as one lossless mask video, as FF++ ships them
   (:mod:`~deepreview_workers.pipeline.dataset.maskvideo`).
5. Writes the tables, annotations, datasheet and export.json, then streams every file
   into the zip, sorted, with fixed metadata, and ``manifest.sha256`` last
   (:mod:`~deepreview_workers.pipeline.dataset.archive`).

The same request (videos, options, seed) on the same machine gives a byte-identical zip:
nothing depends on the clock, the machine's paths or the order of a directory listing.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from deepreview_workers.pipeline.dataset import layout
from deepreview_workers.pipeline.dataset.archive import Source, write_zip
from deepreview_workers.pipeline.dataset.datasheet import render_datasheet
from deepreview_workers.pipeline.dataset.dedupe import remove_cross_split_duplicates
from deepreview_workers.pipeline.dataset.encode import encode_video
from deepreview_workers.pipeline.dataset.faces import (
    FaceModels,
    GroundTruthMasks,
    SampledFace,
    extract_video_faces,
    key_frames,
    manipulated_frames,
)
from deepreview_workers.pipeline.dataset.maskvideo import write_mask_video
from deepreview_workers.pipeline.dataset.splits import assign_splits, identity_overlap
from deepreview_workers.pipeline.dataset.tables import (
    ExportReport,
    VideoFacts,
    annotations_document,
    coco_document,
    dumps,
    export_document,
    face_rows,
    frame_ranges,
    split_counts,
    write_jsonl,
    write_metadata_csv,
)
from deepreview_workers.pipeline.dataset.types import (
    COMPRESSIONS,
    FORMATS,
    SPLITS,
    ExportRequest,
    ExportSummary,
    ExportVideo,
)
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress, scaled

LABELS = ("real", "fake")


def check_request(request: ExportRequest) -> None:
    """Raise ``ValueError`` naming the problem when ``request`` cannot be built: no
    videos, duplicate keys, unknown labels, formats or compressions, options out of range,
    missing files. Cheap (no decoding); the app can call it before queueing a job."""
    if not request.videos:
        raise ValueError(
            "The export request holds no videos: select at least one labeled video "
            "(loosen the filters, or label more videos)."
        )
    o = request.options
    keys = [v.key for v in request.videos]
    if len(set(keys)) != len(keys):
        raise ValueError("Video keys must be unique within an export")
    for video in request.videos:
        if not video.key or layout.safe_segment(video.key, "") != video.key:
            raise ValueError(f"Video key {video.key!r} must be letters, digits, '.', '_', '-'")
        if video.label not in LABELS:
            raise ValueError(f"{video.name}: label must be real or fake, not {video.label!r}")
        if not Path(video.path).is_file():
            raise ValueError(f"{video.name}: the video file {video.path} does not exist")
        if video.ground_truth is not None and not Path(video.ground_truth).is_file():
            raise ValueError(f"{video.name}: the ground-truth file does not exist")
    unknown = sorted(set(o.formats) - set(FORMATS))
    if unknown or not o.formats:
        raise ValueError(f"formats must be some of {', '.join(FORMATS)}, got {list(o.formats)}")
    bad = sorted(set(o.compressions) - set(COMPRESSIONS))
    if bad:
        raise ValueError(f"compressions must be some of {', '.join(COMPRESSIONS)}, got {bad}")
    if o.compressions and "ffpp" not in o.formats:
        raise ValueError("compressions re-encode the FaceForensics++ tree: add the ffpp format")
    checks = [
        ("frames_per_video", 1 <= o.frames_per_video <= 1000, "between 1 and 1000"),
        ("crop_size", 16 <= o.crop_size <= 2048, "between 16 and 2048 pixels"),
        ("margin", 0.0 <= o.margin <= 2.0, "between 0 and 2"),
        ("dedupe_distance", 0.0 <= o.dedupe_distance <= 2.0, "between 0 and 2"),
        ("min_face_size", 12 <= o.min_face_size <= 4096, "between 12 and 4096 pixels"),
    ]
    for name, ok, rule in checks:
        if not ok:
            raise ValueError(f"{name} must be {rule}")


@dataclass
class _Staged:
    """Everything decided before writing: zip member -> source, plus the figures."""

    members: dict[str, Source] = field(default_factory=dict)
    faces: list[SampledFace] = field(default_factory=list)
    no_faces: list[str] = field(default_factory=list)
    stills: dict[str, dict[int, Path]] = field(default_factory=dict)
    sizes: dict[str, tuple[int, int] | None] = field(default_factory=dict)
    sampled: dict[str, int] = field(default_factory=dict)


def _phases(request: ExportRequest) -> dict[str, tuple[float, float]]:
    """Progress sub-ranges for the phases this request has (absent ones take none)."""
    o = request.options
    decode = "imagefolder" in o.formats or (
        "annotations" in o.formats and any(key_frames(v) for v in request.videos)
    )
    weights = {
        "faces": 6.0 if decode else 0.0,
        "encode": 2.5 * _encode_jobs(request) / len(request.videos),
        "write": 1.5,
    }
    total = sum(weights.values())
    spans, start = {}, 0.0
    for name, weight in weights.items():
        spans[name] = (start, min(start + weight / total, 1.0))
        start = spans[name][1]
    return spans


def build_dataset(
    request: ExportRequest,
    out_zip: Path,
    progress: ProgressCallback = no_progress,
    *,
    work_dir: Path | None = None,
) -> ExportSummary:
    """Write the export of ``request`` to ``out_zip`` (replacing it) and summarise it.

    ``work_dir``: where the temporary folder for crops and re-encoded videos goes
    (default: the system's); it is removed afterwards. Raises ``ValueError`` for a bad
    request (see :func:`check_request`), :class:`~deepreview_workers.pipeline.dataset.splits.
    SplitError` when the splits cannot be identity-disjoint, and lets ``Cancelled`` and
    media errors propagate; in every case no partial zip is left.
    """
    started = time.perf_counter()
    check_request(request)
    options = request.options
    splits = assign_splits(request.videos, options.ratios, options.seed)
    videos = sorted(request.videos, key=lambda v: v.key)
    phases = _phases(request)
    out_zip = Path(out_zip)
    partial = out_zip.with_name(f".{out_zip.name}.partial")
    try:
        with tempfile.TemporaryDirectory(prefix="deepreview-export-", dir=work_dir) as tmp:
            work = Path(tmp)
            staged = _extract(request, videos, work, scaled(progress, *phases["faces"]))
            dedupe = remove_cross_split_duplicates(staged.faces, splits, options.dedupe_distance)
            by_key = {v.key: v for v in videos}
            rows = face_rows(dedupe.kept, by_key, splits)
            facts = _stage_videos(
                request, videos, splits, staged, work, scaled(progress, *phases["encode"])
            )
            for face in dedupe.kept:
                facts[face.video].faces += 1
            duplicates = [d.as_dict() for d in dedupe.duplicates]
            counts = split_counts(videos, splits, rows)
            overlap = identity_overlap(splits, videos)
            _stage_tables(request, videos, splits, staged, dedupe.kept, rows, work)
            report = ExportReport(
                request, videos, facts, counts, rows, duplicates, staged.no_faces, overlap
            )
            staged.members[layout.EXPORT_JSON] = dumps(export_document(report))
            staged.members[layout.DATASHEET] = render_datasheet(report).encode("utf-8")
            write = scaled(progress, *phases["write"])
            digests, manifest_sha = write_zip(
                partial,
                staged.members,
                progress=lambda done, total, name: write(done / total, f"Writing {name}"),
            )
        os.replace(partial, out_zip)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    progress(1.0, f"Export written: {len(digests) + 1} files")
    return ExportSummary(
        files=len(digests) + 1,
        bytes=out_zip.stat().st_size,
        manifest_sha256=manifest_sha,
        splits=counts,
        faces=len(rows),
        duplicates_removed=len(duplicates),
        videos_without_faces=tuple(staged.no_faces),
        seconds=time.perf_counter() - started,
    )


def _extract(
    request: ExportRequest, videos: Sequence[ExportVideo], work: Path, progress: ProgressCallback
) -> _Staged:
    """Face crops and key frames of every video (one decode each) into ``work``."""
    staged = _Staged()
    formats = request.options.formats
    want_faces = "imagefolder" in formats
    want_stills = "annotations" in formats
    if not want_faces and not (want_stills and any(key_frames(v) for v in videos)):
        return staged
    models = FaceModels(request.options) if want_faces else None  # key frames need no model
    for number, video in enumerate(videos):
        step = scaled(progress, number / len(videos), (number + 1) / len(videos))
        step(0.0, f"Video {number + 1} of {len(videos)}: {video.name}")
        found = extract_video_faces(
            video,
            request.options,
            models,
            work / "videos",
            faces=want_faces,
            annotation_frames=want_stills,
            progress=step,
        )
        staged.faces.extend(found.faces)
        staged.stills[video.key] = found.key_frames
        staged.sizes[video.key] = found.size
        staged.sampled[video.key] = len(found.sampled)
        if want_faces and not found.faces:
            staged.no_faces.append(video.key)
    return staged


def _encode_jobs(request: ExportRequest) -> int:
    """Videos the FaceForensics++ tree encodes: every video at each compression, and a
    mask video for each fake with a ground truth (about as slow as one re-encode)."""
    if "ffpp" not in request.options.formats:
        return 0
    videos = request.videos
    masks = sum(v.label == "fake" and v.ground_truth is not None for v in videos)
    return len(videos) * len(request.options.compressions) + masks


def _stage_videos(
    request: ExportRequest,
    videos: Sequence[ExportVideo],
    splits: Mapping[str, str],
    staged: _Staged,
    work: Path,
    progress: ProgressCallback,
) -> dict[str, VideoFacts]:
    """The FaceForensics++ tree: raw bytes, re-encoded copies, one mask video per fake."""
    options = request.options
    ffpp = "ffpp" in options.formats
    facts: dict[str, VideoFacts] = {}
    jobs = _encode_jobs(request)
    done = 0
    for video in videos:
        truth = GroundTruthMasks(video.ground_truth) if video.ground_truth else None
        try:
            fake_frames = manipulated_frames(video, truth)
            if fake_frames is None:  # a fake labeled as a whole: every frame
                fake_frames = frozenset(range(video.frame_count))
            entry = VideoFacts(
                split=splits[video.key],
                manipulated_ranges=frame_ranges(fake_frames),
                files={},
                mask_video=None,
                masks=0,
                faces=0,
                sampled=staged.sampled.get(video.key, 0),
            )
            if ffpp and video.label == "fake" and truth is not None:
                step = scaled(progress, done / jobs, (done + 1) / jobs)
                if truth.members:
                    step(0.0, f"Writing the mask video of {video.name}")
                    out = work / "masks" / f"{video.key}.mp4"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    _frames, entry.masks = write_mask_video(
                        Path(video.path),
                        out,
                        truth.mask,
                        frame_count=video.frame_count,
                        progress=step,
                    )
                    member = layout.mask_video_member(video.method, video.key)
                    staged.members[member] = out
                    entry.mask_video = member
                done += 1
        finally:
            if truth is not None:
                truth.close()
        if ffpp:
            suffix = layout.raw_suffix(video.name)
            raw = layout.video_member(video.label, video.method, layout.RAW, video.key, suffix)
            staged.members[raw] = Path(video.path)
            entry.files[layout.RAW] = raw
            for compression in sorted(options.compressions):
                step = scaled(progress, done / jobs, (done + 1) / jobs)
                step(0.0, f"Re-encoding {video.name} at {compression}")
                out = work / "encoded" / compression / f"{video.key}.mp4"
                out.parent.mkdir(parents=True, exist_ok=True)
                encode_video(
                    Path(video.path),
                    out,
                    compression,
                    frame_count=video.frame_count,
                    progress=step,
                )
                member = layout.video_member(
                    video.label, video.method, compression, video.key, ".mp4"
                )
                staged.members[member] = out
                entry.files[compression] = member
                done += 1
        facts[video.key] = entry
    return facts


def _stage_tables(
    request: ExportRequest,
    videos: Sequence[ExportVideo],
    splits: Mapping[str, str],
    staged: _Staged,
    kept: Sequence[SampledFace],
    rows: Sequence,
    work: Path,
) -> None:
    formats = request.options.formats
    if "imagefolder" in formats:
        by_name = {layout.face_name(f.video, f.frame, f.face): f for f in kept}
        for row in rows:
            face = by_name[row.path.rsplit("/", 1)[1]]
            staged.members[row.path] = face.crop
            if row.mask:
                staged.members[row.mask] = face.mask
        tables = work / "tables"
        tables.mkdir(parents=True, exist_ok=True)
        staged.members[layout.METADATA_CSV] = write_metadata_csv(rows, tables / "metadata.csv")
        for split in SPLITS:
            chosen = [r for r in rows if r.split == split]
            if chosen:  # an empty split has no folder: `datasets` would find no images
                path = write_jsonl(chosen, tables / f"{split}.jsonl")
                staged.members[layout.jsonl_member(split)] = path
    if "annotations" in formats:
        staged.members[layout.ANNOTATIONS_JSON] = dumps(
            annotations_document(request, videos, splits)
        )
        staged.members[layout.REGIONS_COCO] = dumps(
            coco_document(request, videos, staged.stills, staged.sizes)
        )
        for key, stills in staged.stills.items():
            for frame, path in stills.items():
                staged.members[layout.key_frame_member(key, frame)] = path


__all__ = ["build_dataset", "check_request"]

"""What a labeled dataset export is made of: the contract between the app (which
selects videos and labels from its database) and the builder (which writes the
files). Plain data, no Django.

The layout of an export (a zip, or the same tree in a folder)::

    export.json                      schema "deepreview.dataset", version, selection,
                                     options (not the device), seed, counts, splits, every
                                     video (key, name, sha256, label, identities, method,
                                     manipulated_ranges, split, files, mask_video, a
                                     fake's original (its real source's key)),
                                     duplicates removed, videos without faces (no
                                     timestamps: the same selection and seed give
                                     byte-identical files)
    datasheet.md                     counts per split, label, method, identity; sources
                                     and licences; how labels were made; agreement;
                                     duplicates found and removed; identity-disjointness
    metadata.csv                     one row per face crop, paths from the export root:
                                     path, split, label, video, frame, face, identity
                                     (a fake's identities joined with ";"), method, mask
    imagefolder/{train,validation,test}/{real,fake}/<video>_<frame:06d>_<face>.png
    imagefolder/{split}/metadata.jsonl   Hugging Face `imagefolder` rows: file_name
                                     (relative to the split folder), label, split, video,
                                     frame, face, identity, method, mask (path from the
                                     export root, "" without one: never null, so every
                                     split has the same features). A split without faces
                                     has no folder.
    masks/{split}/<video>_<frame:06d>_<face>.png   the face crop's manipulation mask
                                     (manipulated frames of fakes with ground truth)
    original_sequences/youtube/<c>/videos/<video>.mp4          FaceForensics++'s tree
    manipulated_sequences/<method>/<c>/videos/<video>.mp4      (<c>: raw = the original
    manipulated_sequences/<method>/masks/videos/<video>.mp4    bytes, always there,
                                     with the original's suffix; c0/c23/c40 = re-encoded
                                     copies; masks, as FF++ ships them: one video per fake
                                     with ground truth, as many frames as the fake, the
                                     full-frame mask as luma (255 = replaced, 0 = the
                                     original's; black on frames not manipulated),
                                     lossless H.264 (QP 0) in MP4)
    annotations/annotations.json     verdicts, consensus, marks (frame ranges, regions)
                                     and the taxonomy, reviewers pseudonymised
    annotations/regions_coco.json    COCO-style boxes of marks with a region, on key frames
    annotations/frames/<video>_<frame:06d>.jpg   those key frames (middle of each mark)
    manifest.sha256                  "<sha256>  <path>" for every other file, sorted
                                     (the zip's last member; all others sorted by name)

Names never contain database ids: a video is ``ExportVideo.key``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from deepreview_workers.pipeline.options.extract import MtcnnParams
from deepreview_workers.pipeline.options.spec import OptionError, option, option_from

SCHEMA = "deepreview.dataset"
# 2: a fake's full-frame masks are one video (masks/videos/<video>.mp4, "mask_video"),
# no longer a PNG per frame (masks/<video>/<frame>.png, "mask_folder"); both are read.
SCHEMA_VERSION = 2
SPLITS = ("train", "validation", "test")
COMPRESSIONS = {"c0": 0, "c23": 23, "c40": 40}  # FaceForensics++ levels: H.264 CRF
FORMATS = ("imagefolder", "ffpp", "annotations")


@dataclass(frozen=True)
class ExportMark:
    kind: str
    start_frame: int
    end_frame: int
    region: tuple[float, float, float, float] | None  # (x0, y0, x1, y1), fractions of the frame
    note: str
    author: str  # pseudonym, e.g. "reviewer-1"


@dataclass(frozen=True)
class ExportVerdict:
    reviewer: str  # pseudonym
    label: str  # real | fake | uncertain
    confidence: float
    rationale: str


@dataclass(frozen=True)
class ExportVideo:
    """One selected video with its label.

    ``identities``: who appears; a fake made by a face swap names both its source and
    its target identity, so no split holds either person elsewhere. ``ground_truth``:
    a zip as ``deepreview_workers.pipeline.swap.groundtruth`` writes it (manifest.json plus one
    mask PNG per manipulated frame), or None. ``method``: e.g. "deepreview-original"
    for the project's own fakes, "uploaded" for fakes labeled by reviewers, None for
    reals. ``method_options``: how the fake was made (mask, feather, colour transfer...).
    ``manipulated_ranges``: inclusive ``(first, last)`` frame ranges *of the file at
    ``path``* that are fake. Per-frame labels come from the ground truth's manipulated
    frames (its ``output_index``) when it has any, else from these ranges, else (a fake
    labeled as a whole, e.g. by reviewers) every frame is fake.
    """

    key: str  # stable, e.g. the first 16 hex digits of the file's SHA-256
    path: Path  # the original file, read-only
    name: str  # file name as uploaded
    sha256: str
    label: str  # real | fake
    label_source: str  # ground_truth | consensus | reviewer
    identities: tuple[str, ...]
    frame_count: int
    fps: float
    width: int
    height: int
    method: str | None = None
    method_options: dict = field(default_factory=dict)
    ground_truth: Path | None = None
    manipulated_ranges: tuple[tuple[int, int], ...] = ()
    source: str = ""  # where the file came from / its licence, for the datasheet
    original: str | None = None  # a fake's real source video, by key, when it is exported too
    verdicts: tuple[ExportVerdict, ...] = ()
    consensus: str | None = None
    marks: tuple[ExportMark, ...] = ()


@dataclass(frozen=True)
class ExportOptions:
    """What an export can be told (declared once: the API, the builder's form and the
    schema read these fields). Ratios are normalised to sum to 1; formats and
    compressions are kept in their canonical order."""

    frames_per_video: int = option(
        8,
        label="Frames per video",
        help="Face frames, evenly spaced over the video",
        low=1,
        high=256,
    )
    crop_size: int = option(
        224, label="Crop px", help="Side of the square face crops", low=32, high=1024
    )
    margin: float = option(  # DFDC practice
        0.3,
        label="Margin",
        help="Box enlarged by this fraction on each side",
        low=0.0,
        high=1.0,
        step=0.05,
    )
    ratios: tuple[float, float, float] = option(
        (0.7, 0.15, 0.15),
        label="Split ratios",
        help="Shares for train, validation and test",
        low=0.0,
    )
    seed: int = option(
        0,
        label="Seed",
        help="The same selection and seed give the same files",
        low=0,
        high=2**31 - 1,
    )
    formats: tuple[str, ...] = option(
        FORMATS, label="Formats", help="Layouts written", choices=FORMATS
    )
    compressions: tuple[str, ...] = option(  # the original bytes ("raw") always go in
        (), label="Compressions", help="Re-encoded copies (H.264 CRF)", choices=tuple(COMPRESSIONS)
    )
    dedupe_distance: float = option(
        0.25,
        label="Duplicate distance",
        help="Embedding distance under which two faces are duplicates",
        low=0.0,
        high=1.0,
        step=0.01,
    )
    min_face_size: int = option_from(MtcnnParams, "min_face_size", high=1024)
    device: str = option("cpu", exposed=False)  # where it runs, not what it holds

    def __post_init__(self) -> None:
        ratios = self.ratios
        if len(ratios) != 3 or min(ratios) < 0 or not ratios[0]:
            raise OptionError(
                "ratios are three shares for train, validation and test (e.g. 0.7, 0.15, "
                "0.15); train must not be empty.",
                {"ratios": "train, validation, test"},
            )
        total = float(sum(ratios))
        object.__setattr__(self, "ratios", tuple(round(r / total, 6) for r in ratios))
        if not self.formats:
            raise OptionError("Choose at least one format.", {"formats": "Empty."})
        for name, allowed in (("formats", FORMATS), ("compressions", tuple(COMPRESSIONS))):
            chosen = getattr(self, name)
            if not set(chosen) <= set(allowed):
                raise OptionError(
                    f"{name}: choose from {', '.join(allowed)}.", {name: ", ".join(allowed)}
                )
            object.__setattr__(self, name, tuple(v for v in allowed if v in chosen))


@dataclass(frozen=True)
class ExportTaxonomyKind:
    slug: str
    label: str
    description: str


@dataclass(frozen=True)
class ExportRequest:
    videos: tuple[ExportVideo, ...]
    options: ExportOptions
    selection: dict  # how the app chose the videos (stored in export.json as given)
    taxonomy: tuple[ExportTaxonomyKind, ...] = ()
    agreement: dict = field(default_factory=dict)  # figures for the datasheet
    title: str = "deepreview dataset"


@dataclass(frozen=True)
class ExportSummary:
    """What ``build_dataset`` wrote: counts for the app and the API."""

    files: int
    bytes: int
    manifest_sha256: str  # SHA-256 of manifest.sha256 itself: one fingerprint for the export
    # split -> {"videos", "real_videos", "fake_videos", "faces", "real", "fake" (faces),
    #           "identities": [...]}
    splits: dict
    faces: int
    duplicates_removed: int
    videos_without_faces: tuple[str, ...]
    seconds: float

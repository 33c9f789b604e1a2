"""``datasheet.md``: what the export holds and how it was made, for people to read.

After "Datasheets for Datasets" (Gebru et al.): composition (counts per split, label,
method and identity), collection (sources and licences of the videos), labelling (how
labels were made, reviewer agreement), preprocessing (sampling, crops, duplicates
removed) and the proof that no person is in two splits. No dates or machine paths:
the datasheet is part of the reproducible bytes.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from deepreview_workers.pipeline.dataset.tables import ExportReport, VideoFacts
from deepreview_workers.pipeline.dataset.types import (
    COMPRESSIONS,
    SPLITS,
    ExportRequest,
    ExportVideo,
)

LABEL_SOURCES = {
    "ground_truth": "what the project knows for sure: a curator marked the upload real or "
    "fake, or the project made the fake itself (with a mask of every changed pixel)",
    "consensus": "the label a project lead adjudicated from the reviewers' verdicts",
    "reviewer": "one reviewer's verdict",
}
_SHOWN = 20  # long lists are cut in the datasheet; export.json has them all


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def render_datasheet(report: ExportReport) -> str:
    """The datasheet as Markdown text (face figures are zero when the export has no
    ``imagefolder`` format: crops are only made for it)."""
    request, videos, facts, counts = report.request, report.videos, report.facts, report.counts
    rows, duplicates, no_faces, overlap = (
        report.rows,
        report.duplicates,
        report.no_faces,
        report.overlap,
    )
    options = request.options
    out = [f"# {request.title}", ""]
    out += [
        "A labeled dataset for training and testing deepfake detectors, exported by "
        "deepreview. `export.json` holds the same figures as data; `manifest.sha256` "
        "holds the SHA-256 of every file (`sha256sum -c manifest.sha256` checks them).",
        "",
        "## Composition",
        "",
    ]
    out += _table(
        [
            "split",
            "videos",
            "real videos",
            "fake videos",
            "faces",
            "real faces",
            "fake faces",
            "identities",
        ],
        [
            [
                s,
                c["videos"],
                c["real_videos"],
                c["fake_videos"],
                c["faces"],
                c["real"],
                c["fake"],
                len(c["identities"]),
            ]
            for s, c in counts.items()
        ]
        + [
            [
                "total",
                len(videos),
                sum(v.label == "real" for v in videos),
                sum(v.label == "fake" for v in videos),
                len(rows),
                sum(r.label == "real" for r in rows),
                sum(r.label == "fake" for r in rows),
                len({i for v in videos for i in v.identities}),
            ]
        ],
    )
    out += ["### By manipulation method", ""]
    methods = Counter((v.method or "none (real)") for v in videos)
    method_faces = Counter((r.method or "none (real)") for r in rows)
    out += _table(
        ["method", "videos", "faces"],
        [[m, methods[m], method_faces.get(m, 0)] for m in sorted(methods)],
    )
    out += _identity_section(videos, facts)
    out += _disjoint_section(videos, counts, overlap)
    out += _sources_section(videos, facts)
    out += _labels_section(request, videos)
    out += _processing_section(request, duplicates, no_faces)
    out += ["## Files", "", "Formats: " + ", ".join(f"`{f}`" for f in sorted(options.formats)), ""]
    if "ffpp" in options.formats:
        levels = ", ".join(
            f"`{c}` (H.264 CRF {COMPRESSIONS[c]})" for c in sorted(options.compressions)
        )
        out.append(
            "- FaceForensics++'s tree: reals under `original_sequences/youtube/<c>/videos/`, "
            "fakes under `manipulated_sequences/<method>/<c>/videos/`; every video's "
            "original bytes under `raw`"
            + (f", and re-encoded copies: {levels}" if levels else "")
            + ". Ground-truth masks as FaceForensics++ ships them: one video per fake with "
            "ground truth, `manipulated_sequences/<method>/masks/videos/<video>.mp4`, with "
            "as many frames as the fake, the mask as luma (255 = replaced, 0 = the "
            "original's, between = the blended edge; black on frames not manipulated), "
            "lossless H.264 (QP 0)."
        )
    if "imagefolder" in options.formats:
        out.append(
            "- Face crops: `imagefolder/<split>/<label>/` with a `metadata.jsonl` per split "
            '(`datasets.load_dataset("imagefolder", data_dir=".../imagefolder")` loads it); '
            "`metadata.csv` at the root lists every crop with its paths from the root."
        )
    if "annotations" in options.formats:
        out.append(
            "- Annotations: `annotations/annotations.json` (taxonomy, verdicts, consensus, "
            "marks) and `annotations/regions_coco.json` (regions on key frames, COCO boxes)."
        )
    out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _identity_section(videos: Sequence[ExportVideo], facts: Mapping[str, VideoFacts]) -> list:
    per: dict[str, dict] = defaultdict(lambda: {"splits": set(), "videos": 0, "faces": 0})
    for video in videos:
        for identity in video.identities:
            per[identity]["splits"].add(facts[video.key].split)
            per[identity]["videos"] += 1
            per[identity]["faces"] += facts[video.key].faces
    out = [
        "### By identity",
        "",
        "A fake counts for every person it shows (source and target of a face swap).",
        "",
    ]
    out += _table(
        ["identity", "split", "videos", "faces"],
        [
            [name, ", ".join(s for s in SPLITS if s in row["splits"]), row["videos"], row["faces"]]
            for name, row in sorted(per.items())
        ],
    )
    return out


def _disjoint_section(
    videos: Sequence[ExportVideo], counts: Mapping[str, dict], overlap: Mapping[str, Sequence[str]]
) -> list:
    out = ["## Identity-disjoint splits", ""]
    out += [
        "Videos that share a person are grouped (a fake joins its source and target "
        "identities), and whole groups are assigned to splits, so no person appears in "
        "two splits. Check made on the exported assignment: for every identity, the set "
        "of splits of the videos that show it.",
        "",
    ]
    if overlap:
        shown = "; ".join(f"{k}: {', '.join(v)}" for k, v in overlap.items())
        out += [f"**Not disjoint**: {len(overlap)} identities appear in two splits ({shown}).", ""]
    else:
        identities = {i for v in videos for i in v.identities}
        out += [
            f"Result: each of the {len(identities)} identities appears in exactly one split; "
            "0 identities are shared between splits.",
            "",
        ]
        pairs = [(a, b) for i, a in enumerate(SPLITS) for b in SPLITS[i + 1 :]]
        out += _table(
            ["splits", "shared identities"],
            [
                [f"{a} / {b}", len(set(counts[a]["identities"]) & set(counts[b]["identities"]))]
                for a, b in pairs
            ],
        )
    return out


def _sources_section(videos: Sequence[ExportVideo], facts: Mapping[str, VideoFacts]) -> list:
    out = ["## Sources and licences", ""]
    out += _table(
        ["video", "name", "label", "method", "split", "source / licence", "sha256"],
        [
            [
                v.key,
                v.name,
                v.label,
                v.method or "",
                facts[v.key].split,
                v.source or "not recorded",
                v.sha256,
            ]
            for v in videos
        ],
    )
    return out


def _labels_section(request: ExportRequest, videos: Sequence[ExportVideo]) -> list:
    out = ["## How labels were made", ""]
    for source, count in sorted(Counter(v.label_source for v in videos).items()):
        meaning = LABEL_SOURCES.get(source, "as the exporting application recorded it")
        out.append(f"- `{source}` ({count} videos): {meaning}.")
    out += [
        "",
        "Per-frame labels: a real video's frames are real. A fake with ground truth is "
        "fake only on the frames its ground truth marks as manipulated (its crops there "
        "come with the mask of changed pixels); other frames of it are labeled real. A "
        "fake labeled as a whole (by reviewers) is fake on every frame, or on its "
        "manipulated ranges when the application gave them.",
        "",
        "### Reviewer agreement",
        "",
    ]
    if request.agreement:
        for key in sorted(request.agreement):
            out.append(f"- {key}: {json.dumps(request.agreement[key], sort_keys=True)}")
    else:
        out.append("No agreement figures were recorded for this export.")
    verdicts = sum(len(v.verdicts) for v in videos)
    marks = sum(len(v.marks) for v in videos)
    out += ["", f"Verdicts exported: {verdicts}; artifact marks exported: {marks}.", ""]
    return out


def _processing_section(
    request: ExportRequest, duplicates: Sequence[dict], no_faces: Sequence[str]
) -> list:
    o = request.options
    out = [
        "## Preprocessing",
        "",
        f"- Frames: {o.frames_per_video} per video, evenly spaced (the middle of equal "
        "parts of the video), decoded once with PyAV.",
        f"- Faces: MTCNN (facenet-pytorch), minimum face size {o.min_face_size} px; the "
        "largest face per frame, or on a manipulated frame the face its mask covers most.",
        f"- Crops: the face box grown by {o.margin:g} of its size on each side, squared, "
        f"black outside the frame, resized to {o.crop_size} px, PNG.",
        f"- Splits: ratios {', '.join(f'{r:g}' for r in o.ratios)} (train, validation, "
        f"test) by video, seed {o.seed}.",
        "",
        "### Duplicates removed",
        "",
        f"Faces whose dlib identity embeddings lie closer than {o.dedupe_distance:g} "
        "(Euclidean, unit vectors) to a face of an earlier split (train, then validation, "
        f"then test) were removed from the later split: {len(duplicates)} removed.",
        "",
    ]
    if duplicates:
        out += _table(
            ["removed", "from", "duplicate of", "in", "distance"],
            [
                [d["dropped"], d["dropped_split"], d["kept"], d["kept_split"], d["distance"]]
                for d in duplicates[:_SHOWN]
            ],
        )
        if len(duplicates) > _SHOWN:
            out += [f"... and {len(duplicates) - _SHOWN} more (see export.json).", ""]
    out += ["### Videos without faces", ""]
    if "imagefolder" not in o.formats:
        out += ["Face crops are not part of this export (no `imagefolder` format).", ""]
    elif no_faces:
        out += [
            f"No face was found on the sampled frames of {len(no_faces)} videos; they are "
            f"in the video tree but have no crops: {', '.join(no_faces)}.",
            "",
        ]
    else:
        out += ["Faces were found in every video.", ""]
    return out

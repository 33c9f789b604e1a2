"""The review payloads the API and the pages serve: one video's summary, the project's
agreement and the timeline. Each reads with a fixed number of queries, whatever the
number of marks, verdicts or frames (a test counts them). (The printable fact-check
report is the page in ``deepreview.web.review_views``.)"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from typing import Any, TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, Max, QuerySet, Sum, Value, When
from django.urls import reverse

from deepreview.detection.models import DetectionRun
from deepreview.detection.services import run_series
from deepreview.media.models import MediaItem
from deepreview.media.serializers import file_url
from deepreview.review import agreement
from deepreview.review.models import (
    ArtifactKind,
    Consensus,
    GoldVideo,
    Mark,
    ReviewLabel,
    Verdict,
)
from deepreview.review.selectors import (
    ReviewScope,
    artifact_kinds,
    effective_label,
    hidden_media_q,
    last_mark_change,
    review_state,
    review_videos,
)

DISAGREEMENT_OVERLAP = 0.5  # marks of one kind overlapping less than this are a disagreement


class VideoAgreement(TypedDict):
    verdicts: int
    labels: dict[str, int]
    pairwise_agreement: float | None
    mark_overlap: dict[str, float]  # kind -> mean IoU of reviewers' frame ranges
    disagreement: bool
    split_verdicts: bool
    low_overlap_kinds: list[str]


class VideoSummary(TypedDict):
    """Rows, not JSON: the serializer and the page render the verdicts and consensus."""

    media: int
    blind: bool
    revealed: bool
    state: str  # unreviewed | undecided | decided
    verdicts: list[Verdict]
    own_verdict: Verdict | None
    consensus: Consensus | None
    detector: dict | None  # detector_suggestion()
    effective: dict
    agreement: VideoAgreement | None  # None while blind review hides the others
    gold: GoldVideo | None
    can_adjudicate: bool


class KindOverlap(TypedDict):
    kind: str
    label: str
    videos: int
    mean_iou: float


class ProjectAgreement(TypedDict):
    videos: int
    states: dict[str, int]
    videos_with_two_or_more: int
    verdicts: int
    krippendorff_alpha: float | None
    mark_overlap: list[KindOverlap]
    disagreements: list[dict[str, Any]]
    reviewers: list[dict[str, Any]]  # "gold" only for those who see gold videos
    gold_videos: int | None
    blind: bool


class TimelineMedia(TypedDict):
    id: int
    name: str
    fps: float | None
    frame_count: int | None
    width: int
    height: int
    duration_seconds: float | None
    origin: str | None  # None while blind review hides it
    playback_url: str | None
    frame_pts_url: str | None


class GroundTruth(TypedDict):
    conversion: int
    manipulated_ranges: list[list[int]]
    manipulated_count: int
    mask_url: str  # with "{frame}" for the frame number


class Timeline(TypedDict):
    """What ``timeline`` computes; the API adds the marks, kinds, own verdict and the
    change number it holds (``marks_change``)."""

    media: TimelineMedia
    sprite: dict[str, Any] | None
    detection: dict[str, Any] | None  # the latest run and its series
    ground_truth: GroundTruth | None
    ground_truth_hidden: bool
    blind: bool


def _runs_newest_scored_first(media: MediaItem) -> QuerySet[DetectionRun]:
    scored = Case(When(score_confident__isnull=False, then=Value(1)), default=Value(0))
    runs = DetectionRun.objects.filter(media=media).annotate(scored=scored)
    return runs.order_by("-scored", "-created_at", "-id")


def latest_detection(media: MediaItem) -> DetectionRun | None:
    """The newest run with a detector score, else the newest signals-only run."""
    return _runs_newest_scored_first(media).first()


def detector_suggestion(run: DetectionRun | None) -> dict | None:
    if run is None or not run.label:
        return None
    return {
        "label": run.label,
        "score": run.score_confident,
        "threshold": run.threshold,
        "detector": run.detector_name,
        "run": run.pk,
    }


def _ranges_by_reviewer(marks: list[dict]) -> dict[int, dict[str, list[tuple[int, int]]]]:
    ranges: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for mark in marks:
        ranges[mark["created_by_id"]][mark["kind"]].append((mark["start_frame"], mark["end_frame"]))
    return ranges


def _video_agreement(verdicts: list[dict], marks: list[dict]) -> VideoAgreement:
    labels = [v["label"] for v in verdicts]
    reviewers = [v["reviewer_id"] for v in verdicts]
    overlap = agreement.mark_overlap(_ranges_by_reviewer(marks), reviewers)
    split = len(set(labels)) > 1
    low_overlap = sorted(kind for kind, iou in overlap.items() if iou < DISAGREEMENT_OVERLAP)
    return {
        "verdicts": len(labels),
        "labels": dict(Counter(labels)),
        "pairwise_agreement": agreement.pairwise_agreement(labels),
        "mark_overlap": {kind: round(iou, 4) for kind, iou in overlap.items()},
        "disagreement": len(labels) >= 2 and (split or bool(low_overlap)),
        "split_verdicts": split,
        "low_overlap_kinds": low_overlap,
    }


def video_summary(*, scope: ReviewScope, media: MediaItem) -> VideoSummary:
    """Verdicts, consensus, agreement, gold and the label the project goes by."""
    revealed = scope.reveals(media.pk)
    verdict_rows = Verdict.objects.filter(media=media).select_related("reviewer")
    if not revealed:
        verdict_rows = verdict_rows.filter(reviewer=scope.user)
    verdicts = list(verdict_rows)
    plain = [{"label": v.label, "reviewer_id": v.reviewer_id} for v in verdicts]
    marks = list(
        Mark.objects.filter(
            media=media, created_by_id__in=[v.reviewer_id for v in verdicts]
        ).values("created_by_id", "kind", "start_frame", "end_frame")
    )
    consensus = (
        Consensus.objects.filter(media=media).select_related("decided_by").first()
        if revealed
        else None
    )
    run = latest_detection(media)
    suggestion = detector_suggestion(run)
    labels = [v.label for v in verdicts]
    own = next((v for v in verdicts if v.reviewer_id == scope.user.pk), None)
    gold = GoldVideo.objects.filter(media=media).first() if scope.sees_gold else None
    return {
        "media": media.pk,
        "blind": scope.blind,
        "revealed": revealed,
        "state": review_state(labels, consensus.label if consensus else None),
        "verdicts": verdicts,
        "own_verdict": own,
        "consensus": consensus,
        "detector": suggestion,
        "effective": effective_label(
            labels,
            consensus.label if consensus else None,
            suggestion["label"] if suggestion else None,
        ),
        "agreement": _video_agreement(plain, marks) if revealed else None,
        "gold": gold,
        "can_adjudicate": scope.can_adjudicate,
    }


def project_agreement(*, scope: ReviewScope) -> ProjectAgreement:
    """Krippendorff's alpha over the videos, mark overlap per kind, disagreements and,
    for curators and owners, each reviewer's accuracy on gold videos."""
    videos = dict(
        review_videos(project=scope.project)
        .exclude(hidden_media_q(scope))
        .values_list("pk", "name")
    )
    verdicts = list(
        Verdict.objects.filter(media_id__in=videos).values(
            "media_id", "reviewer_id", "reviewer__username", "label"
        )
    )
    marks = list(
        Mark.objects.filter(media_id__in=videos).values(
            "media_id", "created_by_id", "kind", "start_frame", "end_frame"
        )
    )
    consensus = dict(Consensus.objects.filter(media_id__in=videos).values_list("media_id", "label"))
    gold = (
        dict(GoldVideo.objects.filter(media_id__in=videos).values_list("media_id", "label"))
        if scope.sees_gold
        else {}
    )

    by_video: dict[int, list[dict]] = defaultdict(list)
    for verdict in verdicts:
        by_video[verdict["media_id"]].append(verdict)
    marks_by_video: dict[int, list[dict]] = defaultdict(list)
    for mark in marks:
        marks_by_video[mark["media_id"]].append(mark)

    reviewer_ids = sorted({v["reviewer_id"] for v in verdicts})
    column = {rid: i for i, rid in enumerate(reviewer_ids)}
    units = []
    for rows in by_video.values():
        unit: list[str | None] = [None] * len(reviewer_ids)
        for row in rows:
            unit[column[row["reviewer_id"]]] = row["label"]
        units.append(unit)
    alpha = agreement.krippendorff_alpha(units)

    per_kind: dict[str, list[float]] = defaultdict(list)
    disagreements = []
    for media_id, rows in by_video.items():
        summary = _video_agreement(rows, marks_by_video.get(media_id, []))
        for kind, iou in summary["mark_overlap"].items():
            per_kind[kind].append(iou)
        if summary["disagreement"]:
            disagreements.append(
                {
                    "media": media_id,
                    "name": videos[media_id],
                    "labels": summary["labels"],
                    "pairwise_agreement": summary["pairwise_agreement"],
                    "low_overlap_kinds": summary["low_overlap_kinds"],
                    "consensus": consensus.get(media_id),
                }
            )
    disagreements.sort(
        key=lambda d: (d["consensus"] is not None, d["pairwise_agreement"] or 0.0, d["media"])
    )

    reviewers = {}
    for verdict in verdicts:
        stats = reviewers.setdefault(
            verdict["reviewer_id"],
            {
                "reviewer": verdict["reviewer_id"],
                "username": verdict["reviewer__username"],
                "verdicts": 0,
                "labels": Counter(),
                "marks": 0,
                "gold": {"answered": 0, "correct": 0, "uncertain": 0, "accuracy": None},
            },
        )
        stats["verdicts"] += 1
        stats["labels"][verdict["label"]] += 1
        truth = gold.get(verdict["media_id"])
        if truth is not None:
            stats["gold"]["answered"] += 1
            stats["gold"]["correct"] += verdict["label"] == truth
            stats["gold"]["uncertain"] += verdict["label"] == ReviewLabel.UNCERTAIN
    for mark in marks:
        if mark["created_by_id"] in reviewers:
            reviewers[mark["created_by_id"]]["marks"] += 1
    for stats in reviewers.values():
        stats["labels"] = dict(stats["labels"])
        answered = stats["gold"]["answered"]
        stats["gold"]["accuracy"] = stats["gold"]["correct"] / answered if answered else None
        if not scope.sees_gold:
            del stats["gold"]

    kinds = {k.slug: k.label for k in artifact_kinds(project=scope.project)}
    states = Counter(
        review_state([v["label"] for v in by_video.get(pk, [])], consensus.get(pk)) for pk in videos
    )
    return {
        "videos": len(videos),
        "states": {s: states.get(s, 0) for s in ("unreviewed", "undecided", "decided")},
        "videos_with_two_or_more": sum(len(rows) >= 2 for rows in by_video.values()),
        "verdicts": len(verdicts),
        "krippendorff_alpha": alpha,
        "mark_overlap": [
            {
                "kind": kind,
                "label": kinds.get(kind, kind),
                "videos": len(values),
                "mean_iou": round(sum(values) / len(values), 4),
            }
            for kind, values in sorted(per_kind.items())
        ],
        "disagreements": disagreements,
        "reviewers": sorted(reviewers.values(), key=lambda r: r["username"]),
        "gold_videos": len(gold) if scope.sees_gold else None,
        "blind": scope.blind,
    }


def timeline_version(
    *, scope: ReviewScope, media: MediaItem, user: AbstractBaseUser
) -> tuple[str, int]:
    """A fingerprint of what ``timeline`` (with the marks and the user's own verdict)
    holds for this user, read with small queries (no series, no marks), and the number
    of the last mark change it counts. Runs, conversions and usernames do not change
    once written, so their ids stand for their content; the user's own marks in blind
    review are among all the marks summarised."""
    reveals = scope.reveals(media.pk)
    conversion = None
    if reveals:
        from deepreview.swaps.models import Conversion

        conversion = Conversion.objects.filter(output_media=media).values("pk").first()
    kinds = ArtifactKind.objects.filter(project=scope.project)
    kinds_count_top = kinds.aggregate(n=Count("id"), top=Max("id"))
    last = last_mark_change(media)
    # The marks' own summary too: a write that bypassed the services (a data migration,
    # the admin) changes it without numbering a change, and must not earn a 304.
    marks = Mark.objects.filter(media=media).aggregate(
        n=Count("id"), top=Max("id"), versions=Sum("version"), latest=Max("updated_at")
    )
    parts = (
        media.pk,
        media.name,
        str(media.sprite),
        str(media.frame_pts),
        media.origin if reveals else None,
        _runs_newest_scored_first(media).values_list("pk", "status").first(),
        conversion,
        kinds_count_top,
        Verdict.objects.filter(media=media, reviewer=user).values_list("pk", "version").first(),
        last,
        marks,
        scope.blind,
        reveals,
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest(), last


def timeline(*, scope: ReviewScope, media: MediaItem) -> Timeline:
    """Everything the timeline draws, in one payload whose size follows what is drawn
    (sprite tiles, sampled detection frames, ranges), never the frame count."""
    from deepreview.swaps.models import Conversion

    run = latest_detection(media)
    series = run_series(run) if run is not None else {}
    truth = None
    if scope.reveals(media.pk):
        conversion = (
            Conversion.objects.filter(output_media=media)
            .only("pk", "manipulated_ranges", "manipulated_count", "frame_count")
            .first()
        )
        if conversion is not None:
            truth = {
                "conversion": conversion.pk,
                "manipulated_ranges": conversion.manipulated_ranges,
                "manipulated_count": conversion.manipulated_count,
                "mask_url": reverse(
                    "conversion-mask-frame", kwargs={"conversion_id": conversion.pk, "frame": 0}
                ).rsplit("/", 1)[0]
                + "/{frame}",
            }
    sprite = media.sprite_meta or {}
    return {
        "media": {
            "id": media.pk,
            "name": media.name,
            "fps": media.fps,
            "frame_count": media.frame_count,
            "width": media.width,
            "height": media.height,
            "duration_seconds": media.duration_seconds,
            "origin": media.origin if scope.reveals(media.pk) else None,
            "playback_url": file_url(media, "playback"),
            "frame_pts_url": file_url(media, "frame_pts") if media.frame_pts else None,
        },
        "sprite": {
            "url": file_url(media, "sprite"),
            "columns": sprite.get("columns"),
            "rows": sprite.get("rows"),
            "tile_width": sprite.get("tile_width"),
            "tile_height": sprite.get("tile_height"),
            "frame_indices": sprite.get("frame_indices", []),
        }
        if media.sprite
        else None,
        "detection": {
            "run": run.pk,
            "detector": run.detector_name,
            "status": run.status,
            "message": run.message,
            "score_mean": run.score_mean,
            "score_confident": run.score_confident,
            "threshold": run.threshold,
            "label": run.label or None,
            "created_at": run.created_at,
            **series,
        }
        if run is not None
        else None,
        "ground_truth": truth,
        "ground_truth_hidden": not scope.reveals(media.pk),
        "blind": scope.blind,
    }

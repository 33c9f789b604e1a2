"""The review queue: every video of a project with its review state, one page at a time,
read with a fixed number of queries. ``queue_videos`` selects, the API paginates, and
``queue_rows`` describes one page."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TypedDict

from django.db.models import QuerySet

from deepreview.detection.models import DetectionRun
from deepreview.media.models import MediaItem
from deepreview.media.serializers import file_url
from deepreview.review.models import Assignment, Consensus, GoldVideo, Verdict
from deepreview.review.selectors import (
    ReviewScope,
    effective_label,
    hidden_media_q,
    review_state,
    review_videos,
)

STATES = ("unreviewed", "undecided", "decided")


class Suggestion(TypedDict):
    label: str
    score: float | None
    detector: str


class QueueRow(TypedDict):
    """One video of the queue as the scope may see it."""

    id: int
    name: str
    status: str
    frame_count: int | None
    duration_seconds: float | None
    poster_url: str | None
    origin: str | None  # None while blind review hides it
    identity: str | None
    state: str
    labels: dict[str, int]
    own_verdict: str | None
    consensus: str | None
    detector: Suggestion | None
    effective: dict
    assigned: list[str]
    gold: str | None  # curators and owners only


def _labels_by_video(scope: ReviewScope, media_ids: list[int] | None) -> dict[int, list]:
    """Verdict labels per video as the scope may see them (a blind reviewer: own only)."""
    rows = Verdict.objects.filter(project=scope.project)
    if media_ids is not None:
        rows = rows.filter(media_id__in=media_ids)
    labels: dict[int, list] = defaultdict(list)
    for media_id, reviewer_id, label in rows.values_list("media_id", "reviewer_id", "label"):
        if scope.reveals(media_id) or reviewer_id == scope.user.pk:
            labels[media_id].append((reviewer_id, label))
    return labels


def _consensus(scope: ReviewScope, media_ids: list[int] | None) -> dict[int, str]:
    rows = Consensus.objects.filter(project=scope.project)
    if media_ids is not None:
        rows = rows.filter(media_id__in=media_ids)
    return {m: label for m, label in rows.values_list("media_id", "label") if scope.reveals(m)}


def queue_videos(
    *, scope: ReviewScope, state: str | None, assigned_to_me: bool, disagreement: bool
) -> QuerySet[MediaItem]:
    """The project's videos under review, newest first, filtered by review ``state``
    (unreviewed, undecided, decided), assignment to the user and disagreement."""
    videos = review_videos(project=scope.project).order_by("-created_at", "-id")
    if assigned_to_me:
        videos = videos.filter(assignments__reviewer=scope.user)
    if state in STATES or disagreement:
        # State depends on every verdict: filter the project's videos in Python, which
        # reads two narrow columns per verdict and never the frames or marks.
        labels = _labels_by_video(scope, None)
        consensus = _consensus(scope, None)
        keep = []
        for media_id in videos.values_list("pk", flat=True):
            rows = [label for _reviewer, label in labels.get(media_id, [])]
            if state in STATES and review_state(rows, consensus.get(media_id)) != state:
                continue
            if disagreement and len(set(rows)) < 2:
                continue
            keep.append(media_id)
        videos = videos.filter(pk__in=keep)
    return videos.select_related("identity")


def queue_rows(*, scope: ReviewScope, page: Sequence[MediaItem]) -> list[QueueRow]:
    """One page of ``queue_videos`` with review state, verdict counts, consensus,
    detector suggestion, assignments and (for curators) gold, in a fixed number of
    queries."""
    ids = [item.pk for item in page]
    labels = _labels_by_video(scope, ids)
    consensus = _consensus(scope, ids)
    hidden = (
        set(
            review_videos(project=scope.project)
            .filter(pk__in=ids)
            .filter(hidden_media_q(scope))
            .values_list("pk", flat=True)
        )
        if scope.blind
        else set()
    )
    assigned: dict[int, list[str]] = defaultdict(list)
    for media_id, username in Assignment.objects.filter(media_id__in=ids).values_list(
        "media_id", "reviewer__username"
    ):
        assigned[media_id].append(username)
    gold = (
        dict(GoldVideo.objects.filter(media_id__in=ids).values_list("media_id", "label"))
        if scope.sees_gold
        else {}
    )
    runs: dict[int, DetectionRun] = {}
    for run in (
        DetectionRun.objects.filter(media_id__in=ids)
        .exclude(label="")
        .order_by("media_id", "-created_at", "-id")
        .only("media_id", "label", "score_confident", "detector_name")
    ):
        runs.setdefault(run.media_id, run)

    results: list[QueueRow] = []
    for item in page:
        rows = labels.get(item.pk, [])
        plain = [label for _reviewer, label in rows]
        run = runs.get(item.pk)
        suggestion = (
            Suggestion(label=run.label, score=run.score_confident, detector=run.detector_name)
            if run
            else None
        )
        own = next((label for reviewer, label in rows if reviewer == scope.user.pk), None)
        results.append(
            QueueRow(
                id=item.pk,
                name=item.name,
                status=item.status,
                frame_count=item.frame_count,
                duration_seconds=item.duration_seconds,
                poster_url=file_url(item, "poster") if item.poster else None,
                origin=None if item.pk in hidden else item.origin,
                identity=item.identity.name if item.identity else None,
                state=review_state(plain, consensus.get(item.pk)),
                labels=dict(Counter(plain)),
                own_verdict=own,
                consensus=consensus.get(item.pk),
                detector=suggestion,
                effective=effective_label(
                    plain, consensus.get(item.pk), suggestion["label"] if suggestion else None
                ),
                assigned=sorted(assigned.get(item.pk, [])),
                gold=gold.get(item.pk) if scope.sees_gold else None,
            )
        )
    return results

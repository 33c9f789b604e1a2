"""Reads of review data, always through a ``ReviewScope``: what one user may see.

Blind review (a project setting) applies to members whose role is *reviewer*: until
they have submitted their own verdict on a video, they see none of its other
reviewers' verdicts, marks or comments, no consensus and no ground truth (the
video's origin, a conversion's manipulated frames and masks). Owners and curators,
who assign, adjudicate and make the fakes, always see everything; viewers cannot
review, so there is nothing to bias. Gold videos are hidden checks: only curators
and owners ever learn which videos are gold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from deepreview.media.models import MediaItem, MediaKind
from deepreview.projects.models import Project
from deepreview.projects.roles import Role, role_at_least
from deepreview.review.marks_json import marks_json
from deepreview.review.models import (
    ArtifactKind,
    Assignment,
    Comment,
    Consensus,
    GoldVideo,
    Mark,
    MarkChangeCounter,
    MarkDeletion,
    ReviewLabel,
    Verdict,
)
from deepreview.review.taxonomy import Kind, builtin_kinds


@dataclass
class ReviewScope:
    """One user's view of one project's reviews."""

    project: Project
    user: AbstractBaseUser
    role: str
    blind: bool  # blind review applies to this user
    submitted: frozenset[int] = field(default_factory=frozenset)  # media with own verdict

    def reveals(self, media_id: int) -> bool:
        """Whether others' reviews and the ground truth of this video are visible."""
        return not self.blind or media_id in self.submitted

    @property
    def sees_gold(self) -> bool:
        return role_at_least(self.role, Role.CURATOR)

    @property
    def can_adjudicate(self) -> bool:
        return self.role == Role.OWNER


def review_scope(*, project: Project, user: AbstractBaseUser) -> ReviewScope:
    """``project`` comes from ``access_project`` (it carries ``current_role``)."""
    role = project.current_role
    blind = project.blind_review and role == Role.REVIEWER
    submitted: frozenset[int] = frozenset()
    if blind:
        submitted = frozenset(
            Verdict.objects.filter(project=project, reviewer=user).values_list(
                "media_id", flat=True
            )
        )
    return ReviewScope(project=project, user=user, role=role, blind=blind, submitted=submitted)


def ground_truth_hidden(*, project: Project, user: AbstractBaseUser, media_id: int) -> bool:
    """For the other apps' endpoints: whether this user must not yet see the video's
    ground truth (origin, conversion, masks)."""
    return not review_scope(project=project, user=user).reveals(media_id)


def hidden_media_q(scope: ReviewScope, field_name: str = "pk") -> Q:
    """A filter matching the videos whose ground truth ``scope`` must not see."""
    if not scope.blind:
        return Q(pk__in=[])
    return ~Q(**{f"{field_name}__in": scope.submitted})


# -- taxonomy ------------------------------------------------------------------------


def artifact_kinds(*, project: Project) -> list[Kind]:
    """The built-in kinds in the taxonomy's order, then the project's own."""
    own = [
        Kind(slug=k.slug, label=k.label, description=k.description, color=k.color, built_in=False)
        for k in ArtifactKind.objects.filter(project=project)
    ]
    return [*builtin_kinds(), *own]


# -- one video ------------------------------------------------------------------------


def review_video(*, scope: ReviewScope, media_id: int | str) -> MediaItem:
    """A video of the scope's project, or 404."""
    try:
        return MediaItem.objects.get(project=scope.project, pk=int(media_id))
    except (MediaItem.DoesNotExist, TypeError, ValueError):
        raise Http404("No such video.") from None


def mark_list(*, scope: ReviewScope, media: MediaItem) -> QuerySet[Mark]:
    marks = Mark.objects.filter(media=media).select_related("created_by", "updated_by")
    if not scope.reveals(media.pk):
        marks = marks.filter(created_by=scope.user)
    return marks


def mark_list_json(*, scope: ReviewScope, media: MediaItem) -> str:
    """``mark_list`` as JSON text made by the database (see ``marks_json``)."""
    author = None if scope.reveals(media.pk) else scope.user.pk
    return marks_json(media_id=media.pk, author_id=author)


def last_mark_change(media: MediaItem) -> int:
    """The number of the last change to the video's marks (0 before the first)."""
    counter = MarkChangeCounter.objects.filter(media=media).values_list("last", flat=True)
    return counter.first() or 0


@dataclass(frozen=True)
class MarkChanges:
    """What changed in a video's visible marks after change ``since``, up to ``last``:
    the marks as they are now (JSON text) and the ids of deleted ones."""

    last: int
    marks_json: str
    deleted: list[int]


def mark_changes(*, scope: ReviewScope, media: MediaItem, since: int) -> MarkChanges:
    """The visible marks written and deleted after change ``since``. The counter is read
    first: every change up to it has committed (see ``MarkChangeCounter``), so a client
    that asks again from ``last`` misses nothing; a change committed meanwhile comes
    again next time, which a client keyed by mark id absorbs."""
    last = last_mark_change(media)
    if last <= since:
        return MarkChanges(last=last, marks_json="[]", deleted=[])
    author = None if scope.reveals(media.pk) else scope.user.pk
    deleted = MarkDeletion.objects.filter(media=media, change__gt=since, change__lte=last)
    if author is not None:
        deleted = deleted.filter(created_by_id=author)
    return MarkChanges(
        last=last,
        marks_json=marks_json(media_id=media.pk, author_id=author, changes=(since, last)),
        deleted=sorted(deleted.values_list("mark_id", flat=True)),
    )


def verdict_list(*, scope: ReviewScope, media: MediaItem) -> QuerySet[Verdict]:
    verdicts = Verdict.objects.filter(media=media).select_related("reviewer")
    if not scope.reveals(media.pk):
        verdicts = verdicts.filter(reviewer=scope.user)
    return verdicts


def comment_list(*, scope: ReviewScope, media: MediaItem) -> QuerySet[Comment]:
    comments = Comment.objects.filter(media=media).select_related("author")
    if not scope.reveals(media.pk):
        comments = comments.filter(author=scope.user)
    return comments


def consensus_for(*, scope: ReviewScope, media: MediaItem) -> Consensus | None:
    if not scope.reveals(media.pk):
        return None
    return Consensus.objects.filter(media=media).select_related("decided_by").first()


def gold_for(*, scope: ReviewScope, media: MediaItem) -> GoldVideo | None:
    if not scope.sees_gold:
        return None
    return GoldVideo.objects.filter(media=media).first()


# -- labels ----------------------------------------------------------------------------


def review_state(labels: list[str], consensus: str | None) -> str:
    """``unreviewed`` (no verdict), ``undecided`` (verdicts, but all uncertain or split
    without a consensus) or ``decided``."""
    if consensus:
        return "decided"
    if not labels:
        return "unreviewed"
    decided = {label for label in labels if label != ReviewLabel.UNCERTAIN}
    return "decided" if len(decided) == 1 and len(set(labels)) == 1 else "undecided"


def effective_label(labels: list[str], consensus: str | None, detector_label: str | None) -> dict:
    """The label the project goes by and where it comes from: an adjudicated consensus,
    then unanimous reviewers, and only for unreviewed videos the detector's suggestion.
    A reviewer's label always overrides the detector; both stay visible in the API."""
    if consensus:
        return {"label": consensus, "source": "consensus"}
    state = review_state(labels, None)
    if state == "decided":
        return {"label": labels[0], "source": "reviewers"}
    if state == "undecided":
        return {"label": None, "source": "reviewers"}
    if detector_label:
        return {"label": detector_label, "source": "detector"}
    return {"label": None, "source": None}


def review_videos(*, project: Project) -> QuerySet[MediaItem]:
    return MediaItem.objects.filter(project=project, kind=MediaKind.VIDEO)


def inbox(*, scope: ReviewScope) -> dict:
    """The user's assigned videos with their own progress on each."""
    assignments = list(
        Assignment.objects.filter(project=scope.project, reviewer=scope.user)
        .select_related("media", "assigned_by")
        .annotate(own_marks=Count("media__marks", filter=Q(media__marks__created_by=scope.user)))
        .order_by("created_at", "id")
    )
    own = {
        v.media_id: v
        for v in Verdict.objects.filter(
            reviewer=scope.user, media_id__in=[a.media_id for a in assignments]
        )
    }
    rows = []
    for assignment in assignments:
        verdict = own.get(assignment.media_id)
        state = (
            "unreviewed"
            if verdict is None
            else ("undecided" if verdict.label == ReviewLabel.UNCERTAIN else "done")
        )
        rows.append(
            {
                "assignment": assignment,
                "verdict": verdict,
                "state": state,
                "marks": assignment.own_marks,
            }
        )
    counts = {
        state: sum(r["state"] == state for r in rows)
        for state in ("unreviewed", "undecided", "done")
    }
    return {"rows": rows, "counts": counts, "total": len(rows)}

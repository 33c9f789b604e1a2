"""Review rules: marks, verdicts, assignments, consensus, gold videos, comments, kinds.

Every change to a mark, verdict or consensus names the version it was made from and
is a conditional UPDATE on that version: when someone else saved first, nothing is
written and the caller gets a 409 carrying the current state.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from deepreview.core.errors import ApplicationError
from deepreview.media.models import MediaItem, MediaKind, MediaStatus
from deepreview.projects.models import Membership, Project
from deepreview.projects.roles import ROLE_RANK, Role, role_at_least
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
from deepreview.review.selectors import ReviewScope, artifact_kinds
from deepreview.review.taxonomy import builtin_slugs

MAX_NOTE = 4000
MAX_COMMENT = 4000
MAX_BULK_ASSIGN = 5000
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


# -- shared checks ---------------------------------------------------------------------


def reviewable_video(media: MediaItem) -> MediaItem:
    if media.kind != MediaKind.VIDEO:
        raise ApplicationError("Only videos are reviewed on the timeline.", code="not_a_video")
    if media.status != MediaStatus.READY or not media.frame_count:
        raise ApplicationError(
            f"“{media.name}” is still being processed (or failed); review it once it is ready.",
            code="not_ready",
        )
    return media


class VersionConflict(ApplicationError):
    """Someone saved first. ``current`` is the row as it is now; the API adds it to the
    409 body so the client can show it without another request."""

    def __init__(self, what: str, current: Model) -> None:
        super().__init__(
            f"Someone else changed this {what} (now version {current.version}); your change "
            "was not saved. Review the current state and apply your change again.",
            code="conflict",
            status=409,
        )
        self.current = current


def _conflict(what: str, current: Model | None) -> None:
    if current is None:
        raise ApplicationError(f"This {what} was deleted by someone else.", code="gone", status=410)
    raise VersionConflict(what, current)


def _require_version(version: int | None, what: str) -> int:
    if version is None:
        raise ApplicationError(
            f"Say which version of the {what} you changed (field 'version' or an If-Match "
            "header), so a concurrent change is not overwritten.",
            code="version_required",
            status=428,
            fields={"version": ["Required."]},
        )
    return version


# -- taxonomy ---------------------------------------------------------------------------


def artifact_kind_create(
    *,
    project: Project,
    slug: str,
    label: str,
    description: str = "",
    color: str = "#888888",
    created_by: AbstractBaseUser,
) -> ArtifactKind:
    slug = slug.strip().lower()
    if slug in builtin_slugs():
        raise ApplicationError(
            f"'{slug}' is a built-in kind already; pick another slug.",
            code="duplicate",
            status=409,
            fields={"slug": ["Built-in kind."]},
        )
    if not COLOR.match(color):
        raise ApplicationError("color must look like #1f77b4.", fields={"color": ["#rrggbb"]})
    try:
        with transaction.atomic():
            return ArtifactKind.objects.create(
                project=project,
                slug=slug,
                label=label.strip(),
                description=description,
                color=color,
                created_by=created_by,
            )
    except IntegrityError:
        raise ApplicationError(
            f"The project already has a kind '{slug}'.",
            code="duplicate",
            status=409,
            fields={"slug": ["Taken."]},
        ) from None


def artifact_kind_delete(*, kind: ArtifactKind) -> None:
    used = Mark.objects.filter(project=kind.project_id, kind=kind.slug).count()
    if used:
        raise ApplicationError(
            f"{used} mark(s) use “{kind.label}”; change or delete them first.",
            code="in_use",
            status=409,
        )
    kind.delete()


# -- marks ------------------------------------------------------------------------------


def _check_mark(
    *,
    project: Project,
    media: MediaItem,
    kind: str,
    start_frame: int,
    end_frame: int,
    region: list[float] | None,
) -> None:
    fields: dict[str, list[str]] = {}
    # Built-in kinds need no query; a project's own kinds do.
    known = kind in builtin_slugs() or kind in {k.slug for k in artifact_kinds(project=project)}
    if not known:
        fields["kind"] = [f"Unknown artifact kind '{kind}'; see the project's taxonomy."]
    last = media.frame_count - 1
    if start_frame < 0 or start_frame > last:
        fields["start_frame"] = [f"Must be a frame of the video: 0 to {last}."]
    if end_frame < 0 or end_frame > last:
        fields["end_frame"] = [f"Must be a frame of the video: 0 to {last}."]
    if start_frame > end_frame:
        fields.setdefault("end_frame", []).append("Must not be before start_frame.")
    if region is not None:
        valid = (
            isinstance(region, list | tuple)
            and len(region) == 4
            and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in region
            )
        )
        if not valid:
            fields["region"] = ["Give [x0, y0, x1, y1] as fractions of the frame (0 to 1)."]
        elif not (0 <= region[0] < region[2] <= 1 and 0 <= region[1] < region[3] <= 1):
            fields["region"] = ["Must lie inside the frame (0 to 1) with x0 < x1 and y0 < y1."]
    if fields:
        name, messages = next(iter(fields.items()))
        raise ApplicationError(f"{name}: {messages[0]}", code="invalid", fields=fields)


def _can_change_mark(scope: ReviewScope, mark: Mark) -> None:
    if mark.created_by_id != scope.user.pk and not role_at_least(scope.role, Role.CURATOR):
        raise ApplicationError(
            "You can change your own marks; a curator or owner can change anyone's.",
            code="permission_denied",
            status=403,
        )


def mark_create(
    *,
    scope: ReviewScope,
    media: MediaItem,
    kind: str,
    start_frame: int,
    end_frame: int,
    region: list[float] | None = None,
    note: str = "",
) -> Mark:
    reviewable_video(media)
    _check_mark(
        project=scope.project,
        media=media,
        kind=kind,
        start_frame=start_frame,
        end_frame=end_frame,
        region=region,
    )
    with transaction.atomic():
        return Mark.objects.create(
            project=scope.project,
            media=media,
            kind=kind,
            start_frame=start_frame,
            end_frame=end_frame,
            region=_rounded(region),
            note=note[:MAX_NOTE],
            created_by=scope.user,
            updated_by=scope.user,
            change=_next_mark_change(media.pk),
        )


def _next_mark_change(media_id: int) -> int:
    """Number the next change to a video's marks. Call inside the write's transaction:
    the upsert holds the counter's row lock until commit (see ``MarkChangeCounter``)."""
    table = connection.ops.quote_name(MarkChangeCounter._meta.db_table)
    with connection.cursor() as cursor:
        # One statement on Postgres and SQLite (3.35+): insert the first, or increment.
        cursor.execute(
            f"INSERT INTO {table} (media_id, last) VALUES (%s, 1) "
            f"ON CONFLICT (media_id) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [media_id],
        )
        return cursor.fetchone()[0]


def _rounded(region: list[float] | None) -> list[float] | None:
    return None if region is None else [round(float(v), 5) for v in region]


def mark_update(*, scope: ReviewScope, mark: Mark, version: int | None, **changes: Any) -> Mark:
    """Apply ``changes`` (kind, start_frame, end_frame, region, note) if ``version`` is
    still the mark's version; otherwise 409 with the current mark."""
    _can_change_mark(scope, mark)
    version = _require_version(version, "mark")
    merged = {
        name: changes.get(name, getattr(mark, name))
        for name in ("kind", "start_frame", "end_frame", "region")
    }
    _check_mark(project=scope.project, media=mark.media, **merged)
    values = {
        name: value
        for name, value in changes.items()
        if name in ("kind", "start_frame", "end_frame", "region", "note")
    }
    if "region" in values:
        values["region"] = _rounded(values["region"])
    if "note" in values:
        values["note"] = values["note"][:MAX_NOTE]
    with transaction.atomic():
        updated = Mark.objects.filter(pk=mark.pk, version=version).update(
            **values,
            version=F("version") + 1,
            updated_by=scope.user,
            updated_at=timezone.now(),
            change=_next_mark_change(mark.media_id),
        )
        if not updated:
            _conflict("mark", Mark.objects.filter(pk=mark.pk).first())
    return Mark.objects.select_related("created_by", "updated_by").get(pk=mark.pk)


def mark_delete(*, scope: ReviewScope, mark: Mark, version: int | None) -> None:
    """Deletes only the version the caller saw (when given): a mark changed meanwhile is
    kept and returned in the 409."""
    _can_change_mark(scope, mark)
    rows = Mark.objects.filter(pk=mark.pk)
    if version is not None:
        rows = rows.filter(version=version)
    with transaction.atomic():
        change = _next_mark_change(mark.media_id)
        deleted, _ = rows.delete()
        if not deleted:
            _conflict("mark", Mark.objects.filter(pk=mark.pk).first())
        MarkDeletion.objects.create(
            media_id=mark.media_id, mark_id=mark.pk, created_by_id=mark.created_by_id, change=change
        )


# -- verdicts ---------------------------------------------------------------------------


def _check_verdict(label: str, confidence: float) -> None:
    if label not in ReviewLabel.values:
        raise ApplicationError(
            "label must be real, fake or uncertain.", fields={"label": ["real, fake or uncertain"]}
        )
    if not (0.0 <= confidence <= 1.0):
        raise ApplicationError("confidence must be from 0 to 1.", fields={"confidence": ["0 to 1"]})


def verdict_submit(
    *,
    scope: ReviewScope,
    media: MediaItem,
    label: str,
    confidence: float,
    rationale: str,
    version: int | None,
) -> tuple[Verdict, bool]:
    """The reviewer's verdict on ``media``: created when they have none (``version``
    None), else changed from ``version``. Returns (verdict, created)."""
    reviewable_video(media)
    _check_verdict(label, confidence)
    if version is None:
        try:
            with transaction.atomic():
                verdict = Verdict.objects.create(
                    project=scope.project,
                    media=media,
                    reviewer=scope.user,
                    label=label,
                    confidence=confidence,
                    rationale=rationale[:MAX_NOTE],
                )
        except IntegrityError:
            # Two tabs (or a double click) submitting a first verdict: the second loses.
            _conflict(
                "verdict",
                Verdict.objects.filter(media=media, reviewer=scope.user)
                .select_related("reviewer")
                .first(),
            )
        return verdict, True
    updated = Verdict.objects.filter(media=media, reviewer=scope.user, version=version).update(
        label=label,
        confidence=confidence,
        rationale=rationale[:MAX_NOTE],
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    current = (
        Verdict.objects.filter(media=media, reviewer=scope.user).select_related("reviewer").first()
    )
    if not updated:
        if current is None:
            raise ApplicationError(
                "You have no verdict on this video yet; submit one without a version.",
                code="not_found",
                status=404,
            )
        _conflict("verdict", current)
    return current, False


# -- assignments ------------------------------------------------------------------------


def assignments_create(
    *,
    project: Project,
    media_ids: list[int],
    reviewer_ids: list[int],
    assigned_by: AbstractBaseUser,
) -> dict:
    """Put every video in every reviewer's inbox; existing pairs are kept as they are."""
    if not media_ids or not reviewer_ids:
        raise ApplicationError("Choose at least one video and one reviewer.")
    if len(media_ids) * len(reviewer_ids) > MAX_BULK_ASSIGN:
        raise ApplicationError(f"At most {MAX_BULK_ASSIGN} assignments at once.")
    videos = {m.pk: m for m in MediaItem.objects.filter(project=project, pk__in=media_ids)}
    missing = sorted(set(media_ids) - set(videos))
    if missing:
        raise ApplicationError(
            f"No such video(s) in the project: {missing}.", fields={"media": ["Unknown ids."]}
        )
    # Videos still being probed may be assigned: they are reviewable by the time a
    # reviewer opens them, and a curator assigns right after uploading.
    not_videos = sorted(v.name for v in videos.values() if v.kind != MediaKind.VIDEO)
    if not_videos:
        raise ApplicationError(
            f"Only videos are reviewed: {', '.join(not_videos)}.",
            code="not_a_video",
            fields={"media": ["Not videos."]},
        )
    roles = dict(
        Membership.objects.filter(project=project, user_id__in=reviewer_ids).values_list(
            "user_id", "role"
        )
    )
    unfit = [
        uid for uid in reviewer_ids if ROLE_RANK.get(roles.get(uid), 0) < ROLE_RANK[Role.REVIEWER]
    ]
    if unfit:
        raise ApplicationError(
            f"User(s) {unfit} cannot review here: they need the reviewer role or above.",
            fields={"reviewers": ["Not reviewers of this project."]},
        )
    existing = set(
        Assignment.objects.filter(media_id__in=videos, reviewer_id__in=reviewer_ids).values_list(
            "media_id", "reviewer_id"
        )
    )
    new = [
        Assignment(project=project, media_id=m, reviewer_id=r, assigned_by=assigned_by)
        for m in sorted(videos)
        for r in sorted(set(reviewer_ids))
        if (m, r) not in existing
    ]
    Assignment.objects.bulk_create(new, ignore_conflicts=True)
    return {"created": len(new), "existing": len(existing)}


def assignment_delete(*, assignment: Assignment) -> None:
    """Take a video off a reviewer's list; verdicts and marks they gave stay."""
    assignment.delete()


# -- consensus and gold -------------------------------------------------------------------


def consensus_set(
    *, scope: ReviewScope, media: MediaItem, label: str, note: str, version: int | None
) -> Consensus:
    """An owner's adjudicated label. The first decision needs no version; changing a
    decision names the version it changes."""
    if not scope.can_adjudicate:
        raise ApplicationError("Only an owner adjudicates.", code="permission_denied", status=403)
    _check_verdict(label, 0.0)
    if version is None:
        try:
            with transaction.atomic():
                return Consensus.objects.create(
                    project=scope.project,
                    media=media,
                    label=label,
                    note=note[:MAX_NOTE],
                    decided_by=scope.user,
                )
        except IntegrityError:
            _conflict("consensus", Consensus.objects.filter(media=media).first())
    updated = Consensus.objects.filter(media=media, version=version).update(
        label=label,
        note=note[:MAX_NOTE],
        decided_by=scope.user,
        decided_at=timezone.now(),
        version=F("version") + 1,
    )
    current = Consensus.objects.filter(media=media).select_related("decided_by").first()
    if not updated:
        _conflict("consensus", current)
    return current


def gold_set(
    *, project: Project, media: MediaItem, label: str | None, set_by: AbstractBaseUser
) -> GoldVideo:
    """Mark a video as a hidden check; the label defaults to its known origin."""
    reviewable_video(media)
    label = label or (media.origin if media.origin in ("real", "fake") else None)
    if label not in ("real", "fake"):
        raise ApplicationError(
            f"“{media.name}” has no known truth (origin {media.origin}); give the gold label "
            "(real or fake).",
            fields={"label": ["real or fake"]},
        )
    gold, _ = GoldVideo.objects.update_or_create(
        media=media, defaults={"project": project, "label": label, "set_by": set_by}
    )
    return gold


def gold_clear(*, media: MediaItem) -> None:
    """Make a gold video an ordinary one again (nothing to do if it is not gold)."""
    GoldVideo.objects.filter(media=media).delete()


# -- comments -----------------------------------------------------------------------------


def comment_create(
    *, scope: ReviewScope, media: MediaItem, frame: int, body: str, parent_id: int | None
) -> Comment:
    reviewable_video(media)
    body = body.strip()
    if not body:
        raise ApplicationError("Write something first.", fields={"body": ["Empty."]})
    if not 0 <= frame < media.frame_count:
        raise ApplicationError(
            f"frame must be 0 to {media.frame_count - 1}.", fields={"frame": ["Outside the video."]}
        )
    parent = None
    if parent_id is not None:
        from deepreview.review.selectors import comment_list

        parent = comment_list(scope=scope, media=media).filter(pk=parent_id).first()
        if parent is None:
            raise ApplicationError("No such comment to reply to.", code="not_found", status=404)
        parent = parent.parent or parent  # replies to replies join the same thread
        frame = parent.frame
    return Comment.objects.create(
        project=scope.project,
        media=media,
        frame=frame,
        parent=parent,
        author=scope.user,
        body=body[:MAX_COMMENT],
    )


def comment_delete(*, scope: ReviewScope, comment: Comment) -> None:
    if comment.author_id != scope.user.pk and not role_at_least(scope.role, Role.CURATOR):
        raise ApplicationError(
            "You can delete your own comments.", code="permission_denied", status=403
        )
    comment.delete()

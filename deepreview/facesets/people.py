"""People in a faceset: split it by track or identity cluster, or keep one person.

A *track* is one person followed through one extraction job (a segment or a whole
video), so the group key of a face is ``(media, job, track)``; photos and untracked
faces are groups of one. Identity clusters join tracks (and single faces) whose
mean embeddings are close (:mod:`deepreview_workers.pipeline.curation.grouping`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from deepreview.core.errors import ApplicationError
from deepreview.facesets.models import CurationAction, CurationEvent, Face, Faceset
from deepreview_workers.pipeline.curation.grouping import (
    DEFAULT_IDENTITY_THRESHOLD,
    group_centres,
    leader_clusters,
)

SPLIT_BY = ("track", "identity")
SAMPLES_PER_PART = 8


@dataclass(frozen=True)
class _LiveFace:
    pk: int
    group: tuple
    media_name: str
    track_id: int
    blur: float
    embedding: np.ndarray


@dataclass(frozen=True)
class SplitPart:
    """One future faceset: its faces, a readable label and the sharpest faces as samples."""

    label: str
    face_ids: list[int]
    sample_ids: list[int]


def _live_faces(faceset: Faceset) -> list[_LiveFace]:
    rows = (
        Face.objects.filter(faceset=faceset, deleted_at__isnull=True)
        .order_by("id")
        .values_list("pk", "media_id", "job_id", "track_id", "blur", "embedding", "media__name")
    )
    faces = []
    for pk, media_id, job_id, track_id, blur, embedding, media_name in rows:
        group = (media_id, job_id, track_id) if track_id >= 0 else ("face", pk)
        vector = np.frombuffer(bytes(embedding), dtype="<f4").astype(np.float64)
        faces.append(_LiveFace(pk, group, media_name or "removed media", track_id, blur, vector))
    return faces


def _check_embedders(faces: list[_LiveFace]) -> None:
    sizes = {face.embedding.size for face in faces}
    if len(sizes) > 1:
        raise ApplicationError(
            "The faceset mixes faces from different embedders; identity needs one embedder. "
            "Split by track instead, or re-extract with one embedder.",
            code="mixed_embedders",
        )


def _person_labels(faces: list[_LiveFace], threshold: float) -> dict[tuple, int]:
    """Person label per group key, 0 = the person with the most faces."""
    _check_embedders(faces)
    keys, centres, sizes = group_centres(
        [face.group for face in faces], np.stack([face.embedding for face in faces])
    )
    return dict(zip(keys, leader_clusters(centres, sizes, threshold).tolist(), strict=True))


def _part(label: str, members: list[_LiveFace]) -> SplitPart:
    sharpest = sorted(members, key=lambda face: (-face.blur, face.pk))[:SAMPLES_PER_PART]
    return SplitPart(label, sorted(face.pk for face in members), [f.pk for f in sharpest])


def _track_label(members: list[_LiveFace]) -> str:
    first = members[0]
    if first.group[0] == "face":
        return f"untracked face {first.pk} ({first.media_name})"
    return f"track {first.track_id} ({first.media_name})"


def faceset_split_plan(
    *, faceset: Faceset, by: str, threshold: float = DEFAULT_IDENTITY_THRESHOLD
) -> list[SplitPart]:
    """The parts a split would make, largest first; the first one stays in the faceset."""
    if by not in SPLIT_BY:
        raise ApplicationError(
            f"Split by 'track' or 'identity', not '{by}'.", fields={"by": ["Unknown."]}
        )
    faces = _live_faces(faceset)
    if not faces:
        raise ApplicationError("The faceset has no faces to split.", code="empty_faceset")
    groups: dict[object, list[_LiveFace]] = defaultdict(list)
    if by == "track":
        for face in faces:
            groups[face.group].append(face)
        parts = [_part(_track_label(members), members) for members in groups.values()]
    else:
        labels = _person_labels(faces, threshold)
        for face in faces:
            groups[labels[face.group]].append(face)
        parts = [_part(f"person {label + 1}", groups[label]) for label in sorted(groups)]
    return sorted(parts, key=lambda part: (-len(part.face_ids), part.face_ids[0]))


def _free_name(faceset: Faceset, label: str) -> str:
    base = f"{faceset.name} · {label}"[:190]
    taken = set(
        Faceset.objects.filter(project_id=faceset.project_id, name__startswith=base).values_list(
            "name", flat=True
        )
    )
    name, n = base, 2
    while name in taken:
        name, n = f"{base} ({n})", n + 1
    return name


def faceset_split(
    *,
    faceset: Faceset,
    by: str,
    user: AbstractBaseUser,
    threshold: float = DEFAULT_IDENTITY_THRESHOLD,
) -> CurationEvent:
    """Keep the largest part here; move every other part into a new faceset (undoable).

    Faces a concurrent action already moved or deleted are left where they are.
    """
    parts = faceset_split_plan(faceset=faceset, by=by, threshold=threshold)
    if len(parts) < 2:
        raise ApplicationError(
            f"Nothing to split: every face is in one {'track' if by == 'track' else 'person'}.",
            code="nothing_to_split",
        )
    created = []
    moved_all: list[int] = []
    with transaction.atomic():
        for part in parts[1:]:
            target = Faceset.objects.create(
                project_id=faceset.project_id,
                name=_free_name(faceset, part.label),
                description=f"Split from “{faceset.name}” by {by}.",
                created_by=user,
            )
            live = Face.objects.filter(
                faceset=faceset, pk__in=part.face_ids, deleted_at__isnull=True
            ).select_for_update()
            moved = list(live.values_list("pk", flat=True))
            Face.objects.filter(pk__in=moved).update(faceset=target)
            moved_all += moved
            created.append({"faceset": target.pk, "name": target.name, "face_ids": moved})
        return CurationEvent.objects.create(
            faceset=faceset,
            user=user,
            action=CurationAction.SPLIT,
            face_ids=sorted(moved_all),
            details={
                "by": by,
                "threshold": threshold,
                "kept": len(parts[0].face_ids),
                "parts": created,
            },
        )


def split_undo(*, event: CurationEvent, user: AbstractBaseUser | None) -> CurationEvent:
    """Bring the parts' faces back; a part faceset left empty (and unused) is removed."""
    returned: list[int] = []
    for part in event.details.get("parts", []):
        target = Faceset.objects.filter(pk=part["faceset"]).first()
        if target is None:
            continue
        faces = Face.objects.filter(faceset=target, pk__in=part["face_ids"])
        back = list(faces.select_for_update().values_list("pk", flat=True))
        Face.objects.filter(pk__in=back).update(faceset=event.faceset)
        returned += back
        if not Face.objects.filter(faceset=target).exists():
            target.delete()
    return CurationEvent.objects.create(
        faceset=event.faceset,
        user=user,
        action=CurationAction.UNDO,
        face_ids=sorted(returned),
        details={"undid": "split", "parts": len(event.details.get("parts", []))},
    )


@dataclass(frozen=True)
class KeepPlan:
    """Whom "keep this person" keeps and drops."""

    kept_ids: list[int]
    drop_ids: list[int]
    track_count: int  # groups (tracks or single faces) kept


def keep_person_plan(
    *,
    faceset: Faceset,
    face_id: int,
    include_identity: bool = True,
    threshold: float = DEFAULT_IDENTITY_THRESHOLD,
) -> KeepPlan:
    """Keep the clicked face's track and, optionally, the same person's other tracks.

    "The same person" means the other group's mean embedding lies within ``threshold``
    of the clicked track's mean embedding: a direct comparison, so nothing is
    kept for merely resembling someone else that was kept.
    """
    faces = _live_faces(faceset)
    chosen = next((face for face in faces if face.pk == face_id), None)
    if chosen is None:
        raise ApplicationError(
            "That face is not a live face of this faceset.", fields={"face": ["Not here."]}
        )
    keep_groups = {chosen.group}
    if include_identity:
        _check_embedders(faces)
        keys, centres, _sizes = group_centres(
            [face.group for face in faces], np.stack([face.embedding for face in faces])
        )
        reference = centres[keys.index(chosen.group)]
        close = np.linalg.norm(centres - reference, axis=1) < threshold
        keep_groups |= {key for key, near in zip(keys, close, strict=True) if near}
    kept = [face.pk for face in faces if face.group in keep_groups]
    dropped = [face.pk for face in faces if face.group not in keep_groups]
    return KeepPlan(kept_ids=kept, drop_ids=dropped, track_count=len(keep_groups))

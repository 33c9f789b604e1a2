"""Reads for facesets: scoped lists, and face ordering for curation."""

from __future__ import annotations

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from deepreview.core.errors import ApplicationError
from deepreview.facesets.models import CurationEvent, Face, Faceset
from deepreview.projects.models import Project
from deepreview.projects.roles import Role
from deepreview.projects.selectors import access_row
from deepreview_workers.pipeline.curation.order import (
    curation_order,
    histogram_similarities,
    hue_outliers,
    identity_distances,
)

# Sort keys the database orders directly, each with its curation-friendly
# direction: the faces a curator most likely removes come first.
DB_ORDER = {
    "blur": "blur",  # blurriest first
    "size": "face_size",  # smallest first
    "yaw": "yaw",
    "pitch": "pitch",
    "brightness": "brightness",
    "confidence": "confidence",  # least confident first
    "frame": "frame_index",
    "created": "id",
}
# Computed by the curation library, as the CLI's ``deepreview sort`` does.
COMPUTED_ORDER = ("identity", "hist", "hue")
SORT_KEYS = tuple(DB_ORDER) + COMPUTED_ORDER
RANGE_FILTERS = {
    "blur": "blur",
    "size": "face_size",
    "yaw": "yaw",
    "pitch": "pitch",
    "brightness": "brightness",
    "confidence": "confidence",
}


def faceset_list(*, project: Project) -> QuerySet[Faceset]:
    alive = Count("faces", filter=Q(faces__deleted_at__isnull=True))
    deleted = Count("faces", filter=Q(faces__deleted_at__isnull=False))
    return (
        Faceset.objects.filter(project=project)
        .annotate(face_count=alive, deleted_count=deleted)
        .order_by("name", "id")  # aggregation drops Meta.ordering
    )


def faceset_get(*, project: Project, faceset_id: int | str) -> Faceset:
    return get_object_or_404(faceset_list(project=project), pk=faceset_id)


def access_face(
    user: AbstractBaseUser | AnonymousUser, face_id: int | str, *, min_role: str = Role.VIEWER
) -> Face:
    """The face (deleted ones too) if the user may see its faceset's project; the same
    404 otherwise."""
    faces = Face.objects.select_related("faceset")
    return access_row(user, faces, face_id, min_role=min_role, owner="faceset", what="face")


def face_queryset(
    *, faceset: Faceset, deleted: bool = False, ranges: dict[str, tuple[float | None, float | None]]
) -> QuerySet[Face]:
    faces = Face.objects.filter(faceset=faceset, deleted_at__isnull=not deleted)
    for key, (low, high) in ranges.items():
        column = RANGE_FILTERS[key]
        if low is not None:
            faces = faces.filter(**{f"{column}__gte": low})
        if high is not None:
            faces = faces.filter(**{f"{column}__lte": high})
    return faces


def face_ids_ordered(
    faces: QuerySet[Face], *, by: str, reverse: bool = False, reference: Face | None = None
) -> list[int]:
    """Face ids in curation order (``reverse`` turns it round), the order of
    ``deepreview_workers.pipeline.curation.order`` for the same key.

    identity: distance from the reference face (or the set's mean embedding), farthest
    first, so other people and false positives lead. hist: colour histogram similarity
    to the set's mean, outliers first. hue: distance from the set's mean hue, largest
    first. The others are columns the database orders.
    """
    if by not in SORT_KEYS:
        raise ApplicationError(
            f"Unknown sort '{by}'; use one of: {', '.join(SORT_KEYS)}.",
            fields={"ordering": ["Unknown sort key."]},
        )
    if by in DB_ORDER:
        column = DB_ORDER[by]
        order = [f"-{column}" if reverse else column, "id"]
        return list(faces.order_by(*order).values_list("pk", flat=True))
    column = {"identity": "embedding", "hist": "histogram", "hue": "hue"}[by]
    rows = list(faces.order_by("id").values_list("pk", column))
    if not rows:
        return []
    ids, values = zip(*rows, strict=True)
    if by == "identity":
        reference_vector = None if reference is None else _vector(reference.embedding)
        scores = identity_distances([_vector(blob) for blob in values], reference_vector)
        descending = True
    elif by == "hist":
        scores, descending = histogram_similarities(values), False
    else:
        scores, descending = hue_outliers(np.array(values, dtype=np.float64)), True
    return [ids[i] for i in curation_order(scores, descending=descending, reverse=reverse)]


def _vector(blob: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype="<f4")


YAW_BINS = np.arange(-90, 91, 15)  # 12 bins of 15 degrees
PITCH_BINS = np.arange(-60, 61, 15)  # 8 bins


def faceset_stats(*, faceset: Faceset) -> dict:
    """Pose coverage and quality distributions of the faces still in the set."""
    rows = np.array(
        list(
            Face.objects.filter(faceset=faceset, deleted_at__isnull=True).values_list(
                "yaw", "pitch", "blur", "face_size"
            )
        ),
        dtype=np.float64,
    ).reshape(-1, 4)
    yaw, pitch, blur, size = rows.T
    coverage, _, _ = np.histogram2d(
        np.clip(pitch, PITCH_BINS[0], PITCH_BINS[-1]),
        np.clip(yaw, YAW_BINS[0], YAW_BINS[-1]),
        bins=[PITCH_BINS, YAW_BINS],
    )

    def histogram(values: np.ndarray, bins: int = 20) -> dict:
        if values.size == 0:
            return {"counts": [], "edges": []}
        counts, edges = np.histogram(values, bins=bins)
        return {"counts": counts.tolist(), "edges": edges.round(3).tolist()}

    return {
        "face_count": int(rows.shape[0]),
        "pose": {
            "yaw_edges": YAW_BINS.tolist(),
            "pitch_edges": PITCH_BINS.tolist(),
            "counts": coverage.astype(int).tolist(),  # rows: pitch bins, columns: yaw bins
            "empty_bins": int((coverage == 0).sum()),
        },
        "blur": histogram(blur),
        "size": histogram(size),
    }


def event_list(*, faceset: Faceset) -> QuerySet[CurationEvent]:
    return CurationEvent.objects.filter(faceset=faceset).select_related("user")

"""Reads for facesets: scoped lists, and face ordering for curation."""

from __future__ import annotations

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from deepreview.core.errors import ApplicationError
from deepreview.facesets.models import CurationEvent, Face, Faceset
from deepreview.projects.models import Project

# Sort keys the database orders directly, each with its curation-friendly
# direction: the faces a curator most likely removes come first.
DB_ORDER = {
    "blur": "blur",  # blurriest first
    "size": "face_size",  # smallest first
    "yaw": "yaw",
    "pitch": "pitch",
    "brightness": "brightness",
    "hue": "hue",
    "confidence": "confidence",  # least confident first
    "frame": "frame_index",
    "created": "id",
}
COMPUTED_ORDER = ("identity", "hist")
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
    """Face ids in curation order (``reverse`` turns it round).

    identity: distance from the reference face (or the set's mean embedding),
    farthest first, so other people and false positives lead. hist: colour
    histogram distance from the set's mean, outliers first.
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
    if by == "identity":
        rows = list(faces.values_list("pk", "embedding"))
        if not rows:
            return []
        ids = np.array([pk for pk, _ in rows])
        vectors = np.stack([np.frombuffer(bytes(blob), dtype="<f4") for _, blob in rows])
        if reference is not None:
            centre = np.frombuffer(bytes(reference.embedding), dtype="<f4")
        else:
            centre = vectors.mean(axis=0)
        distance = np.linalg.norm(vectors - centre, axis=1)
    else:
        rows = list(faces.values_list("pk", "histogram"))
        if not rows:
            return []
        ids = np.array([pk for pk, _ in rows])
        hists = np.array([h for _, h in rows], dtype=np.float64)
        centre = hists.mean(axis=0)
        # Bhattacharyya distance to the mean histogram.
        distance = np.sqrt(np.clip(1.0 - np.sqrt(hists * centre).sum(axis=1), 0.0, None))
    order = np.lexsort((ids, distance if reverse else -distance))
    return ids[order].tolist()


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

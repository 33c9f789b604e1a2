"""Which videos an export holds, with which label, and what the builder needs to know.

A selection is JSON (from the builder page, the API or ``deepreview export --spec``)::

    {"label_source": "ground_truth" | "consensus" | "reviewer",
     "reviewer": "<username>",                  # with label_source "reviewer"
     "labels": ["real", "fake"],                # default both
     "identities": ["Barack Obama", ...],       # default any
     "methods": ["real", "deepreview-original", "uploaded", ...],   # default any
     "method_options": {"mask": "extended", ...},   # conversion options that must match
     "created_after": "2026-01-01", "created_before": "2026-12-31",
     "media": [12, 13]}                         # default every video of the project

Labels: *ground_truth* is what the project knows for sure (a curator marked the upload
real or fake; the project's own fakes are fake); *consensus* is the owner-adjudicated
label; *reviewer* is one reviewer's verdict. Uncertain labels never make the cut.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from deepreview.core.errors import ApplicationError
from deepreview.media.models import MediaItem, MediaKind, MediaStatus, Origin
from deepreview.projects.models import Project
from deepreview.review.models import Consensus, Verdict

LABEL_SOURCES = ("ground_truth", "consensus", "reviewer")
LABELS = ("real", "fake")
KEYS = {
    "label_source",
    "reviewer",
    "labels",
    "identities",
    "methods",
    "method_options",
    "created_after",
    "created_before",
    "media",
}


@dataclass
class SelectedVideo:
    media: MediaItem
    label: str
    identities: tuple[str, ...]
    method: str | None
    method_options: dict = field(default_factory=dict)
    conversion: object | None = None  # deepreview.swaps.models.Conversion

    @property
    def key(self) -> str:
        """Stable across projects and installs: the file's content, never a row id."""
        return self.media.sha256[:16]


def _invalid(field_name: str, message: str) -> ApplicationError:
    return ApplicationError(f"{field_name}: {message}", fields={field_name: [message]})


def _date(raw: object, field_name: str) -> dt.date | None:
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise _invalid(field_name, "Use a date like 2026-12-01.") from None


def normalise_selection(raw: dict) -> dict:
    """The selection with defaults filled in; errors name the field."""
    if not isinstance(raw, dict):
        raise ApplicationError("The selection must be a JSON object.")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise _invalid(unknown[0], f"Unknown selection key; use {', '.join(sorted(KEYS))}.")
    selection = {
        "label_source": raw.get("label_source") or "ground_truth",
        "labels": sorted(set(raw.get("labels") or LABELS)),
        "identities": sorted(set(raw.get("identities") or [])),
        "methods": sorted(set(raw.get("methods") or [])),
        "method_options": dict(raw.get("method_options") or {}),
        "media": sorted({int(m) for m in raw.get("media") or []}),
    }
    if selection["label_source"] not in LABEL_SOURCES:
        raise _invalid("label_source", f"Choose one of {', '.join(LABEL_SOURCES)}.")
    if selection["label_source"] == "reviewer":
        if not raw.get("reviewer"):
            raise _invalid("reviewer", "Name the reviewer whose verdicts give the labels.")
        selection["reviewer"] = str(raw["reviewer"])
    if not set(selection["labels"]) <= set(LABELS):
        raise _invalid("labels", "Labels are real and fake.")
    for name in ("created_after", "created_before"):
        if _date(raw.get(name), name):
            selection[name] = str(_date(raw.get(name), name))
    return selection


def _candidates(project: Project, selection: dict) -> QuerySet[MediaItem]:
    videos = MediaItem.objects.filter(
        project=project, kind=MediaKind.VIDEO, status=MediaStatus.READY
    ).select_related("identity", "conversion", "conversion__swap_model")
    if selection["media"]:
        videos = videos.filter(pk__in=selection["media"])
    if selection.get("created_after"):
        videos = videos.filter(created_at__date__gte=selection["created_after"])
    if selection.get("created_before"):
        videos = videos.filter(created_at__date__lte=selection["created_before"])
    return videos.order_by("sha256")


def _labels(project: Project, selection: dict, videos: list[MediaItem]) -> dict[int, str]:
    ids = [v.pk for v in videos]
    source = selection["label_source"]
    if source == "ground_truth":
        return {v.pk: v.origin for v in videos if v.origin in (Origin.REAL, Origin.FAKE)}
    if source == "consensus":
        rows = Consensus.objects.filter(media_id__in=ids).values_list("media_id", "label")
        return dict(rows)
    reviewer = get_user_model().objects.filter(username=selection["reviewer"]).first()
    if reviewer is None:
        raise _invalid("reviewer", f"No user named '{selection['reviewer']}'.")
    rows = Verdict.objects.filter(media_id__in=ids, reviewer=reviewer)
    return dict(rows.values_list("media_id", "label"))


def video_method(media: MediaItem, label: str) -> tuple[str | None, dict, object | None]:
    """(method, options, conversion): the project's fakes name their swap model's
    architecture; other fakes were uploaded; reals have no method."""
    conversion = getattr(media, "conversion", None)
    if conversion is not None:
        provenance = conversion.provenance or {}
        arch = provenance.get("method") or (
            f"deepreview-{(provenance.get('model') or {}).get('arch', 'swap')}"
        )
        return arch, dict(conversion.options or {}), conversion
    return ("uploaded" if label == "fake" else None), {}, None


def video_identities(media: MediaItem, conversion: object | None) -> tuple[str, ...]:
    """Everyone in the video: its identity and, for a swap, both faces' identities.

    A video nobody named gets an identity of its own, so it still splits cleanly.
    """
    names = {media.identity.name} if media.identity else set()
    provenance = getattr(conversion, "provenance", None) or {}
    names.update(provenance.get("identities") or [])
    for side in ("identity_shown", "identity_replaced"):
        name = (provenance.get(side) or {}).get("identity")
        if name:
            names.add(name)
    return tuple(sorted(names)) or (f"unnamed:{media.sha256[:16]}",)


def select_videos(*, project: Project, selection: dict) -> list[SelectedVideo]:
    """The selected videos in key order, each with its label, identities and method."""
    videos = list(_candidates(project, selection))
    labels = _labels(project, selection, videos)
    chosen = []
    for media in videos:
        label = labels.get(media.pk)
        if label not in selection["labels"]:
            continue  # unlabeled, uncertain or a label not asked for
        method, options, conversion = video_method(media, label)
        method_name = method or "real"
        if selection["methods"] and method_name not in selection["methods"]:
            continue
        wanted = selection["method_options"]
        if label == "fake" and any(options.get(k) != v for k, v in wanted.items()):
            continue  # the options describe how fakes were made; reals always pass
        identities = video_identities(media, conversion)
        if selection["identities"] and not set(identities) & set(selection["identities"]):
            continue
        chosen.append(
            SelectedVideo(
                media=media,
                label=label,
                identities=identities,
                method=method,
                method_options=options,
                conversion=conversion,
            )
        )
    return sorted(chosen, key=lambda v: v.key)

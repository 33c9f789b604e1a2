"""Presentation helpers of the fact-check report: frame timecodes, a mark's key frame,
its region as CSS, and who did what when. No reads, no rules: the view hands the
template what the review selectors allow this user to see."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django import template

register = template.Library()


@register.filter
def timecode(frame: int | None, fps: float | None) -> str:
    """Frame ``frame`` at ``fps`` as "mm:ss.mmm" (the page script refines it from the
    video's own frame timestamps when it has them)."""
    if frame is None or not fps:
        return ""
    ms = round(frame / fps * 1000)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    text = f"{minutes:02d}:{seconds:02d}.{millis:03d}"
    return f"{hours}:{text}" if hours else text


@register.filter
def key_frame(mark: object) -> int:
    """The frame shown for a mark: the middle of its range."""
    return (mark.start_frame + mark.end_frame) // 2


@register.filter
def region_style(region: list[float] | None) -> str:
    """A normalised [x0, y0, x1, y1] as absolute-position percentages over its frame."""
    if not region or len(region) != 4:
        return ""
    x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in region)
    return (
        f"left: {x0 * 100:.2f}%; top: {y0 * 100:.2f}%; "
        f"width: {(x1 - x0) * 100:.2f}%; height: {(y1 - y0) * 100:.2f}%;"
    )


@register.filter
def lookup(mapping: Mapping | None, key: object) -> object:
    return mapping.get(key) if mapping else None


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value * 100:.{int(digits)}f}%"


@register.simple_tag
def reviewer_activity(verdicts: Iterable, marks: Iterable, consensus: object = None) -> list[dict]:
    """One row per person who reviewed: verdict time, marks and their first and last
    date, and whether they decided the consensus; sorted by name."""
    people: dict[str, dict] = {}

    def person(name: str | None) -> dict:
        key = name or "(deleted user)"
        return people.setdefault(
            key,
            {
                "name": key,
                "verdict": None,
                "verdict_at": None,
                "marks": 0,
                "first": None,
                "last": None,
                "decided": None,
            },
        )

    def widen(row: dict, when: datetime) -> None:
        row["first"] = when if row["first"] is None else min(row["first"], when)
        row["last"] = when if row["last"] is None else max(row["last"], when)

    for verdict in verdicts:
        row = person(verdict.reviewer.username if verdict.reviewer else None)
        row["verdict"] = verdict.label
        row["verdict_at"] = verdict.updated_at
        widen(row, verdict.updated_at)
    for mark in marks:
        row = person(mark.created_by.username if mark.created_by else None)
        row["marks"] += 1
        widen(row, mark.updated_at)
    if consensus is not None:
        row = person(consensus.decided_by.username if consensus.decided_by else None)
        row["decided"] = consensus.decided_at
        widen(row, consensus.decided_at)
    return sorted(people.values(), key=lambda r: r["name"].lower())


@register.filter
def frames_in(mark: object) -> int:
    """How many frames an inclusive mark range covers."""
    return mark.end_frame - mark.start_frame + 1


@register.filter
def share(value: float | None) -> str:
    """A share 0..1 as a percentage: "3%", "0.4%" under one percent (as the pages say it)."""
    if value is None:
        return ""
    pct = float(value) * 100
    return f"{pct:.1f}%" if 0 < pct < 1 else f"{round(pct)}%"


@register.filter
def percentile_words(value: float | None) -> str:
    """A percentile among real videos in words: "higher than 97% of real videos"."""
    if value is None:
        return ""
    if value >= 0.5:
        return f"higher than {share(value)} of real videos"
    return f"lower than {share(1 - value)} of real videos"


@register.filter
def signal_label(name: str) -> str:
    """A signal's identifier as a label: "face_blur" -> "Face blur"."""
    text = " ".join(str(name).replace("-", "_").split("_")).strip()
    return text[:1].upper() + text[1:]


@register.filter
def ranked_percentiles(reference: Mapping | None) -> list[dict]:
    """The signals of a signal reference with a percentile, the most unusual first."""
    signals = (reference or {}).get("signals") or {}
    rows = [
        {"name": name, "percentile": value["percentile"]}
        for name, value in signals.items()
        if isinstance(value, Mapping) and value.get("percentile") is not None
    ]
    return sorted(rows, key=lambda r: (-abs(r["percentile"] - 0.5), r["name"]))


@register.filter
def region_words(region: str | None) -> str:
    """Where a map points, after a score: "at the mouth", "over the whole face"."""
    if not region:
        return ""
    return "over the whole face" if region == "whole face" else f"at the {region}"

"""Marks in other annotation tools' file formats: CVAT for video 1.1 XML and Label
Studio's video JSON. Pure codecs (bytes in, dataclasses out and back), no Django:
the services in ``deepreview.review.interchange`` map labels to kinds and save.

Frames here are the video's 0-based frame indices; regions are ``(x0, y0, x1, y1)``
as fractions of the frame, like ``Mark.region``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fractions keep 5 decimals, as ``mark_create`` stores them.
REGION_DECIMALS = 5


class FormatError(ValueError):
    """The file is not what its format says; the message names where (line, element or
    JSON path) and what is wrong."""


@dataclass(frozen=True)
class VideoGeometry:
    name: str
    width: int
    height: int
    frame_count: int
    fps: float | None = None


@dataclass(frozen=True)
class ExchangedMark:
    """One mark as a file holds it. ``label`` is the file's label: our kind slug on
    export; whatever the other tool called it on import. ``where`` locates it in the
    file for error messages."""

    label: str
    start_frame: int
    end_frame: int
    region: tuple[float, float, float, float] | None = None
    note: str = ""
    where: str = ""


@dataclass(frozen=True)
class ExchangedLabel:
    name: str
    color: str = "#888888"


@dataclass
class ReadResult:
    marks: list[ExchangedMark] = field(default_factory=list)
    # Elements that are not marks (other shapes, other result types): name -> count.
    ignored: dict[str, int] = field(default_factory=dict)

    def ignore(self, what: str) -> None:
        self.ignored[what] = self.ignored.get(what, 0) + 1


def fraction_box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    """Clipped to the frame (both tools let a box hang over the edge) and rounded."""

    def clip(value: float) -> float:
        return round(min(max(value, 0.0), 1.0), REGION_DECIMALS)

    return (clip(x0), clip(y0), clip(x1), clip(y1))


def union_box(
    boxes: list[tuple[float, float, float, float]],
) -> tuple[float, float, float, float]:
    """The smallest box holding every box. A track's box moves between keyframes; the
    boxes interpolated between two keyframes lie inside the union of the two, so the
    union of the keyframes covers every frame of the span."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )

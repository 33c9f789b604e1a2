"""CVAT for video 1.1 XML (the "interpolation" dump of a task with one video).

How marks are written:

- A mark with a region is a ``<track>`` of ``<box>`` elements in pixels: a keyframe at
  ``start_frame`` and, unless the mark lasts to the video's last frame, a box with
  ``outside="1"`` at ``end_frame + 1``, which is how CVAT ends a track.
- A mark without a region is a run of ``<tag frame label>`` elements, one per frame:
  CVAT's own way to say "this frame shows X". The tags of one mark share a
  ``group_id``, so two marks of the same kind that touch or overlap come back as two.

How files are read (any CVAT for video 1.1 dump, not only ours):

- A track is visible from each non-outside box up to the frame before the next
  outside box; a track whose last box is not outside lasts to the end of the video.
  Each visible span becomes one mark. The track's box moves between keyframes (CVAT
  interpolates); the mark's region is the union of the span's boxes, which holds every
  interpolated box too.
- Tags become one mark per run of consecutive frames with the same label and group.
- Other shapes (polygons, points, skeletons...) are not marks: counted as ignored.
- Frames are the task's; a task cut from the video at ``start_frame`` is shifted back.
  A task that kept only every n-th frame (``frame_filter`` step) is refused: its frame
  numbers do not say which frames of the video were seen.

XML safety: the file is parsed by expat with handlers that refuse any DOCTYPE or
entity declaration (CVAT writes neither), so entity expansion ("billion laughs") and
external entities never happen. Each element keeps its line for error messages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.etree import ElementTree as ET
from xml.parsers import expat

from deepreview.review.formats import (
    ExchangedLabel,
    ExchangedMark,
    FormatError,
    ReadResult,
    VideoGeometry,
    fraction_box,
    union_box,
)

NON_MARK_SHAPES = {"polygon", "polyline", "points", "ellipse", "cuboid", "skeleton", "mask"}


# -- writing ----------------------------------------------------------------------------


def _pixels(value: float) -> str:
    # Fractions have 5 decimals, so fraction * size needs at most 5: written exactly,
    # with CVAT's usual two decimals when they suffice.
    text = f"{value:.5f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def write_cvat_video(
    *, video: VideoGeometry, marks: Sequence[ExchangedMark], labels: Sequence[ExchangedLabel]
) -> bytes:
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = "1.1"
    task = ET.SubElement(ET.SubElement(root, "meta"), "task")
    for tag, text in (
        ("name", video.name),
        ("size", str(video.frame_count)),
        ("mode", "interpolation"),
        ("overlap", "0"),
        ("start_frame", "0"),
        ("stop_frame", str(video.frame_count - 1)),
        ("frame_filter", ""),
    ):
        ET.SubElement(task, tag).text = text
    labels_element = ET.SubElement(task, "labels")
    for label in labels:
        element = ET.SubElement(labels_element, "label")
        ET.SubElement(element, "name").text = label.name
        ET.SubElement(element, "color").text = label.color
        ET.SubElement(element, "type").text = "any"
        ET.SubElement(element, "attributes")
    size = ET.SubElement(task, "original_size")
    ET.SubElement(size, "width").text = str(video.width)
    ET.SubElement(size, "height").text = str(video.height)
    ET.SubElement(task, "source").text = video.name

    track_id = group_id = 0
    for mark in marks:
        if mark.region is None:
            group_id += 1
            for frame in range(mark.start_frame, mark.end_frame + 1):
                ET.SubElement(
                    root,
                    "tag",
                    frame=str(frame),
                    label=mark.label,
                    source="manual",
                    group_id=str(group_id),
                )
            continue
        track = ET.SubElement(root, "track", id=str(track_id), label=mark.label, source="manual")
        track_id += 1
        x0, y0, x1, y1 = mark.region
        corners = {
            "xtl": _pixels(x0 * video.width),
            "ytl": _pixels(y0 * video.height),
            "xbr": _pixels(x1 * video.width),
            "ybr": _pixels(y1 * video.height),
        }
        ends = [(mark.start_frame, "0")]
        if mark.end_frame + 1 < video.frame_count:
            ends.append((mark.end_frame + 1, "1"))
        for frame, outside in ends:
            ET.SubElement(
                track,
                "box",
                frame=str(frame),
                keyframe="1",
                outside=outside,
                occluded="0",
                **corners,
                z_order="0",
            )
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# -- reading ----------------------------------------------------------------------------


class _Located:
    """The parsed tree and each element's line."""

    def __init__(self, root: ET.Element, lines: dict[ET.Element, int]) -> None:
        self.root = root
        self.lines = lines

    def where(self, element: ET.Element) -> str:
        described = " ".join(
            f'{name}="{element.get(name)}"'
            for name in ("id", "frame", "label")
            if element.get(name) is not None
        )
        opening = f"{element.tag} {described}" if described else element.tag
        return f"line {self.lines.get(element, '?')}, <{opening}>"


def _parse_safely(data: bytes) -> _Located:
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    lines: dict[ET.Element, int] = {}

    def refuse(*_args: object) -> None:
        raise FormatError(
            f"line {parser.CurrentLineNumber}: the file declares a DOCTYPE or entities. "
            "CVAT never writes them, and they are refused because they can expand to "
            "gigabytes or read files on the server."
        )

    def start(tag: str, attributes: dict[str, str]) -> None:
        lines[builder.start(tag, attributes)] = parser.CurrentLineNumber

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise FormatError(
            f"line {exc.lineno}: not well-formed XML ({expat.ErrorString(exc.code)})."
        ) from None
    return _Located(builder.close(), lines)


def _int(tree: _Located, element: ET.Element, name: str, default: int | None = None) -> int:
    raw = element.get(name)
    if raw is None and default is not None:
        return default
    try:
        value = int(raw or "")
    except ValueError:
        raise FormatError(
            f"{tree.where(element)}: {name} must be a whole number, not {raw!r}."
        ) from None
    if value < 0:
        raise FormatError(f"{tree.where(element)}: {name} must not be negative.")
    return value


def _float(tree: _Located, element: ET.Element, name: str) -> float:
    raw = element.get(name)
    try:
        value = float(raw or "")
    except ValueError:
        raise FormatError(f"{tree.where(element)}: {name} must be a number, not {raw!r}.") from None
    if not math.isfinite(value):
        raise FormatError(f"{tree.where(element)}: {name} must be a finite number.")
    return value


def _frame_offset(tree: _Located) -> int:
    task = tree.root.find("meta/task")
    if task is None:
        task = tree.root.find("meta/job")
    if task is None:
        return 0
    frame_filter = (task.findtext("frame_filter") or "").strip()
    step = frame_filter.partition("step=")[2].split(",")[0].strip() if frame_filter else ""
    if step and step != "1":
        raise FormatError(
            f"The task kept every {step}th frame only (frame_filter {frame_filter!r}); its "
            "frame numbers are not the video's. Export a task made with every frame."
        )
    raw = (task.findtext("start_frame") or "0").strip()
    if not raw.isdigit():
        raise FormatError(f"<start_frame> must be a whole number, not {raw!r}.")
    return int(raw)


def _size(tree: _Located, video: VideoGeometry) -> tuple[int, int]:
    """The frame size the pixels refer to: the file's own, else the video's."""
    size = tree.root.find("meta/task/original_size")
    if size is None:
        size = tree.root.find("meta/job/original_size")
    if size is not None:
        width, height = (size.findtext(n, "").strip() for n in ("width", "height"))
        if width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0:
            return int(width), int(height)
    return video.width, video.height


def _read_track(
    tree: _Located,
    track: ET.Element,
    *,
    offset: int,
    size: tuple[int, int],
    last_frame: int,
    result: ReadResult,
) -> None:
    label = track.get("label")
    if not label:
        raise FormatError(f"{tree.where(track)}: the track has no label.")
    shapes = {child.tag for child in track} - {"box"}
    if shapes & NON_MARK_SHAPES or (shapes and not track.findall("box")):
        result.ignore(f"track of {', '.join(sorted(shapes))}")
        return
    boxes: dict[int, ET.Element] = {}
    for box in track.findall("box"):
        frame = _int(tree, box, "frame") + offset
        if frame in boxes:
            raise FormatError(f"{tree.where(box)}: the track has two boxes on frame {frame}.")
        boxes[frame] = box
    width, height = size
    # Spans: (first frame, last frame, boxes, first box element).
    spans: list[tuple[int, int, list[tuple[float, float, float, float]], ET.Element]] = []
    open_span: tuple[int, list[tuple[float, float, float, float]], ET.Element] | None = None
    for frame in sorted(boxes):
        box = boxes[frame]
        if _int(tree, box, "outside", default=0):
            if open_span is not None:
                start, span_boxes, first = open_span
                spans.append((start, frame - 1, span_boxes, first))
                open_span = None
            continue
        xtl, ytl, xbr, ybr = (_float(tree, box, n) for n in ("xtl", "ytl", "xbr", "ybr"))
        if open_span is None:
            open_span = (frame, [], box)
        open_span[1].append(fraction_box(xtl / width, ytl / height, xbr / width, ybr / height))
    if open_span is not None:  # no outside box after it: CVAT keeps the track to the end
        start, span_boxes, first = open_span
        spans.append((start, max(last_frame, start), span_boxes, first))
    for start, end, span_boxes, first in spans:
        result.marks.append(
            ExchangedMark(
                label=label,
                start_frame=start,
                end_frame=end,
                region=union_box(span_boxes),
                where=f"{tree.where(track)}, box at line {tree.lines.get(first, '?')}",
            )
        )


def _read_tags(tree: _Located, tags: list[ET.Element], *, offset: int, result: ReadResult) -> None:
    runs: dict[tuple[str, int], dict[int, ET.Element]] = {}
    for tag in tags:
        label = tag.get("label")
        if not label:
            raise FormatError(f"{tree.where(tag)}: the tag has no label.")
        group = _int(tree, tag, "group_id", default=0)
        runs.setdefault((label, group), {})[_int(tree, tag, "frame") + offset] = tag
    for (label, _group), frames in runs.items():
        ordered = sorted(frames)
        start = previous = ordered[0]
        for frame in [*ordered[1:], None]:
            if frame is not None and frame == previous + 1:
                previous = frame
                continue
            result.marks.append(
                ExchangedMark(
                    label=label,
                    start_frame=start,
                    end_frame=previous,
                    where=tree.where(frames[start]),
                )
            )
            if frame is not None:
                start = previous = frame


def read_cvat_video(data: bytes, *, video: VideoGeometry) -> ReadResult:
    tree = _parse_safely(data)
    root = tree.root
    if root.tag != "annotations":
        raise FormatError(
            f"line 1: the root element is <{root.tag}>, not <annotations>: not a CVAT XML file."
        )
    version = (root.findtext("version") or "").strip()
    if version and not version.startswith("1."):
        raise FormatError(f"CVAT XML version {version!r} is not 1.x; export as CVAT for video 1.1.")
    image = root.find("image")
    if image is not None:
        raise FormatError(
            f"{tree.where(image)}: this is CVAT for images; export the task as "
            "“CVAT for video 1.1”."
        )
    offset = _frame_offset(tree)
    size = _size(tree, video)
    result = ReadResult()
    tags: list[ET.Element] = []
    for element in root:
        if element.tag == "track":
            _read_track(
                tree,
                element,
                offset=offset,
                size=size,
                last_frame=video.frame_count - 1,
                result=result,
            )
        elif element.tag == "tag":
            tags.append(element)
        elif element.tag not in ("version", "meta"):
            result.ignore(element.tag)
    if tags:
        _read_tags(tree, tags, offset=offset, result=result)
    return result

"""Label Studio's JSON export of a video task (``<Video>`` with ``<VideoRectangle>`` and
``<TimelineLabels>`` in the labelling config).

Label Studio numbers frames from 1 and gives boxes in percent of the frame. A file is a
list of tasks (or one task); we write and read one task, the video's.

- A mark with a region is a ``videorectangle`` result whose ``sequence`` has a keyframe
  at the first frame and one at the last with ``enabled: false`` (the box is hidden
  after it). Reading, each run from a keyframe to the next disabled keyframe is one
  mark; a run whose last keyframe is enabled lasts to the end of the video. The region
  is the union of the run's keyframe boxes (Label Studio interpolates between them).
- A mark without a region is a ``timelinelabels`` result with one ``range``.
- A mark's note travels in the result's ``meta.text``.
- ``time`` and ``framesCount`` are written for Label Studio and ignored when reading:
  the frame numbers are what count. Other result types (choices, text...) are not
  marks: counted as ignored. Rotated boxes are refused (a mark's region is upright).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from deepreview.review.formats import (
    ExchangedLabel,
    ExchangedMark,
    FormatError,
    ReadResult,
    VideoGeometry,
    fraction_box,
    union_box,
)

BOX_TYPE = "videorectangle"
RANGE_TYPE = "timelinelabels"


# -- writing ----------------------------------------------------------------------------


def _percent(fraction: float) -> float:
    return round(fraction * 100, 3)  # 5-decimal fractions are exact with 3 decimals


def write_labelstudio_video(
    *,
    video: VideoGeometry,
    marks: Sequence[ExchangedMark],
    labels: Sequence[ExchangedLabel],
    task_id: int = 1,
) -> bytes:
    fps = video.fps or 0.0
    results: list[dict[str, Any]] = []
    for index, mark in enumerate(marks, start=1):
        result: dict[str, Any] = {
            "id": f"mark{index}",
            "from_name": "box" if mark.region else "videoLabels",
            "to_name": "video",
            "origin": "manual",
        }
        if mark.region is None:
            result["type"] = RANGE_TYPE
            result["value"] = {
                "ranges": [{"start": mark.start_frame + 1, "end": mark.end_frame + 1}],
                "timelinelabels": [mark.label],
            }
        else:
            x0, y0, x1, y1 = mark.region
            box = {
                "x": _percent(x0),
                "y": _percent(y0),
                "width": _percent(x1 - x0),
                "height": _percent(y1 - y0),
                "rotation": 0,
            }
            frames = [mark.start_frame] + (
                [mark.end_frame] if mark.end_frame > mark.start_frame else []
            )
            sequence = [
                {
                    "frame": frame + 1,
                    "enabled": frame != mark.end_frame,
                    "time": round(frame / fps, 6) if fps else 0.0,
                    **box,
                }
                for frame in frames
            ]
            result["type"] = BOX_TYPE
            result["value"] = {
                "framesCount": video.frame_count,
                "duration": round(video.frame_count / fps, 6) if fps else 0.0,
                "sequence": sequence,
                "labels": [mark.label],
            }
        if mark.note:
            result["meta"] = {"text": [mark.note]}
        results.append(result)
    task = {
        "id": task_id,
        "data": {"video": video.name},
        "annotations": [{"id": 1, "result": results, "was_cancelled": False}],
        "predictions": [],
    }
    return json.dumps([task], indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


# -- reading ----------------------------------------------------------------------------


def _object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(f"{path} must be an object.")
    return value


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise FormatError(f"{path} must be a list.")
    return value


def _frame(value: object, path: str) -> int:
    """A 1-based frame number in the file, as our 0-based frame index."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FormatError(f"{path} must be a frame number from 1, not {value!r}.")
    return value - 1


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FormatError(f"{path} must be a number, not {value!r}.")
    return float(value)


def _labels(value: dict[str, Any], key: str, path: str) -> list[str]:
    labels = _list(value.get(key), f"{path}.value.{key}")
    if not labels or not all(isinstance(label, str) and label for label in labels):
        raise FormatError(f"{path}.value.{key} must name at least one label.")
    return labels


def _note(result: dict[str, Any]) -> str:
    meta = result.get("meta")
    text = meta.get("text") if isinstance(meta, dict) else None
    if isinstance(text, list):
        return "\n".join(t for t in text if isinstance(t, str))
    return text if isinstance(text, str) else ""


def _read_box(result: dict[str, Any], path: str, *, last_frame: int, into: ReadResult) -> None:
    value = _object(result.get("value"), f"{path}.value")
    labels = _labels(value, "labels", path)
    keyframes = []
    for i, raw in enumerate(_list(value.get("sequence"), f"{path}.value.sequence")):
        where = f"{path}.value.sequence[{i}]"
        item = _object(raw, where)
        if _number(item.get("rotation", 0), f"{where}.rotation") != 0:
            raise FormatError(f"{where}: rotated boxes cannot be marks; make the box upright.")
        x, y, w, h = (_number(item.get(k), f"{where}.{k}") for k in ("x", "y", "width", "height"))
        box = fraction_box(x / 100, y / 100, (x + w) / 100, (y + h) / 100)
        keyframes.append(
            (_frame(item.get("frame"), f"{where}.frame"), item.get("enabled", True), box)
        )
    if not keyframes:
        raise FormatError(f"{path}.value.sequence is empty: the box is on no frame.")
    keyframes.sort(key=lambda k: k[0])
    spans: list[tuple[int, int, list[tuple[float, float, float, float]]]] = []
    start: int | None = None
    boxes: list[tuple[float, float, float, float]] = []
    for frame, enabled, box in keyframes:
        if start is None:
            start, boxes = frame, []
        boxes.append(box)
        if enabled is False:  # hidden after this keyframe
            spans.append((start, frame, boxes))
            start = None
    if start is not None:
        spans.append((start, max(last_frame, start), boxes))
    note = _note(result)
    for label in labels:
        for first, last, span_boxes in spans:
            into.marks.append(
                ExchangedMark(
                    label=label,
                    start_frame=first,
                    end_frame=last,
                    region=union_box(span_boxes),
                    note=note,
                    where=path,
                )
            )


def _read_ranges(result: dict[str, Any], path: str, *, into: ReadResult) -> None:
    value = _object(result.get("value"), f"{path}.value")
    labels = _labels(value, "timelinelabels", path)
    note = _note(result)
    for i, raw in enumerate(_list(value.get("ranges"), f"{path}.value.ranges")):
        where = f"{path}.value.ranges[{i}]"
        item = _object(raw, where)
        start = _frame(item.get("start"), f"{where}.start")
        end = _frame(item.get("end"), f"{where}.end")
        for label in labels:
            into.marks.append(
                ExchangedMark(label=label, start_frame=start, end_frame=end, note=note, where=where)
            )


def read_labelstudio_video(data: bytes, *, video: VideoGeometry) -> ReadResult:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"not JSON ({exc}).") from None
    tasks = document if isinstance(document, list) else [document]
    if len(tasks) != 1:
        raise FormatError(
            f"the file holds {len(tasks)} tasks; export (or keep) only this video's task."
        )
    task = _object(tasks[0], "task")
    annotations = task.get("annotations", task.get("completions"))
    if annotations is None:
        raise FormatError("task has no 'annotations': not a Label Studio export.")
    result = ReadResult()
    for a, raw_annotation in enumerate(_list(annotations, "task.annotations")):
        annotation = _object(raw_annotation, f"annotations[{a}]")
        if annotation.get("was_cancelled"):
            result.ignore("cancelled annotation")
            continue
        for r, raw in enumerate(_list(annotation.get("result", []), f"annotations[{a}].result")):
            path = f"annotations[{a}].result[{r}]"
            item = _object(raw, path)
            kind = item.get("type")
            if kind == BOX_TYPE:
                _read_box(item, path, last_frame=video.frame_count - 1, into=result)
            elif kind == RANGE_TYPE:
                _read_ranges(item, path, into=result)
            else:
                result.ignore(str(kind) if kind else "result without a type")
    return result

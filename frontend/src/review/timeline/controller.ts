// Timeline controller: mouse and wheel on the canvas. Wheel zooms around the pointer
// (Shift+wheel pans), dragging pans, the overview row moves the window, a click
// seeks to the frame under the pointer or selects the mark there.
import { flagWords } from "../../detection/detectionExplain";
import { formatTimecode } from "../../shared/format";
import type { Mark } from "../../api/review";
import type { TimelineModel } from "./model";
import { GUTTER, lastAtOrBefore, type TimelineView } from "./view";

export interface TimelineCallbacks {
  seek(frame: number): void;
  selectMark(mark: Mark): void;
}

const DRAG_THRESHOLD_PX = 4;

export function bindTimeline(model: TimelineModel, view: TimelineView, callbacks: TimelineCallbacks): void {
  const canvas = view.canvas;
  const local = (event: MouseEvent): { x: number; y: number } => {
    const rect = canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  };

  canvas.addEventListener(
    "wheel",
    (event) => {
      const { x } = local(event);
      if (x < GUTTER) return;
      event.preventDefault();
      const delta = Math.abs(event.deltaY) > Math.abs(event.deltaX) ? event.deltaY : event.deltaX;
      if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
        model.pan((delta / view.plotWidth) * model.visibleFrames);
      } else {
        model.zoom(Math.pow(1.0015, delta), model.xToFrame(x - GUTTER, view.plotWidth));
      }
    },
    { passive: false },
  );

  let drag: { x: number; start: number; end: number; moved: boolean; overview: boolean } | null = null;

  const moveWindowTo = (x: number): void => {
    const centre = ((x - GUTTER) / view.plotWidth) * model.frameCount;
    const span = model.visibleFrames;
    model.setWindow(centre - span / 2, centre + span / 2);
  };

  canvas.addEventListener("pointerdown", (event) => {
    const { x, y } = local(event);
    if (x < GUTTER) return;
    canvas.setPointerCapture(event.pointerId);
    const overview = view.rowAt(y)?.id === "overview";
    drag = { x, start: model.start, end: model.end, moved: false, overview };
    if (overview) moveWindowTo(x);
  });

  canvas.addEventListener("pointermove", (event) => {
    const { x, y } = local(event);
    if (drag) {
      if (Math.abs(x - drag.x) > DRAG_THRESHOLD_PX) drag.moved = true;
      if (drag.overview) moveWindowTo(x);
      else if (drag.moved) {
        const frames = ((drag.x - x) / view.plotWidth) * (drag.end - drag.start);
        model.setWindow(drag.start + frames, drag.end + frames);
      }
      return;
    }
    canvas.title = x < GUTTER ? "" : describe(model, view, x, y);
    canvas.style.cursor = x >= GUTTER && hitMark(view, x, y) ? "pointer" : "default";
  });

  canvas.addEventListener("pointerup", (event) => {
    const { x, y } = local(event);
    const wasClick = drag && !drag.moved && !drag.overview;
    drag = null;
    if (!wasClick || x < GUTTER) return;
    const hit = hitMark(view, x, y);
    if (hit) callbacks.selectMark(hit.mark);
    else callbacks.seek(model.xToFrame(x - GUTTER, view.plotWidth));
  });
  canvas.addEventListener("pointercancel", () => {
    drag = null;
  });
}

function hitMark(view: TimelineView, x: number, y: number): { mark: Mark } | undefined {
  return view.markHits.find((h) => x >= h.x0 && x <= h.x1 && y >= h.y0 && y <= h.y1);
}

/** Tooltip text for the point under the pointer. */
function describe(model: TimelineModel, view: TimelineView, x: number, y: number): string {
  const frame = model.xToFrame(x - GUTTER, view.plotWidth);
  const head = `frame ${frame} · ${formatTimecode(frame / model.fps)}`;
  const row = view.rowAt(y);
  if (!row) return head;
  if (row.id === "score") {
    const samples = model.scoredSamples();
    const sample = samples[lastAtOrBefore(samples.map((s) => s.frame), frame)];
    const name = model.detection?.calibrated ? "fake probability" : "score";
    return sample ? `${head}\n${name} ${sample.score.toFixed(2)} at frame ${sample.frame}` : head;
  }
  if (row.id === "flags") {
    const pxPerFrame = view.plotWidth / model.visibleFrames;
    const near = model.flagNear(frame, Math.max(1, Math.ceil(4 / pxPerFrame)));
    return near ? `${head}\n${flagWords(near.flag)} (frame ${near.frame})` : head;
  }
  if (row.id === "truth") return `${head}\n${model.isManipulated(frame) ? "manipulated (ground truth)" : "untouched"}`;
  const hit = hitMark(view, x, y);
  if (hit) {
    const m = hit.mark;
    const label = model.kind(m.kind)?.label ?? m.kind;
    return `${label}: frames ${m.start_frame}–${m.end_frame} by ${m.created_by ?? "?"}${m.note ? `\n${m.note}` : ""}`;
  }
  return head;
}

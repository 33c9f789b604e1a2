// Timeline view: draws the model on one canvas. Rows, top to bottom: an overview of
// the whole video with the visible window, a frame ruler, sprite thumbnails, the
// detector's score as a heat strip, the frames flagged by the detector or a signal,
// ground-truth manipulated frames (when shown),
// comment ticks and one row of mark ranges per artifact kind. A gutter on the left
// names the rows. Every draw walks pixels and visible items only.
import { formatTimecode } from "../../shared/format";
import type { Mark } from "../../api/review";
import type { TimelineModel } from "./model";

export const GUTTER = 156;
const ROW = { overview: 14, ruler: 20, thumbs: 42, score: 16, flags: 12, truth: 12, comments: 12, kind: 18 };
const COLORS = {
  bg: "#ffffff",
  gutter: "#f6f8fa",
  grid: "#e4e8ec",
  text: "#1f2328",
  muted: "#59636e",
  window: "rgba(79, 70, 229, 0.18)",
  windowEdge: "#4f46e5",
  playhead: "#cf222e",
  truth: "#8250df",
  comment: "#0969da",
  flagDetector: "#cf222e",
  flagSignal: "#bc4c00",
  pending: "rgba(207, 34, 46, 0.22)",
  selected: "#1f2328",
};

export type RowId = "overview" | "ruler" | "thumbs" | "score" | "flags" | "truth" | "comments" | `kind:${string}`;

export interface Row {
  id: RowId;
  label: string;
  top: number;
  height: number;
  color?: string;
}

export interface MarkHit {
  mark: Mark;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Score 0..1 to a colour from green (real-looking) through amber to red (fake-looking). */
export function scoreColor(score: number): string {
  const s = Math.min(1, Math.max(0, score));
  const hue = 130 - 130 * s; // 130 green .. 0 red
  return `hsl(${hue.toFixed(0)}, 75%, ${(52 - 8 * s).toFixed(0)}%)`;
}

/** Index of the last element <= value in a sorted array, or -1. */
export function lastAtOrBefore(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export class TimelineView {
  readonly canvas: HTMLCanvasElement;
  rows: Row[] = [];
  markHits: MarkHit[] = [];
  /** Kind whose row is shown even without marks (the kind picked for new marks). */
  activeKind: string | null = null;
  private sprite: HTMLImageElement | null = null;
  private width = 0;
  private frameRequested = false;

  constructor(
    private readonly model: TimelineModel,
    container: HTMLElement,
  ) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "timeline-canvas";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "Frame timeline");
    container.append(this.canvas);
    new ResizeObserver(() => this.requestDraw()).observe(container);
    if (model.sprite) {
      const image = new Image();
      image.onload = () => this.requestDraw();
      image.src = model.sprite.url;
      this.sprite = image;
    }
  }

  /** Drawing width of the frame area (CSS px, without the gutter). */
  get plotWidth(): number {
    return Math.max(1, this.width - GUTTER);
  }

  requestDraw(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.draw();
    });
  }

  layout(): Row[] {
    const m = this.model;
    const rows: Row[] = [];
    let top = 0;
    const add = (id: RowId, label: string, height: number, color?: string): void => {
      rows.push({ id, label, top, height, ...(color ? { color } : {}) });
      top += height;
    };
    add("overview", "Whole video", ROW.overview);
    add("ruler", "Frame", ROW.ruler);
    if (m.sprite) add("thumbs", "Thumbnails", ROW.thumbs);
    if (m.detection?.score?.some((s) => s !== null)) add("score", "Detector score", ROW.score);
    if (m.detection?.flags?.some((f) => f)) add("flags", "Flagged frames", ROW.flags);
    if (m.groundTruth && m.showGroundTruth) add("truth", "Ground truth", ROW.truth);
    if (m.comments.length) add("comments", "Comments", ROW.comments);
    for (const kind of m.rowKinds(this.activeKind)) add(`kind:${kind.slug}`, kind.label, ROW.kind, kind.color);
    return rows;
  }

  rowAt(y: number): Row | null {
    return this.rows.find((r) => y >= r.top && y < r.top + r.height) ?? null;
  }

  draw(): void {
    const rect = this.canvas.parentElement?.getBoundingClientRect();
    this.width = Math.max(GUTTER + 50, Math.floor(rect?.width ?? 800));
    this.rows = this.layout();
    const last = this.rows[this.rows.length - 1];
    const height = last ? last.top + last.height + 4 : 40;
    const ratio = window.devicePixelRatio || 1;
    if (this.canvas.width !== this.width * ratio || this.canvas.height !== height * ratio) {
      this.canvas.width = this.width * ratio;
      this.canvas.height = height * ratio;
      this.canvas.style.width = `${this.width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = COLORS.bg;
    ctx.fillRect(0, 0, this.width, height);
    this.markHits = [];
    for (const row of this.rows) this.drawRow(ctx, row);
    this.drawGutter(ctx, height);
    this.drawPlayhead(ctx, height);
    this.canvas.dataset.start = String(Math.round(this.model.start));
    this.canvas.dataset.end = String(Math.round(this.model.end));
  }

  private x(frame: number): number {
    return GUTTER + this.model.frameToX(frame, this.plotWidth);
  }

  private drawRow(ctx: CanvasRenderingContext2D, row: Row): void {
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, row.top, this.plotWidth, row.height);
    ctx.clip();
    if (row.id === "overview") this.drawOverview(ctx, row);
    else if (row.id === "ruler") this.drawRuler(ctx, row);
    else if (row.id === "thumbs") this.drawThumbs(ctx, row);
    else if (row.id === "score") this.drawScore(ctx, row);
    else if (row.id === "flags") this.drawFlags(ctx, row);
    else if (row.id === "truth") this.drawRanges(ctx, row, this.model.groundTruth?.manipulated_ranges ?? [], COLORS.truth);
    else if (row.id === "comments") this.drawComments(ctx, row);
    else this.drawMarks(ctx, row, row.id.slice("kind:".length));
    ctx.restore();
    ctx.strokeStyle = COLORS.grid;
    ctx.beginPath();
    ctx.moveTo(0, row.top + row.height - 0.5);
    ctx.lineTo(this.width, row.top + row.height - 0.5);
    ctx.stroke();
  }

  private drawOverview(ctx: CanvasRenderingContext2D, row: Row): void {
    const m = this.model;
    const w = this.plotWidth;
    ctx.fillStyle = "#eef0f3";
    ctx.fillRect(GUTTER, row.top + 3, w, row.height - 6);
    // Marks and ground truth in miniature, so the whole video's activity is visible.
    const scale = (f: number): number => GUTTER + (f / m.frameCount) * w;
    ctx.fillStyle = "rgba(130, 80, 223, 0.45)";
    for (const [a, b] of m.showGroundTruth ? (m.groundTruth?.manipulated_ranges ?? []) : []) {
      ctx.fillRect(scale(a), row.top + 3, Math.max(1, scale(b + 1) - scale(a)), row.height - 6);
    }
    for (const mark of m.marks) {
      ctx.fillStyle = m.kind(mark.kind)?.color ?? "#888";
      ctx.fillRect(scale(mark.start_frame), row.top + 5, Math.max(1, scale(mark.end_frame + 1) - scale(mark.start_frame)), row.height - 10);
    }
    const x0 = scale(m.start);
    const x1 = scale(m.end);
    ctx.fillStyle = COLORS.window;
    ctx.fillRect(x0, row.top + 1, Math.max(2, x1 - x0), row.height - 2);
    ctx.strokeStyle = COLORS.windowEdge;
    ctx.strokeRect(x0 + 0.5, row.top + 1.5, Math.max(2, x1 - x0) - 1, row.height - 3);
    ctx.fillStyle = COLORS.playhead;
    ctx.fillRect(scale(m.frame), row.top, 1, row.height);
  }

  private drawRuler(ctx: CanvasRenderingContext2D, row: Row): void {
    const m = this.model;
    const pxPerFrame = this.plotWidth / m.visibleFrames;
    // A tick every 1, 2, 5, 10, ... frames, at least 70 px apart.
    const steps = [1, 2, 5, 10, 15, 30, 60, 150, 300, 600, 1500, 3000, 6000, 15000, 30000, 60000];
    const step = steps.find((s) => s * pxPerFrame >= 70) ?? steps[steps.length - 1]!;
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = COLORS.muted;
    ctx.strokeStyle = COLORS.grid;
    const first = Math.ceil(m.start / step) * step;
    for (let f = first; f < m.end; f += step) {
      const x = Math.round(this.x(f)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, row.top + row.height - 6);
      ctx.lineTo(x, row.top + row.height);
      ctx.stroke();
      const label = step >= m.fps ? `${f} · ${formatTimecode(f / m.fps).replace(/\.\d+$/, "")}` : String(f);
      ctx.fillText(label, x + 3, row.top + 12);
    }
    if (pxPerFrame >= 6) {
      // Zoomed in far enough to see single frames: one small tick each.
      ctx.strokeStyle = "#d0d7de";
      for (let f = Math.ceil(m.start); f < m.end; f += 1) {
        const x = Math.round(this.x(f)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(x, row.top + row.height - 3);
        ctx.lineTo(x, row.top + row.height);
        ctx.stroke();
      }
    }
  }

  private drawThumbs(ctx: CanvasRenderingContext2D, row: Row): void {
    const sprite = this.model.sprite;
    const image = this.sprite;
    if (!sprite || !image?.complete || !image.naturalWidth || !sprite.frame_indices.length) return;
    const tileH = row.height - 2;
    const tileW = Math.max(8, Math.round((tileH * sprite.tile_width) / sprite.tile_height));
    const scaleX = image.naturalWidth / (sprite.columns * sprite.tile_width);
    const scaleY = image.naturalHeight / (sprite.rows * sprite.tile_height);
    // One slot per tile width across the row, each showing the sheet's tile nearest
    // before the slot's middle frame: the row is always full, whatever the zoom.
    for (let x = GUTTER; x < this.width; x += tileW) {
      const frame = this.model.xToFrame(x - GUTTER + tileW / 2, this.plotWidth);
      const k = Math.max(0, lastAtOrBefore(sprite.frame_indices, frame));
      const col = k % sprite.columns;
      const rowIndex = Math.floor(k / sprite.columns);
      ctx.drawImage(
        image,
        col * sprite.tile_width * scaleX,
        rowIndex * sprite.tile_height * scaleY,
        sprite.tile_width * scaleX,
        sprite.tile_height * scaleY,
        x,
        row.top + 1,
        tileW - 1,
        tileH,
      );
    }
  }

  private drawScore(ctx: CanvasRenderingContext2D, row: Row): void {
    // Only analysed frames are scored (landmark-only samples between them are not):
    // each scored sample colours the frames up to the next one (at most half a
    // second), so sparse sampling still reads as a strip.
    const samples = this.model.scoredSamples();
    if (!samples.length) return;
    const maxGap = this.model.fps / 2;
    const first = Math.max(0, lastAtOrBefore(samples.map((s) => s.frame), this.model.start));
    for (let i = first; i < samples.length; i += 1) {
      const { frame: f, score } = samples[i] as { frame: number; score: number };
      if (f > this.model.end) break;
      const next = Math.min(samples[i + 1]?.frame ?? f + 1, f + maxGap);
      const x0 = this.x(f);
      ctx.fillStyle = scoreColor(score);
      ctx.fillRect(x0, row.top + 2, Math.max(2, this.x(next) - x0), row.height - 4);
    }
  }

  private drawFlags(ctx: CanvasRenderingContext2D, row: Row): void {
    // A tick per flagged sample: red when the detector flags it, orange for a signal.
    const pxPerFrame = this.plotWidth / this.model.visibleFrames;
    const width = Math.max(2, Math.min(6, pxPerFrame));
    for (const { frame, flag } of this.model.flaggedSamples()) {
      if (frame < this.model.start - 1 || frame > this.model.end) continue;
      ctx.fillStyle = flag.by === "detector" ? COLORS.flagDetector : COLORS.flagSignal;
      ctx.fillRect(this.x(frame) + (pxPerFrame - width) / 2, row.top + 2, width, row.height - 4);
    }
  }

  private drawRanges(ctx: CanvasRenderingContext2D, row: Row, ranges: readonly (readonly [number, number])[], color: string): void {
    ctx.fillStyle = color;
    for (const [a, b] of ranges) {
      if (b < this.model.start || a > this.model.end) continue;
      const x0 = this.x(a);
      ctx.fillRect(x0, row.top + 2, Math.max(2, this.x(b + 1) - x0), row.height - 4);
    }
  }

  private drawComments(ctx: CanvasRenderingContext2D, row: Row): void {
    ctx.fillStyle = COLORS.comment;
    for (const comment of this.model.comments) {
      if (comment.parent !== null || comment.frame < this.model.start || comment.frame > this.model.end) continue;
      const x = this.x(comment.frame);
      ctx.beginPath();
      ctx.moveTo(x - 4, row.top + 2);
      ctx.lineTo(x + 4, row.top + 2);
      ctx.lineTo(x, row.top + row.height - 2);
      ctx.fill();
    }
  }

  private drawMarks(ctx: CanvasRenderingContext2D, row: Row, slug: string): void {
    const m = this.model;
    const color = m.kind(slug)?.color ?? "#888";
    for (const mark of m.marks) {
      if (mark.kind !== slug || mark.end_frame < m.start || mark.start_frame > m.end) continue;
      const x0 = this.x(mark.start_frame);
      const x1 = Math.max(x0 + 3, this.x(mark.end_frame + 1));
      const y0 = row.top + 3;
      const y1 = row.top + row.height - 3;
      ctx.fillStyle = color;
      ctx.globalAlpha = 0.85;
      ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
      ctx.globalAlpha = 1;
      if (mark.id === m.selectedMarkId) {
        ctx.strokeStyle = COLORS.selected;
        ctx.lineWidth = 2;
        ctx.strokeRect(x0 + 1, y0 - 1, x1 - x0 - 2, y1 - y0 + 2);
        ctx.lineWidth = 1;
      }
      if (mark.region) {
        // A small square says "this mark has a region box".
        ctx.fillStyle = "#ffffff";
        ctx.fillRect(x0 + 2, y0 + 2, 5, 5);
      }
      this.markHits.push({ mark, x0, x1, y0, y1 });
    }
    if (m.pendingStart !== null && slug === this.activeKind) {
      const a = Math.min(m.pendingStart, m.frame);
      const b = Math.max(m.pendingStart, m.frame);
      ctx.fillStyle = COLORS.pending;
      ctx.fillRect(this.x(a), row.top + 1, Math.max(2, this.x(b + 1) - this.x(a)), row.height - 2);
    }
  }

  private drawGutter(ctx: CanvasRenderingContext2D, height: number): void {
    ctx.fillStyle = COLORS.gutter;
    ctx.fillRect(0, 0, GUTTER, height);
    ctx.strokeStyle = COLORS.grid;
    ctx.beginPath();
    ctx.moveTo(GUTTER - 0.5, 0);
    ctx.lineTo(GUTTER - 0.5, height);
    ctx.stroke();
    ctx.font = "11px system-ui, sans-serif";
    for (const row of this.rows) {
      const y = row.top + row.height / 2 + 4;
      let x = 8;
      if (row.color) {
        ctx.fillStyle = row.color;
        ctx.fillRect(x, row.top + row.height / 2 - 4, 8, 8);
        x += 13;
      }
      ctx.fillStyle = row.id === `kind:${this.activeKind}` ? COLORS.text : COLORS.muted;
      ctx.font = row.id === `kind:${this.activeKind}` ? "600 11px system-ui, sans-serif" : "11px system-ui, sans-serif";
      let label = row.label;
      while (label.length > 3 && ctx.measureText(label).width > GUTTER - x - 6) label = `${label.slice(0, -2)}…`;
      ctx.fillText(label, x, y);
    }
  }

  private drawPlayhead(ctx: CanvasRenderingContext2D, height: number): void {
    const m = this.model;
    if (m.frame < m.start || m.frame > m.end) return;
    const x0 = this.x(m.frame);
    const w = Math.max(1, this.x(m.frame + 1) - x0);
    const top = (this.rows[0]?.height ?? 0) + 0;
    ctx.fillStyle = "rgba(207, 34, 46, 0.15)";
    if (w > 3) ctx.fillRect(x0, top, w, height - top);
    ctx.fillStyle = COLORS.playhead;
    ctx.fillRect(Math.round(x0), top, 1.5, height - top);
  }
}

// Timeline model: the visible window over the video's frames (zoom and pan), the
// current frame, and the data drawn on the tracks. No DOM here.
//
// The window is [start, end) in fractional frames; everything drawn maps frames to
// pixels through it, so drawing costs follow the pixels and the items in view, never
// the frame count (an 18,000-frame video draws as fast as a 300-frame one).
import type { FrameFlag } from "../../api/detection";
import type { ArtifactKind, Comment, DetectionSeries, GroundTruth, Mark, SpriteInfo } from "../../api/review";

export const MIN_VISIBLE_FRAMES = 20;

export type ChangeReason = "window" | "frame" | "marks" | "data" | "selection";
type Listener = (reason: ChangeReason) => void;

export class TimelineModel {
  readonly frameCount: number;
  readonly fps: number;
  start = 0;
  end: number;
  frame = 0;
  marks: Mark[] = [];
  comments: Comment[] = [];
  kinds: ArtifactKind[] = [];
  detection: DetectionSeries | null = null;
  groundTruth: GroundTruth | null = null;
  showGroundTruth = true;
  sprite: SpriteInfo | null = null;
  selectedMarkId: number | null = null;
  /** Start frame of a range being marked with the keyboard (`[`), if any. */
  pendingStart: number | null = null;
  private listeners: Listener[] = [];

  constructor(frameCount: number, fps: number | null) {
    this.frameCount = Math.max(1, frameCount);
    this.fps = fps && fps > 0 ? fps : 25;
    this.end = this.frameCount;
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  emit(reason: ChangeReason): void {
    for (const listener of this.listeners) listener(reason);
  }

  get visibleFrames(): number {
    return this.end - this.start;
  }

  frameToX(frame: number, width: number): number {
    return ((frame - this.start) / this.visibleFrames) * width;
  }

  xToFrame(x: number, width: number): number {
    const frame = Math.floor(this.start + (x / width) * this.visibleFrames);
    return Math.min(this.frameCount - 1, Math.max(0, frame));
  }

  /** Sets the window, clamped to the video and to at least MIN_VISIBLE_FRAMES. */
  setWindow(start: number, end: number): void {
    const span = Math.min(this.frameCount, Math.max(MIN_VISIBLE_FRAMES, end - start));
    let s = Math.max(0, Math.min(start, this.frameCount - span));
    if (!Number.isFinite(s)) s = 0;
    if (s === this.start && s + span === this.end) return;
    this.start = s;
    this.end = s + span;
    this.emit("window");
  }

  /** Zooms by `factor` (< 1 zooms in) keeping `anchor` (a frame) where it is on screen. */
  zoom(factor: number, anchor: number = this.frame): void {
    const span = this.visibleFrames * factor;
    const ratio = (anchor - this.start) / this.visibleFrames;
    const start = anchor - ratio * span;
    this.setWindow(start, start + span);
  }

  pan(frames: number): void {
    this.setWindow(this.start + frames, this.end + frames);
  }

  fit(): void {
    this.setWindow(0, this.frameCount);
  }

  setFrame(frame: number): void {
    const clamped = Math.min(this.frameCount - 1, Math.max(0, frame));
    if (clamped === this.frame) return;
    this.frame = clamped;
    // Follow the playhead: when it leaves the window, page the window along.
    if (clamped < this.start || clamped >= this.end) {
      const span = this.visibleFrames;
      this.setWindow(clamped - span * 0.1, clamped + span * 0.9);
    }
    this.emit("frame");
  }

  setMarks(marks: Mark[]): void {
    this.marks = [...marks].sort((a, b) => a.start_frame - b.start_frame || a.end_frame - b.end_frame || a.id - b.id);
    if (this.selectedMarkId !== null && !this.marks.some((m) => m.id === this.selectedMarkId)) {
      this.selectedMarkId = null;
    }
    this.emit("marks");
  }

  upsertMark(mark: Mark): void {
    this.setMarks([...this.marks.filter((m) => m.id !== mark.id), mark]);
  }

  /** Others' work arriving: marks replaced by id, deleted ones dropped, one redraw. A
   * copy older than the one held (an answer that crossed this page's own save) is ignored. */
  applyMarkChanges(changed: Mark[], deleted: number[]): void {
    const held = new Map(this.marks.map((m) => [m.id, m]));
    const newer = changed.filter((m) => (held.get(m.id)?.version ?? 0) <= m.version);
    if (!newer.length && !deleted.some((id) => held.has(id))) return;
    const replaced = new Set([...newer.map((m) => m.id), ...deleted]);
    this.setMarks([...this.marks.filter((m) => !replaced.has(m.id)), ...newer]);
  }

  removeMark(id: number): void {
    this.setMarks(this.marks.filter((m) => m.id !== id));
  }

  select(id: number | null): void {
    this.selectedMarkId = id;
    this.emit("selection");
  }

  get selectedMark(): Mark | null {
    return this.marks.find((m) => m.id === this.selectedMarkId) ?? null;
  }

  kind(slug: string): ArtifactKind | undefined {
    return this.kinds.find((k) => k.slug === slug);
  }

  /** Kinds with a row on the timeline: those marked, in taxonomy order, plus `extra`. */
  rowKinds(extra: string | null): ArtifactKind[] {
    const used = new Set(this.marks.map((m) => m.kind));
    if (extra) used.add(extra);
    return this.kinds.filter((k) => used.has(k.slug));
  }

  marksAt(frame: number): Mark[] {
    return this.marks.filter((m) => m.start_frame <= frame && frame <= m.end_frame);
  }

  /** The first mark starting after (direction 1) or before (-1) the current frame. */
  adjacentMark(direction: 1 | -1): Mark | null {
    if (direction === 1) return this.marks.find((m) => m.start_frame > this.frame) ?? null;
    const before = this.marks.filter((m) => m.start_frame < this.frame);
    return before[before.length - 1] ?? null;
  }

  /** Sampled frames whose detector score (or, without a detector, strongest signal)
   * is high: at or above the threshold (0.5 without one). */
  highFrames(): number[] {
    const d = this.detection;
    if (!d?.frames?.length) return [];
    const threshold = d.threshold ?? 0.5;
    const scores = d.score ?? [];
    if (scores.some((s) => s !== null)) {
      return d.frames.filter((_f, i) => (scores[i] ?? -1) >= threshold);
    }
    const signals = Object.values(d.signals ?? {});
    return d.frames.filter((_f, i) => signals.some((s) => (s.norm[i] ?? 0) >= 0.9));
  }

  /** The scored samples (analysed frames), in frame order: landmark-only samples
   * between them carry signals but no score. */
  scoredSamples(): { frame: number; score: number }[] {
    const d = this.detection;
    const frames = d?.frames ?? [];
    const scores = d?.score ?? [];
    const out: { frame: number; score: number }[] = [];
    frames.forEach((frame, i) => {
      const score = scores[i];
      if (score !== null && score !== undefined) out.push({ frame, score });
    });
    return out;
  }

  /** Sampled frames flagged by the detector or a signal, with why. */
  flaggedSamples(): { frame: number; flag: FrameFlag }[] {
    const d = this.detection;
    const frames = d?.frames ?? [];
    const flags = d?.flags ?? [];
    const out: { frame: number; flag: FrameFlag }[] = [];
    frames.forEach((frame, i) => {
      const flag = flags[i];
      if (flag) out.push({ frame, flag });
    });
    return out;
  }

  /** The flagged sample nearest `frame`, within `within` frames (the earlier on a tie). */
  flagNear(frame: number, within: number): { frame: number; flag: FrameFlag } | null {
    let best: { frame: number; flag: FrameFlag } | null = null;
    for (const sample of this.flaggedSamples()) {
      const distance = Math.abs(sample.frame - frame);
      if (distance > within) continue;
      if (!best || distance < Math.abs(best.frame - frame)) best = sample;
    }
    return best;
  }

  adjacentHighFrame(direction: 1 | -1): number | null {
    const frames = this.highFrames();
    if (direction === 1) return frames.find((f) => f > this.frame) ?? null;
    const before = frames.filter((f) => f < this.frame);
    return before[before.length - 1] ?? null;
  }

  isManipulated(frame: number): boolean {
    return (this.groundTruth?.manipulated_ranges ?? []).some(([a, b]) => a <= frame && frame <= b);
  }
}

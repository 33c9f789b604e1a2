// Frame-accurate position for a <video>: which frame is on screen, and
// stepping one frame at a time.
//
// The frame pts list (seconds, index = frame index, in the element's
// currentTime timeline) is the truth; without it we fall back to fps.
import { formatTimecode } from "../shared/format";

export const FRAME_EVENT = "deepreview:frame";

export interface FrameDetail {
  frame: number;
  time: number;
}

/** Index of the last pts <= t (0 when t is before the first frame). */
export function frameAtTime(pts: readonly number[], t: number): number {
  let lo = 0;
  let hi = pts.length - 1;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((pts[mid] as number) <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: (now: number, meta: { mediaTime: number }) => void) => number;
};

export class FrameClock {
  private pts: number[] = [];
  private frame = 0;
  /** Where a frame step is heading; frame updates wait until the seek lands. */
  private pending: number | null = null;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly fps: number | null,
    private frameCount: number | null,
    private readonly counter: HTMLElement | null,
  ) {}

  get current(): number {
    return this.pending ?? this.frame;
  }

  get total(): number | null {
    return this.pts.length || this.frameCount;
  }

  async loadPts(url: string | undefined): Promise<void> {
    if (!url) return;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data: unknown = await response.json();
      if (Array.isArray(data) && data.every((v) => typeof v === "number")) {
        this.pts = data as number[];
        this.frameCount = this.pts.length;
        this.show(this.frameAt(this.video.currentTime));
      }
    } catch {
      // Keep the fps fallback; the counter is still right for constant frame rates.
    }
  }

  start(): void {
    const video = this.video as FrameCallbackVideo;
    if (typeof video.requestVideoFrameCallback === "function") {
      const request = video.requestVideoFrameCallback.bind(video);
      // mediaTime is the presentation time of the frame actually painted.
      const onFrame = (_now: number, meta: { mediaTime: number }): void => {
        this.landed(this.frameAt(meta.mediaTime));
        request(onFrame);
      };
      request(onFrame);
    } else {
      video.addEventListener("timeupdate", () => this.show(this.frameAt(video.currentTime)));
    }
    video.addEventListener("seeked", () => this.landed(this.frameAt(video.currentTime)));
    video.addEventListener("loadedmetadata", () => this.show(this.frameAt(video.currentTime)));
    this.show(0);
  }

  /** A frame reached the screen. While paused with steps still in flight (keys pressed
   * faster than seeks land), an earlier step's frame must not replace the target, or
   * the next step would start from it and steps would be lost. */
  private landed(frame: number): void {
    if (this.pending !== null && this.video.paused && frame !== this.pending) return;
    this.pending = null;
    this.show(frame);
  }

  frameAt(time: number): number {
    // 1 ms tolerance: pts written by the server and the browser's media time
    // can differ by rounding, and no frame interval is that short.
    const t = time + 0.001;
    if (this.pts.length) return frameAtTime(this.pts, t);
    if (this.fps) return this.clampFrame(Math.floor(t * this.fps));
    return 0;
  }

  /** Start time of frame `index`. */
  timeOf(index: number): number {
    if (this.pts.length) return this.pts[this.clampFrame(index)] ?? 0;
    return this.fps ? index / this.fps : 0;
  }

  /** Pauses and seeks to the middle of the frame's interval so the browser shows exactly it. */
  seekToFrame(index: number): void {
    const target = this.clampFrame(index);
    const video = this.video;
    video.pause();
    let start: number;
    let end: number;
    if (this.pts.length) {
      start = this.pts[target] ?? 0;
      const next = this.pts[target + 1];
      const prev = this.pts[target - 1];
      const step = next !== undefined ? next - start : prev !== undefined ? start - prev : this.fps ? 1 / this.fps : 0.04;
      end = next ?? start + step;
    } else {
      const fps = this.fps ?? 25;
      start = target / fps;
      end = (target + 1) / fps;
    }
    let time = (start + end) / 2;
    if (Number.isFinite(video.duration)) time = Math.min(time, video.duration);
    this.pending = target;
    this.show(target);
    video.currentTime = time;
  }

  step(delta: number): void {
    this.seekToFrame(this.current + delta);
  }

  private clampFrame(index: number): number {
    const total = this.total;
    const max = total ? total - 1 : Number.MAX_SAFE_INTEGER;
    return Math.min(max, Math.max(0, Math.round(index)));
  }

  private show(frame: number): void {
    const changed = frame !== this.frame;
    this.frame = frame;
    if (this.counter) {
      const total = this.total;
      const text = `frame ${frame}${total ? ` / ${total}` : ""} · ${formatTimecode(this.timeOf(frame))}`;
      if (this.counter.textContent !== text) this.counter.textContent = text;
      this.counter.dataset.frame = String(frame);
    }
    if (changed) {
      this.video.dispatchEvent(
        new CustomEvent<FrameDetail>(FRAME_EVENT, { detail: { frame, time: this.timeOf(frame) } }),
      );
    }
  }
}

/** `,` and `.` step one frame back/forward, unless the user is typing somewhere. */
export function bindFrameKeys(clock: FrameClock): void {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key !== "," && event.key !== ".") return;
    const target = event.target;
    if (
      target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
    ) {
      return;
    }
    event.preventDefault();
    clock.step(event.key === "," ? -1 : 1);
  });
}

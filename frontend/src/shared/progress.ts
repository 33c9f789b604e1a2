// A progress bar: fraction 0..1 (or indeterminate), a label, and a state class.
import type { JobStatus } from "../api/types";
import { h, setAttr, setText } from "./dom";

export type ProgressState = JobStatus;

export interface ProgressUpdate {
  /** 0..1, or null for "working, amount unknown" (striped, full width). */
  fraction: number | null;
  label?: string;
  state?: ProgressState;
}

const STATES: readonly ProgressState[] = ["queued", "running", "succeeded", "failed", "cancelled"];

/**
 * `<div class="progress-wrap"><div class="progress" role="progressbar" aria-valuenow>
 * <div class="progress-bar"></div></div><span class="progress-label"></span></div>`:
 * the percent sits beside the bar so it stays readable at any fill.
 */
export class ProgressBar {
  readonly el: HTMLDivElement;
  /** The track, carrying role="progressbar" and aria-valuenow (0..100). */
  readonly track: HTMLDivElement;
  private readonly bar: HTMLDivElement;
  private readonly labelEl: HTMLSpanElement;

  constructor(update: ProgressUpdate = { fraction: 0 }, ariaLabel = "Progress") {
    this.bar = h("div", { class: "progress-bar" });
    this.labelEl = h("span", { class: "progress-label" });
    this.track = h(
      "div",
      { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-label": ariaLabel },
      this.bar,
    );
    this.el = h("div", { class: "progress-wrap" }, this.track, this.labelEl);
    this.update(update);
  }

  update({ fraction, label, state }: ProgressUpdate): void {
    if (state) {
      for (const s of STATES) this.track.classList.toggle(`status-${s}`, s === state);
    }
    const indeterminate = fraction === null;
    this.track.classList.toggle("indeterminate", indeterminate);
    if (indeterminate) {
      this.bar.style.width = "100%";
      setAttr(this.track, "aria-valuenow", null);
    } else {
      const percent = Math.round(Math.min(1, Math.max(0, fraction)) * 1000) / 10;
      this.bar.style.width = `${percent}%`;
      setAttr(this.track, "aria-valuenow", String(Math.round(percent)));
    }
    const text = label ?? (indeterminate ? "" : `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`);
    setText(this.labelEl, text);
    setAttr(this.track, "aria-valuetext", text || null);
  }
}

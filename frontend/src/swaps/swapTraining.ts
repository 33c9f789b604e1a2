// Training card of a swap model: the live figures (iteration of target, speed,
// losses, training time), a progress bar, and for curators "Train to N
// iterations" with Start/Resume and Stop.
import { ApiError } from "../api/client";
import { formatLoss, type SwapModelApi, type SwapModelDetail } from "../api/swaps";
import type { Job } from "../api/types";
import { h, setAttr, setText } from "../shared/dom";
import { formatDuration, formatEta } from "../shared/format";
import { ProgressBar } from "../shared/progress";

export const TRAIN_STEP = 1000;

function stat(label: string, id: string): { el: HTMLDivElement; value: HTMLElement; sub: HTMLElement } {
  const value = h("dd", { class: "stat-value", id });
  const sub = h("dd", { class: "stat-sub muted" });
  return { el: h("div", { class: "stat" }, h("dt", { class: "stat-label" }, label), value, sub), value, sub };
}

export class TrainingPanel {
  private readonly iteration = stat("Iteration", "stat-iteration");
  private readonly speed = stat("Speed", "stat-speed");
  private readonly lossA = stat("Loss A", "stat-loss-a");
  private readonly lossB = stat("Loss B", "stat-loss-b");
  private readonly time = stat("Training time", "stat-time");
  private readonly progress = new ProgressBar({ fraction: 0 }, "Training progress");
  private readonly progressNote: HTMLSpanElement;
  private readonly iterations: HTMLInputElement | null = null;
  private readonly startButton: HTMLButtonElement | null = null;
  private readonly stopButton: HTMLButtonElement | null = null;
  private readonly status: HTMLDivElement;
  /** The user typed a target: stop proposing current + 1000. */
  private edited = false;
  private model: SwapModelDetail | null = null;
  private activeJob: Job | null = null;
  private busy = false;

  constructor(
    root: HTMLElement,
    private readonly api: SwapModelApi,
    canCurate: boolean,
    private readonly changed: () => void,
    /** Faceset pages, for a link to fix what a refusal names. */
    private readonly facesetPages: { A: string | null; B: string | null } = { A: null, B: null },
  ) {
    this.progressNote = h("span", { class: "muted training-note", id: "training-note" });
    this.status = h("div", { class: "train-status", id: "train-status", role: "status", "aria-live": "polite" });
    const parts: Node[] = [
      h("dl", { class: "stat-row", id: "training-stats" }, this.iteration.el, this.speed.el, this.lossA.el, this.lossB.el, this.time.el),
      h("div", { class: "training-progress" }, this.progress.el, this.progressNote),
    ];
    if (canCurate) {
      this.iterations = h("input", { type: "number", id: "train-iterations", name: "iterations", min: 1, step: 1, required: true, value: TRAIN_STEP });
      this.iterations.addEventListener("input", () => {
        this.edited = true;
      });
      this.startButton = h("button", { type: "submit", class: "btn btn-primary", id: "train-start" }, "Start training");
      this.stopButton = h("button", { type: "button", class: "btn btn-danger", id: "train-stop", disabled: true }, "Stop");
      this.stopButton.addEventListener("click", () => void this.stop());
      const form = h(
        "form",
        { class: "train-form", id: "train-form" },
        h("label", { for: "train-iterations" }, "Train to"),
        this.iterations,
        h("span", {}, "iterations"),
        this.startButton,
        this.stopButton,
        h("span", { class: "muted train-hint" }, "Stopping saves a checkpoint; Resume continues from it."),
      );
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        void this.start();
      });
      parts.push(form);
    }
    parts.push(this.status);
    root.replaceChildren(...parts);
  }

  get isActive(): boolean {
    return this.activeJob !== null;
  }

  update(model: SwapModelDetail, activeJob: Job | null): void {
    this.model = model;
    this.activeJob = activeJob;
    const target = model.target_iterations;
    setText(this.iteration.value, model.iteration.toLocaleString());
    setText(this.iteration.sub, target ? `of ${target.toLocaleString()} target` : "no target yet");
    setText(this.speed.value, model.iterations_per_second ? `${model.iterations_per_second.toFixed(1)} it/s` : "—");
    const remaining = target - model.iteration;
    setText(
      this.speed.sub,
      activeJob && model.iterations_per_second && remaining > 0 ? formatEta(remaining / model.iterations_per_second) : activeJob ? "" : "idle",
    );
    setText(this.lossA.value, formatLoss(model.loss_a));
    setText(this.lossA.sub, model.faceset_a_name ?? "");
    setText(this.lossB.value, formatLoss(model.loss_b));
    setText(this.lossB.sub, model.faceset_b_name ?? "");
    setText(this.time.value, model.train_seconds > 0 ? formatDuration(model.train_seconds) : "—");
    setText(this.time.sub, model.has_checkpoint ? "checkpoint saved" : "no checkpoint yet");

    const fraction = target > 0 ? Math.min(1, model.iteration / target) : 0;
    const state = activeJob ? (activeJob.status === "queued" ? "queued" : "running") : model.status === "failed" ? "failed" : model.status === "completed" ? "succeeded" : "cancelled";
    this.progress.update({ fraction, state, label: target ? `${Math.round(fraction * 100)}%` : "" });
    let note = "";
    if (activeJob?.status === "queued") note = "Queued: waiting for a GPU worker.";
    else if (activeJob?.cancel_requested) note = "Stopping after the next checkpoint…";
    else if (activeJob) note = activeJob.message || "Training…";
    else if (model.status === "failed") note = "The last run failed; see the job below.";
    else if (model.iteration === 0) note = "Not trained yet.";
    setText(this.progressNote, note);

    if (this.iterations && !this.edited) {
      const proposal = activeJob && target > model.iteration ? target : model.iteration + TRAIN_STEP;
      if (document.activeElement !== this.iterations) this.iterations.value = String(proposal);
    }
    if (this.iterations) this.iterations.min = String(model.iteration + 1);
    if (this.startButton) {
      setText(this.startButton, model.iteration > 0 || model.has_checkpoint ? "Resume" : "Start training");
      this.startButton.disabled = this.busy || activeJob !== null;
      setAttr(this.startButton, "title", activeJob ? "Already training: stop it first" : null);
    }
    if (this.stopButton) {
      this.stopButton.disabled = this.busy || activeJob === null || activeJob.cancel_requested;
      setText(this.stopButton, activeJob?.cancel_requested ? "Stopping…" : "Stop");
    }
  }

  private async start(): Promise<void> {
    if (!this.iterations) return;
    const iterations = Number(this.iterations.value);
    if (!Number.isInteger(iterations) || iterations < 1) {
      this.showStatus("Give a whole number of iterations to train to.", true);
      return;
    }
    this.setBusy(true);
    try {
      const job = await this.api.train(iterations);
      this.edited = false;
      this.showStatus(`Training to ${iterations.toLocaleString()} iterations is queued (job #${job.id}).`, false);
      this.changed();
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : "Could not start training.", true, err instanceof ApiError ? this.fixLink(err) : null);
    } finally {
      this.setBusy(false);
    }
  }

  /** A refusal about a faceset (no consent record, too few faces) links to that faceset. */
  private fixLink(err: ApiError): HTMLAnchorElement | null {
    if (err.code !== "no_consent" && err.code !== "too_few_faces") return null;
    const side = /\bFaceset ([AB])\b/.exec(err.message)?.[1] as "A" | "B" | undefined;
    const page = side ? this.facesetPages[side] : null;
    if (!side || !page) return null;
    return err.code === "no_consent"
      ? h("a", { href: `${page}#consents`, class: "train-fix" }, `Add a record on faceset ${side}'s page →`)
      : h("a", { href: page, class: "train-fix" }, `Open faceset ${side} →`);
  }

  private async stop(): Promise<void> {
    this.setBusy(true);
    try {
      await this.api.stop();
      this.showStatus("Stop requested: the model saves a checkpoint, then stops. Resume continues from there.", false);
      this.changed();
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : "Could not stop training.", true);
    } finally {
      this.setBusy(false);
    }
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    if (this.model) this.update(this.model, this.activeJob);
  }

  private showStatus(message: string, error: boolean, link: HTMLAnchorElement | null = null): void {
    if (link) this.status.replaceChildren(h("span", {}, message), " ", link);
    else setText(this.status, message);
    this.status.classList.toggle("error-text", error);
    this.status.classList.toggle("train-error", error);
  }
}

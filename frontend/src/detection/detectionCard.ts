// Detection card of the video page: the latest run on this video, its video
// score (a fake probability when the detector is calibrated) against the detector's
// threshold and what that threshold flags among real videos, where the detector's
// maps point, the forensic signals' second opinion and percentiles among real videos,
// how many frames were analysed, each signal's summary with what it measures, or
// the plain "no faces" message; curators run detection on the video from here.
import { ApiError, apiGet, apiList, apiPost, withParams } from "../api/client";
import { type DetectionRun, type Detector, fetchExplanations, type RunExplanation, type SignalSummary, signalP90z } from "../api/detection";
import type { Job, Paginated } from "../api/types";
import { signalLabel } from "./caughtMatrix";
import { evidenceBlock, scoreName, thresholdWords } from "./detectionExplain";
import { runDetectorName, runOutcome } from "./detectionRuns";
import { detectorChoice, fillDetectorSelect } from "./detectorChoice";
import { dataBool, dataNumber, h, setText } from "../shared/dom";
import { formatAbsolute, formatRelative } from "../shared/format";
import { JOBS_CHANGED_EVENT, type JobsChangedDetail } from "../shared/jobs";

/** A signal "stands out" at this p90 robust z: the server's SIGNAL_Z_CAUGHT, which the project's "what gets caught" matrix counts. */
export const STANDS_OUT_Z = 2;

function num(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(digits);
}

function signed(value: number): string {
  return `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(1)}`;
}

/** One line of video-level figures for a signal, in its own unit. */
export function signalFigures(signal: SignalSummary): string {
  const s = signal.summary;
  if (signal.name === "blinking" || s.blinks_per_minute !== undefined) {
    const observed = s.observed_seconds ?? 0;
    if (s.blinks_per_minute === null || s.blinks_per_minute === undefined) {
      return `${s.blinks ?? 0} blinks in ${observed.toFixed(1)} s of tracked face (too short for a rate)`;
    }
    return `${s.blinks ?? 0} blinks in ${observed.toFixed(1)} s: ${s.blinks_per_minute.toFixed(1)} a minute (people blink about 15–20)`;
  }
  if (!s.count) return "not measured (no usable face samples)";
  return `median ${num(s.median)} · p90 ${num(s.p90)} ${signal.unit} over ${s.count} samples`;
}

export class DetectionCard {
  private readonly api: string;
  private readonly detectorsApi: string;
  private readonly explanationsApi: string;
  private readonly mediaId: number;
  private readonly canCurate: boolean;
  private readonly body: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private readonly detectorSelect: HTMLSelectElement | null = null;
  private readonly runButton: HTMLButtonElement | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly jobsChanged: () => void,
  ) {
    this.api = root.dataset.api ?? "";
    this.detectorsApi = root.dataset.detectorsApi ?? "";
    this.explanationsApi = root.dataset.explanationsApi ?? "";
    this.mediaId = dataNumber(root, "mediaId") ?? 0;
    this.canCurate = dataBool(root, "canCurate");
    this.body = h("div", { class: "detection-card-body" }, h("p", { class: "muted" }, "Loading detection…"));
    this.status = h("div", { class: "run-status", id: "detection-run-status", role: "status", "aria-live": "polite" });
    const parts: Node[] = [this.body];
    if (this.canCurate) {
      this.detectorSelect = h("select", { id: "detection-detector", "aria-label": "Detector" });
      fillDetectorSelect(this.detectorSelect, []);
      this.runButton = h("button", { type: "submit", class: "btn btn-primary btn-small", id: "detection-run" }, "Run detection");
      const form = h("form", { class: "detection-card-run", id: "detection-run-form" }, this.detectorSelect, this.runButton);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        void this.run();
      });
      parts.push(form, this.status);
    }
    root.querySelector(".detection-card-root")?.replaceChildren(...parts);
    document.addEventListener(JOBS_CHANGED_EVENT, (event) => {
      const jobs = (event as CustomEvent<JobsChangedDetail>).detail.jobs;
      if (jobs.some((job) => job.kind === "detect" && job.media === this.mediaId && job.status === "succeeded")) void this.load();
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.load(), this.loadDetectors()]);
  }

  async load(): Promise<void> {
    try {
      const page = await apiList<DetectionRun>(withParams(this.api, { media: this.mediaId, page_size: 1 }));
      const run = page.results[0] ?? null;
      this.render(run, page.count, run ? await this.explanation(run) : null);
    } catch (err) {
      this.body.replaceChildren(h("p", { class: "error-text" }, `Could not load detection: ${err instanceof ApiError ? err.describe() : String(err)}`));
    }
  }

  /** What the run's score means; null when it cannot be told (the card still shows the run). */
  private async explanation(run: DetectionRun): Promise<RunExplanation | null> {
    if (run.status !== "ok" || !this.explanationsApi) return null;
    try {
      return (await fetchExplanations(this.explanationsApi, [run.id]))[String(run.id)] ?? null;
    } catch {
      return null;
    }
  }

  private async loadDetectors(): Promise<void> {
    if (!this.detectorSelect) return;
    try {
      const page = await apiGet<Paginated<Detector>>(withParams(this.detectorsApi, { page_size: 200 }));
      fillDetectorSelect(this.detectorSelect, page.results);
    } catch {
      // The built-in and signals-only choices still work; the run answer will say what is wrong.
    }
  }

  private render(run: DetectionRun | null, count: number, expl: RunExplanation | null): void {
    this.root.dataset.runId = run ? String(run.id) : "";
    if (!run) {
      this.body.replaceChildren(h("p", { class: "muted", id: "detection-none" }, "No detection has run on this video yet."));
      return;
    }
    const outcome = runOutcome(run);
    const parts: Node[] = [
      h(
        "p",
        { class: "detection-card-head" },
        h("span", { class: `badge ${outcome.cls}`, id: "detection-outcome" }, outcome.text),
        h("span", { class: "muted", id: "detection-detector-name" }, ` ${runDetectorName(run)}`, " · ", h("time", { datetime: run.created_at, title: formatAbsolute(run.created_at), class: "relative" }, formatRelative(run.created_at))),
      ),
    ];
    if (run.status === "no_faces") {
      parts.push(h("p", { class: "detection-no-faces", id: "detection-no-faces" }, run.message || "No faces found in the analysed frames: nothing to score."));
    } else {
      if (run.score_confident !== null) parts.push(this.score(run, expl));
      parts.push(
        h(
          "p",
          { class: "muted detection-frames", id: "detection-frames" },
          `${run.frames_with_faces} of ${run.frames_analysed} analysed frames had a face`,
          run.seconds ? ` · took ${run.seconds.toFixed(1)} s` : "",
        ),
      );
      const evidence = expl ? evidenceBlock(expl, run.score_confident === null) : null;
      if (evidence) parts.push(evidence);
      parts.push(this.signals(run));
    }
    if (count > 1) parts.push(h("p", { class: "muted detection-more" }, `${count - 1} earlier run${count > 2 ? "s" : ""} on this video.`));
    this.body.replaceChildren(...parts);
  }

  private score(run: DetectionRun, expl: RunExplanation | null): HTMLElement {
    const value = run.score_confident ?? 0;
    const threshold = run.threshold;
    const above = threshold !== null && value >= threshold;
    const calibrated = expl?.calibrated ?? null;
    const meaning = thresholdWords(threshold, calibrated ? expl?.threshold_fpr : null);
    const gauge = h(
      "div",
      { class: "score-gauge", role: "img", "aria-label": `${scoreName(calibrated).toLowerCase()} ${num(value)}${threshold !== null ? `, threshold ${num(threshold)}` : ""}` },
      h("div", { class: `score-fill ${above ? "score-fake" : "score-real"}`, style: `width: ${Math.round(value * 100)}%` }),
      threshold !== null ? h("div", { class: "score-threshold", style: `left: ${(threshold * 100).toFixed(1)}%`, title: `threshold ${num(threshold)}` }) : null,
    );
    return h(
      "div",
      { class: "detection-score" },
      h(
        "div",
        { class: "detection-score-figures" },
        h(
          "span",
          { class: `detection-score-kind${calibrated === false ? " uncalibrated" : ""}`, id: "detection-score-kind", "data-calibrated": calibrated === null ? "unknown" : String(calibrated) },
          calibrated === null ? "Video score" : scoreName(calibrated),
        ),
        h("span", { class: "detection-score-value mono-num", id: "detection-score" }, num(value, calibrated ? 2 : 3)),
        h(
          "span",
          { class: "muted" },
          calibrated === false ? "not a probability · " : "",
          "confident-frames rule · mean of all faces ",
          h("span", { class: "mono-num", id: "detection-score-mean" }, num(run.score_mean, 3)),
        ),
      ),
      gauge,
      h(
        "p",
        { class: "detection-verdict", id: "detection-verdict" },
        threshold === null
          ? "No threshold recorded."
          : calibrated && meaning !== `threshold ${num(threshold)}`
            ? `${above ? "At or above" : "Below"} the ${meaning.replace(/ flags /, ", which flags ")}: called ${run.label || (above ? "fake" : "real")}.`
            : `${above ? "At or above" : "Below"} the detector's threshold ${num(threshold)}: called ${run.label || (above ? "fake" : "real")}.`,
      ),
    );
  }

  private signals(run: DetectionRun): HTMLElement {
    const entries = Object.values(run.signals);
    if (!entries.length) return h("p", { class: "muted" }, "No forensic signals in this run.");
    return h(
      "div",
      { class: "detection-signals" },
      h("h3", {}, "Forensic signals ", h("span", { class: "muted" }, "(click one for what it measures)")),
      h(
        "ul",
        { class: "signal-list", id: "signal-list" },
        ...entries.map((signal) => {
          // Blinking has no suspicious direction (too few blinks and too many both are odd): its rate speaks instead.
          const z = signal.higher_is_suspicious === null ? null : signalP90z(signal);
          const out = z !== null && z >= STANDS_OUT_Z;
          return h(
            "li",
            { class: `signal-item${out ? " signal-out" : ""}`, "data-signal": signal.name },
            h(
              "details",
              {},
              h(
                "summary",
                {},
                h("span", { class: "signal-name" }, signalLabel(signal.name)),
                out ? h("span", { class: "badge badge-fake signal-flag", title: `p90 is ${z.toFixed(1)} robust standard deviations from this video's typical value` }, "stands out") : null,
                h("span", { class: "signal-figures muted" }, signalFigures(signal)),
                z !== null ? h("span", { class: "signal-z mono-num", title: "90th percentile as a robust z-score within this video, suspicious direction positive" }, `p90 z ${signed(z)}`) : null,
              ),
              h("p", { class: "signal-description" }, signal.description),
              h("p", { class: "muted signal-kind" }, `Artifact kind: ${signal.kind}${signal.temporal ? " · compares neighbouring samples in time" : ""}`),
            ),
          );
        }),
      ),
      h(
        "p",
        { class: "muted signal-note" },
        `“Stands out”: the signal's 90th percentile is at least ${STANDS_OUT_Z} robust standard deviations from this video's own typical value, so some frames differ from the rest. An artifact present in every frame does not stand out; compare the levels with other videos.`,
      ),
    );
  }

  private async run(): Promise<void> {
    if (!this.runButton || !this.detectorSelect) return;
    const choice = detectorChoice(this.detectorSelect.value);
    this.runButton.disabled = true;
    try {
      const jobs = await apiPost<Job[]>(this.api, { media: [this.mediaId], ...choice, options: {} });
      setText(this.status, `Detection queued as job #${jobs[0]?.id ?? "?"}: its progress shows under Jobs.`);
      this.status.classList.remove("error-text");
      this.jobsChanged();
    } catch (err) {
      setText(this.status, err instanceof ApiError ? err.describe() : "Could not start detection.");
      this.status.classList.add("error-text");
    } finally {
      this.runButton.disabled = false;
    }
  }
}

export function mountDetectionCard(jobsChanged: () => void): DetectionCard | null {
  const root = document.getElementById("detection");
  if (!root) return null;
  const card = new DetectionCard(root, jobsChanged);
  void card.start();
  return card;
}

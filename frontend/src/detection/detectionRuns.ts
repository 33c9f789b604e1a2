// Detection runs on the detection page: the "Run detection" form (curators:
// videos; the built-in detector, a trained one or the forensic signals alone; frames
// to sample) and the table of the latest runs with their scores and what they mean.
import { ApiError } from "../api/client";
import type { DetectionApi, DetectionRun, Detector, RunExplanation } from "../api/detection";
import type { Media } from "../api/types";
import { evidenceLine, scoreName } from "./detectionExplain";
import { detectorChoice, fillDetectorSelect } from "./detectorChoice";
import { h, setText } from "../shared/dom";
import { formatAbsolute, formatRelative } from "../shared/format";
import { OptionFields, readOptionSpec, stackedField } from "../shared/optionFields";

/** The badge of a run's outcome: fake / real by score, no faces, scored without a
 * threshold, or the forensic signals alone (no detector ran). */
export function runOutcome(run: DetectionRun): { text: string; cls: string } {
  if (run.status === "no_faces") return { text: "no faces", cls: "badge-unknown" };
  if (run.label === "fake") return { text: "fake", cls: "badge-fake" };
  if (run.label === "real") return { text: "real", cls: "badge-real" };
  if (run.score_confident !== null) return { text: "scored", cls: "badge-unknown" };
  return { text: "signals only", cls: "badge-signals" };
}

/** Who scored a run: its detector's name, else the forensic signals alone. */
export function runDetectorName(run: DetectionRun): string {
  return run.detector_name || "forensic signals only";
}

export function score(value: number | null): string {
  return value === null ? "—" : value.toFixed(3);
}

export class RunForm {
  private readonly list: HTMLDivElement;
  private readonly summary: HTMLSpanElement;
  private readonly detectorSelect: HTMLSelectElement;
  private readonly options: OptionFields;
  private readonly submit: HTMLButtonElement;
  private readonly status: HTMLDivElement;
  private videos: Media[] = [];
  private readonly chosen = new Set<number>();

  constructor(
    root: HTMLElement,
    private readonly api: DetectionApi,
    private readonly queued: () => void,
  ) {
    this.list = h("div", { class: "run-video-list", id: "run-video-list" }, h("p", { class: "muted" }, "Loading videos…"));
    this.summary = h("span", { class: "muted", id: "run-video-summary" });
    const all = h("button", { type: "button", class: "btn btn-small", id: "run-videos-all" }, "All");
    all.addEventListener("click", () => this.setAll(true));
    const none = h("button", { type: "button", class: "btn btn-small" }, "None");
    none.addEventListener("click", () => this.setAll(false));
    this.detectorSelect = h("select", { id: "run-detector", name: "detector" });
    this.options = new OptionFields(readOptionSpec("detect"), { id: (name) => `run-${name.replace(/_/g, "-")}`, wrap: stackedField });
    this.submit = h("button", { type: "submit", class: "btn btn-primary", id: "run-start" }, "Run detection");
    this.status = h("div", { class: "run-status", id: "run-status", role: "status", "aria-live": "polite" });
    const form = h(
      "form",
      { class: "run-form", id: "run-form" },
      h("div", { class: "run-form-videos" }, h("div", { class: "run-form-head" }, h("span", { class: "label" }, "Videos"), all, none, this.summary), this.list),
      h(
        "div",
        { class: "run-form-side" },
        h("div", { class: "field" }, h("label", { for: "run-detector" }, "Detector"), this.detectorSelect),
        ...this.options.basic,
        this.options.more,
        this.submit,
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.run();
    });
    root.replaceChildren(form, this.status);
    this.setDetectors([]);
  }

  setVideos(videos: Media[]): void {
    this.videos = videos;
    const ids = new Set(videos.map((v) => v.id));
    for (const id of [...this.chosen]) if (!ids.has(id)) this.chosen.delete(id);
    if (!videos.length) {
      this.list.replaceChildren(h("p", { class: "muted" }, "No ready videos in this project yet."));
    } else {
      this.list.replaceChildren(
        ...videos.map((v) => {
          const box = h("input", { type: "checkbox", value: v.id, checked: this.chosen.has(v.id) });
          box.addEventListener("change", () => {
            if (box.checked) this.chosen.add(v.id);
            else this.chosen.delete(v.id);
            this.summarise();
          });
          return h("label", { class: "run-video", "data-media-id": v.id }, box, h("span", { class: "run-video-name" }, v.name), h("span", { class: `badge badge-${v.origin}` }, v.origin));
        }),
      );
    }
    this.summarise();
  }

  setDetectors(detectors: Detector[]): void {
    fillDetectorSelect(this.detectorSelect, detectors);
  }

  private setAll(on: boolean): void {
    this.chosen.clear();
    if (on) for (const v of this.videos) this.chosen.add(v.id);
    for (const box of this.list.querySelectorAll<HTMLInputElement>("input[type=checkbox]")) box.checked = on;
    this.summarise();
  }

  private summarise(): void {
    setText(this.summary, `${this.chosen.size} of ${this.videos.length} chosen`);
    this.submit.disabled = this.chosen.size === 0;
  }

  private async run(): Promise<void> {
    const media = this.videos.filter((v) => this.chosen.has(v.id)).map((v) => v.id);
    if (!media.length) return;
    const choice = detectorChoice(this.detectorSelect.value);
    this.submit.disabled = true;
    try {
      const jobs = await this.api.detect({ media, ...choice, options: this.options.values() });
      const what = choice.signals_only ? "forensic signals only" : this.detectorSelect.selectedOptions[0]?.textContent ?? "detector";
      this.showStatus(`Queued ${jobs.length} detection job${jobs.length === 1 ? "" : "s"} (${what}): progress shows below.`, false);
      this.queued();
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : "Could not start detection.", true);
    } finally {
      this.summarise();
    }
  }

  private showStatus(message: string, error: boolean): void {
    setText(this.status, message);
    this.status.classList.toggle("error-text", error);
  }
}

export class RunList {
  private explaining: AbortController | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly mediaUrl: (id: number) => string,
    private readonly explain: ((ids: number[], signal: AbortSignal) => Promise<Record<string, RunExplanation>>) | null = null,
  ) {
    root.replaceChildren(h("p", { class: "muted" }, "Loading runs…"));
  }

  showError(message: string): void {
    this.root.replaceChildren(h("p", { class: "error-text" }, message));
  }

  render(runs: DetectionRun[], count: number, videos: ReadonlyMap<number, Media>): void {
    if (!runs.length) {
      this.root.replaceChildren(h("p", { class: "muted", id: "run-list-empty" }, "No detection has run in this project yet."));
      return;
    }
    const head = ["Video", "Detector", "Result", "Score", "Mean", "Threshold", "Frames with faces", "Took", "When"];
    const numeric = new Set(["Score", "Mean", "Threshold", "Frames with faces", "Took"]);
    const table = h(
      "table",
      { class: "data run-table", id: "run-table" },
      h("thead", {}, h("tr", {}, ...head.map((label) => h("th", { scope: "col", class: numeric.has(label) ? "num" : null, title: label === "Score" ? "Video score by the confident-frames rule: a fake probability when the detector is calibrated" : null }, label)))),
      h(
        "tbody",
        {},
        ...runs.map((run) => {
          const outcome = runOutcome(run);
          const video = videos.get(run.media);
          return h(
            "tr",
            { "data-run-id": run.id, "data-media-id": run.media },
            h("td", {}, h("a", { href: this.mediaUrl(run.media) }, video?.name ?? `video #${run.media}`), video ? h("span", { class: `badge badge-${video.origin} run-origin` }, video.origin) : null),
            h("td", {}, run.detector_name || h("span", { class: "muted" }, "forensic signals only")),
            h("td", {}, h("span", { class: `badge ${outcome.cls}`, title: run.message || null }, outcome.text)),
            h("td", { class: "num mono-num run-score" }, score(run.score_confident)),
            h("td", { class: "num mono-num muted" }, score(run.score_mean)),
            h("td", { class: "num mono-num muted" }, run.threshold === null ? "—" : run.threshold.toFixed(2)),
            h("td", { class: "num" }, `${run.frames_with_faces} of ${run.frames_analysed}`),
            h("td", { class: "num muted" }, `${run.seconds.toFixed(1)} s`),
            h("td", { class: "muted" }, h("time", { datetime: run.created_at, title: formatAbsolute(run.created_at), class: "relative" }, formatRelative(run.created_at))),
          );
        }),
      ),
    );
    const parts: Node[] = [h("div", { class: "table-scroll" }, table)];
    if (count > runs.length) parts.push(h("p", { class: "muted" }, `Showing the ${runs.length} newest of ${count} runs; each video's page shows its latest.`));
    this.root.replaceChildren(...parts);
    void this.addEvidence(table, runs, head.length);
  }

  /** Under each run whose score has a meaning to tell, one line: calibrated or not,
   * what the threshold flags among real videos, the map summary, the signals. */
  private async addEvidence(table: HTMLTableElement, runs: DetectionRun[], columns: number): Promise<void> {
    if (!this.explain) return;
    this.explaining?.abort();
    const controller = new AbortController();
    this.explaining = controller;
    const ids = runs.filter((r) => r.status === "ok").map((r) => r.id);
    let explanations: Record<string, RunExplanation>;
    try {
      explanations = await this.explain(ids, controller.signal);
    } catch {
      return; // the table stands without the evidence lines
    }
    if (controller.signal.aborted) return;
    for (const run of runs) {
      const expl = explanations[String(run.id)];
      const row = table.querySelector<HTMLTableRowElement>(`tbody tr[data-run-id='${run.id}']`);
      if (!expl || !row) continue;
      const scored = run.score_confident !== null;
      if (scored && expl.calibrated !== null) {
        const cell = row.querySelector<HTMLElement>(".run-score");
        if (cell) {
          cell.title = `${scoreName(expl.calibrated)} (confident-frames rule)`;
          cell.append(h("span", { class: `run-score-kind ${expl.calibrated ? "calibrated" : "uncalibrated"}` }, expl.calibrated ? "prob." : "uncal."));
        }
      }
      const line = evidenceLine(expl, scored);
      if (!line) continue;
      row.classList.add("has-evidence");
      row.after(h("tr", { class: "run-evidence", "data-run-id": run.id }, h("td", { colspan: columns }, line)));
    }
  }
}

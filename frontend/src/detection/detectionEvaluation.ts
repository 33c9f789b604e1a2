// Evaluation card: pick a trained detector and (optionally) some labeled videos,
// move the threshold, and read the ROC curve, AUC, EER, log loss, the confusion
// matrix at that threshold and which videos land on the wrong side of it.
//
// Every figure comes from the evaluation endpoint (?media=&threshold=): moving
// the slider asks again (debounced; a newer request aborts the older one).
import { ApiError } from "../api/client";
import type { Confusion, DetectionApi, Detector, Evaluation } from "../api/detection";
import type { Media } from "../api/types";
import { rocChart } from "../shared/charts/plotly";
import { metric } from "./detectorTable";
import { h, setAttr, setText } from "../shared/dom";

const DEBOUNCE_MS = 150;

function stat(label: string, id: string): { el: HTMLDivElement; value: HTMLElement; sub: HTMLElement } {
  const value = h("dd", { class: "stat-value", id });
  const sub = h("dd", { class: "stat-sub muted" });
  return { el: h("div", { class: "stat" }, h("dt", { class: "stat-label" }, label), value, sub), value, sub };
}

function share(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : "—";
}

export class DetectionEvaluation {
  private readonly detectorSelect: HTMLSelectElement;
  private readonly videoSummary: HTMLElement;
  private readonly videoList: HTMLDivElement;
  private readonly slider: HTMLInputElement;
  private readonly thresholdValue: HTMLOutputElement;
  private readonly resetButton: HTMLButtonElement;
  private readonly auc = stat("AUC", "eval-auc");
  private readonly eer = stat("EER", "eval-eer");
  private readonly logLoss = stat("Log loss", "eval-log-loss");
  private readonly accuracy = stat("Accuracy", "eval-accuracy");
  private readonly scored = stat("Scored videos", "eval-scored");
  private readonly note: HTMLDivElement;
  private readonly results: HTMLDivElement;
  private readonly roc: HTMLDivElement;
  private readonly confusion: HTMLTableElement;
  private readonly confusionCaption: HTMLSpanElement;
  private readonly videoTable: HTMLTableSectionElement;
  private readonly body: HTMLDivElement;
  private readonly empty: HTMLParagraphElement;
  private detectors: Detector[] = [];
  private videos: Media[] = [];
  private chosenVideos: Set<number> | null = null;
  /** null: the detector's own threshold. */
  private threshold: number | null = null;
  private timer: number | undefined;
  private inFlight: AbortController | null = null;
  private rocKey = "";

  constructor(
    private readonly root: HTMLElement,
    private readonly api: DetectionApi,
    private readonly mediaUrl: (id: number) => string,
  ) {
    this.detectorSelect = h("select", { id: "eval-detector", "aria-label": "Detector to evaluate" });
    this.detectorSelect.addEventListener("change", () => {
      this.threshold = null;
      this.schedule(0);
    });
    this.videoSummary = h("summary", { id: "eval-videos-summary" }, "All labeled videos");
    this.videoList = h("div", { class: "eval-video-list", id: "eval-video-list" });
    const all = h("button", { type: "button", class: "btn btn-small" }, "All");
    all.addEventListener("click", () => this.setAllVideos(true));
    const none = h("button", { type: "button", class: "btn btn-small" }, "None");
    none.addEventListener("click", () => this.setAllVideos(false));
    const videoPicker = h("details", { class: "eval-videos", id: "eval-videos" }, this.videoSummary, h("div", { class: "eval-video-buttons" }, all, none), this.videoList);

    this.slider = h("input", { type: "range", id: "eval-threshold", min: 0, max: 1, step: 0.01, value: 0.5, "aria-label": "Threshold" });
    this.thresholdValue = h("output", { id: "eval-threshold-value", for: "eval-threshold", class: "mono-num" }, "0.50");
    this.slider.addEventListener("input", () => {
      this.threshold = Number(this.slider.value);
      setText(this.thresholdValue, this.threshold.toFixed(2));
      this.schedule(DEBOUNCE_MS);
    });
    this.resetButton = h("button", { type: "button", class: "btn btn-small", id: "eval-threshold-reset" }, "Detector's threshold");
    this.resetButton.addEventListener("click", () => {
      this.threshold = null;
      this.schedule(0);
    });

    this.note = h("div", { class: "eval-note", id: "eval-note", role: "status", "aria-live": "polite" });
    this.roc = h("div", { class: "chart chart-roc", id: "eval-roc" });
    this.confusion = h("table", { class: "confusion", id: "eval-confusion" });
    this.confusionCaption = h("span", { class: "muted", id: "eval-confusion-caption" });
    this.videoTable = h("tbody");
    this.results = h(
      "div",
      { class: "eval-results" },
      h("dl", { class: "stat-row" }, this.auc.el, this.eer.el, this.logLoss.el, this.accuracy.el, this.scored.el),
      h(
        "div",
        { class: "eval-grid" },
        h("figure", { class: "eval-figure" }, h("figcaption", {}, "ROC curve ", h("span", { class: "muted" }, "(each point: one threshold on the video scores)")), this.roc),
        h(
          "div",
          { class: "eval-side" },
          h("h3", {}, "Confusion matrix ", this.confusionCaption),
          this.confusion,
          h("h3", { class: "eval-videos-title" }, "Videos by score"),
          h(
            "div",
            { class: "table-scroll eval-video-scroll" },
            h(
              "table",
              { class: "data eval-video-table", id: "eval-video-table" },
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Video"), h("th", { scope: "col" }, "Truth"), h("th", { scope: "col", class: "num" }, "Score"), h("th", { scope: "col" }, "Called"))),
              this.videoTable,
            ),
          ),
        ),
      ),
    );
    this.empty = h("p", { class: "muted", id: "eval-empty" }, "No trained detector yet: train one above, run it on labeled videos below, and its evaluation shows here.");
    this.body = h(
      "div",
      { class: "eval-body" },
      h(
        "div",
        { class: "eval-controls" },
        h("div", { class: "field" }, h("label", { for: "eval-detector" }, "Detector"), this.detectorSelect),
        h("div", { class: "field" }, h("span", { class: "label" }, "Videos"), videoPicker),
        h(
          "div",
          { class: "field eval-threshold-field" },
          h("label", { for: "eval-threshold" }, "Threshold ", h("span", { class: "muted" }, "(video score ≥ threshold is called fake)")),
          h("div", { class: "eval-threshold-row" }, this.slider, this.thresholdValue, this.resetButton),
        ),
      ),
      this.note,
      this.results,
    );
    root.replaceChildren(this.empty, this.body);
  }

  /** New detectors or videos (a training or a run finished): keep the choices, ask again. */
  update(detectors: Detector[], videos: Media[]): void {
    this.detectors = detectors.filter((d) => d.threshold !== null);
    this.videos = videos.filter((v) => v.origin === "real" || v.origin === "fake");
    const current = Number(this.detectorSelect.value) || null;
    this.detectorSelect.replaceChildren(...this.detectors.map((d) => h("option", { value: d.id }, `${d.name} (${d.arch})`)));
    if (current !== null && this.detectors.some((d) => d.id === current)) this.detectorSelect.value = String(current);
    this.empty.hidden = this.detectors.length > 0;
    this.body.hidden = this.detectors.length === 0;
    this.renderVideoList();
    if (this.detectors.length) this.schedule(0);
  }

  private renderVideoList(): void {
    const valid = new Set(this.videos.map((v) => v.id));
    if (this.chosenVideos) this.chosenVideos = new Set([...this.chosenVideos].filter((id) => valid.has(id)));
    this.videoList.replaceChildren(
      ...this.videos.map((v) => {
        const box = h("input", { type: "checkbox", value: v.id, checked: this.chosenVideos === null || this.chosenVideos.has(v.id) });
        box.addEventListener("change", () => this.toggleVideo(v.id, box.checked));
        return h("label", { class: "eval-video" }, box, h("span", { class: "eval-video-name" }, v.name), h("span", { class: `badge badge-${v.origin}` }, v.origin));
      }),
    );
    this.summariseVideos();
  }

  private toggleVideo(id: number, on: boolean): void {
    const chosen = this.chosenVideos ?? new Set(this.videos.map((v) => v.id));
    if (on) chosen.add(id);
    else chosen.delete(id);
    this.chosenVideos = chosen.size === this.videos.length ? null : chosen;
    this.summariseVideos();
    this.schedule(DEBOUNCE_MS);
  }

  private setAllVideos(on: boolean): void {
    this.chosenVideos = on ? null : new Set();
    for (const box of this.videoList.querySelectorAll<HTMLInputElement>("input[type=checkbox]")) box.checked = on;
    this.summariseVideos();
    this.schedule(0);
  }

  private summariseVideos(): void {
    const total = this.videos.length;
    const chosen = this.chosenVideos;
    setText(this.videoSummary, chosen === null ? `All ${total} labeled videos` : `${chosen.size} of ${total} labeled videos`);
  }

  private schedule(delay: number): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.load(), delay);
  }

  private async load(): Promise<void> {
    const id = Number(this.detectorSelect.value);
    if (!id) return;
    if (this.chosenVideos !== null && this.chosenVideos.size === 0) {
      this.showNote("Choose at least one labeled video to evaluate on.", true);
      this.results.hidden = true;
      return;
    }
    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    this.root.setAttribute("aria-busy", "true");
    try {
      const answer = await this.api.evaluation(id, { media: this.chosenVideos ? [...this.chosenVideos] : null, threshold: this.threshold }, controller.signal);
      this.render(answer);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") return;
      this.showNote(`Could not evaluate: ${err instanceof ApiError ? err.describe() : String(err)}`, true);
    } finally {
      if (this.inFlight === controller) {
        this.inFlight = null;
        this.root.setAttribute("aria-busy", "false");
      }
    }
  }

  private render(answer: Evaluation): void {
    const detector = this.detectors.find((d) => d.id === answer.detector);
    const threshold = answer.threshold ?? 0.5;
    if (this.threshold === null) {
      this.slider.value = String(threshold);
      setText(this.thresholdValue, threshold.toFixed(2));
    }
    setText(this.resetButton, detector?.threshold !== null && detector?.threshold !== undefined ? `Detector's threshold (${detector.threshold.toFixed(2)})` : "Detector's threshold");
    this.resetButton.disabled = this.threshold === null;

    const missing = this.missingNote(answer);
    const metrics = answer.metrics;
    if (!metrics || !answer.roc) {
      this.results.hidden = true;
      this.showNote([answer.message ?? "Nothing to evaluate yet.", missing].filter(Boolean).join(" "), false);
      return;
    }
    this.results.hidden = false;
    this.showNote(missing, false);

    const fakes = answer.videos.filter((v) => v.label === 1).length;
    const reals = answer.videos.length - fakes;
    setText(this.auc.value, metric(metrics.auc));
    setText(this.auc.sub, "0.5 is chance, 1 is perfect");
    setText(this.eer.value, metric(metrics.eer));
    setText(this.eer.sub, metrics.eer_threshold !== null ? `at threshold ${metrics.eer_threshold.toFixed(2)}` : "");
    setText(this.logLoss.value, metric(metrics.log_loss));
    setText(this.logLoss.sub, "lower is better");
    setText(this.accuracy.value, metric(metrics.accuracy));
    setText(this.accuracy.sub, `at threshold ${threshold.toFixed(2)}`);
    setText(this.scored.value, String(answer.videos.length));
    setText(this.scored.sub, `${fakes} fake · ${reals} real`);

    const c = metrics.confusion;
    const point = { fpr: c.fp + c.tn ? c.fp / (c.fp + c.tn) : 0, tpr: c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0, threshold };
    // The curve only changes with the detector or the videos; the point moves with the threshold.
    const rocKey = `${answer.detector}:${answer.roc.fpr.join(",")}:${answer.roc.tpr.join(",")}:${threshold}`;
    if (rocKey !== this.rocKey) {
      this.rocKey = rocKey;
      rocChart(this.roc, { ...answer.roc, point, eer: metrics.eer, curveName: `ROC · AUC ${metric(metrics.auc)}` });
    }
    this.renderConfusion(c);
    this.renderVideos(answer, threshold);
  }

  private missingNote(answer: Evaluation): string {
    const names = (ids: number[]): string => {
      const list = ids.map((id) => this.videos.find((v) => v.id === id)?.name ?? `#${id}`);
      return list.length > 3 ? `${list.slice(0, 3).join(", ")} and ${list.length - 3} more` : list.join(", ");
    };
    const parts: string[] = [];
    if (answer.not_run.length) parts.push(`Not scored, no run of this detector yet: ${names(answer.not_run)} (run it under Detection runs).`);
    if (answer.no_faces.length) parts.push(`Not scored, no faces found: ${names(answer.no_faces)}.`);
    return parts.join(" ");
  }

  private renderConfusion(c: Confusion): void {
    const fakes = c.tp + c.fn;
    const reals = c.fp + c.tn;
    const cell = (id: string, count: number, of: number, label: string, good: boolean): HTMLTableCellElement =>
      h(
        "td",
        { id, class: `confusion-cell ${count === 0 ? "confusion-zero" : good ? "confusion-right" : "confusion-wrong"}`, "data-count": count },
        h("span", { class: "confusion-count" }, String(count)),
        h("span", { class: "confusion-label" }, `${label} · ${share(count, of)} of ${of}`),
      );
    setAttr(this.confusion, "data-threshold", c.threshold.toFixed(2));
    setText(this.confusionCaption, `at threshold ${c.threshold.toFixed(2)}`);
    this.confusion.replaceChildren(
      h("thead", {}, h("tr", {}, h("td", {}), h("th", { scope: "col" }, "called fake"), h("th", { scope: "col" }, "called real"))),
      h(
        "tbody",
        {},
        h("tr", {}, h("th", { scope: "row" }, "fake videos"), cell("confusion-tp", c.tp, fakes, "caught", true), cell("confusion-fn", c.fn, fakes, "missed", false)),
        h("tr", {}, h("th", { scope: "row" }, "real videos"), cell("confusion-fp", c.fp, reals, "false alarm", false), cell("confusion-tn", c.tn, reals, "cleared", true)),
      ),
    );
  }

  private renderVideos(answer: Evaluation, threshold: number): void {
    const rows = [...answer.videos].sort((a, b) => b.score - a.score);
    this.videoTable.replaceChildren(
      ...rows.map((v) => {
        const truth = v.label === 1 ? "fake" : "real";
        const called = v.score >= threshold ? "fake" : "real";
        const right = called === truth;
        return h(
          "tr",
          { "data-media-id": v.media, class: right ? null : "eval-wrong" },
          h("td", {}, h("a", { href: this.mediaUrl(v.media) }, v.name)),
          h("td", {}, h("span", { class: `badge badge-${truth}` }, truth)),
          h("td", { class: "num mono-num" }, v.score.toFixed(3)),
          h("td", {}, called, h("span", { class: right ? "success-text" : "error-text", title: right ? "right" : "wrong" }, right ? " ✓" : " ✗ wrong")),
        );
      }),
    );
  }

  private showNote(message: string, error: boolean): void {
    setText(this.note, message);
    this.note.classList.toggle("error-text", error);
  }
}

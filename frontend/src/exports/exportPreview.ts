// The builder's live preview: what an export would hold (counts per split, label,
// method and person), or, kindly and in plain words, why it cannot be made yet.
import { ApiError } from "../api/client";
import { type ExportPreview, SPLIT_NAMES } from "../api/exports";
import { clear, stackedBarChart } from "../shared/charts/plotly";
import { h, setText } from "../shared/dom";

const REAL = "#1a7f37";
const FAKE = "#cf222e";
const SPLIT_TITLES = { train: "Train", validation: "Validation", test: "Test" } as const;

export type PreviewState =
  | { kind: "loading" }
  | { kind: "ready"; preview: ExportPreview }
  | { kind: "error"; error: unknown };

/** "unnamed:1a2b…" (a video nobody named) reads as "an unnamed video". */
function personName(name: string): string {
  return name.startsWith("unnamed:") ? `unnamed video ${name.slice(8, 16)}` : name;
}

function stat(label: string, value: string | number, key: string, sub?: string): HTMLElement {
  return h(
    "div",
    { class: "stat", "data-stat": key },
    h("div", { class: "stat-label" }, label),
    h("div", { class: "stat-value" }, String(value)),
    sub ? h("div", { class: "stat-sub muted" }, sub) : null,
  );
}

/** Split ratios in a split-impossible suggestion, as percents: a structured
 *  `suggested_ratios`, else "(ratios 1, 0, 0)" in the text; null when neither. */
export function suggestedRatios(error: ApiError): number[] | null {
  const given = error.details.suggested_ratios;
  let shares: number[] | null = Array.isArray(given) && given.length === 3 ? given.map(Number) : null;
  if (!shares) {
    const text = `${String(error.details.suggestion ?? "")} ${error.message}`;
    const match = /ratios\s+([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(text);
    shares = match ? [match[1], match[2], match[3]].map(Number) : null;
  }
  if (!shares || shares.some((v) => !Number.isFinite(v) || v < 0)) return null;
  const total = shares.reduce((a, b) => a + b, 0);
  return total > 0 ? shares.map((v) => Math.round((v / total) * 100)) : null;
}

export class ExportPreviewView {
  private readonly stateEl: HTMLElement | null;
  private chart: HTMLDivElement | null = null;

  constructor(
    private readonly root: HTMLElement,
    /** Applies suggested split ratios (percent) to the form. */
    private readonly applyRatios: (percent: number[]) => void,
  ) {
    this.stateEl = document.getElementById("preview-state");
    root.classList.add("preview-body");
  }

  show(state: PreviewState): void {
    this.root.dataset.state = state.kind === "error" ? errorCode(state.error) : state.kind;
    if (state.kind === "loading") {
      if (this.stateEl) setText(this.stateEl, "updating…");
      this.root.setAttribute("aria-busy", "true");
      return;
    }
    this.root.setAttribute("aria-busy", "false");
    if (this.stateEl) setText(this.stateEl, state.kind === "ready" ? "up to date" : "");
    if (this.chart) clear(this.chart);
    this.chart = null;
    if (state.kind === "error") this.root.replaceChildren(this.errorBlock(state.error));
    else {
      this.root.replaceChildren(...this.counts(state.preview));
      this.drawChart(state.preview); // after it is in the page, so Plotly can size it
    }
  }

  private drawChart(preview: ExportPreview): void {
    if (!this.chart) return;
    stackedBarChart(this.chart, {
      categories: SPLIT_NAMES.map((s) => SPLIT_TITLES[s]),
      series: [
        { name: "real", values: SPLIT_NAMES.map((s) => preview.splits[s].real), color: REAL },
        { name: "fake", values: SPLIT_NAMES.map((s) => preview.splits[s].fake), color: FAKE },
      ],
      yTitle: "videos",
    });
  }

  private errorBlock(error: unknown): HTMLElement {
    if (!(error instanceof ApiError)) {
      return h("div", { class: "export-problem problem-error", id: "preview-error" }, h("p", {}, "The preview failed; change a value to try again."));
    }
    if (error.code === "empty_selection") {
      return h(
        "div",
        { class: "export-problem problem-empty", id: "preview-error", "data-code": error.code, role: "status" },
        h("h3", {}, "Nothing to export yet"),
        h("p", { class: "problem-message" }, error.message),
      );
    }
    if (error.code === "split_impossible") {
      const suggestion = String(error.details.suggestion ?? "").trim();
      const ratios = suggestedRatios(error);
      const apply = ratios
        ? h("button", { type: "button", class: "btn btn-small", id: "apply-suggestion" }, `Set the splits to ${ratios.join(" / ")}`)
        : null;
      apply?.addEventListener("click", () => this.applyRatios(ratios ?? []));
      return h(
        "div",
        { class: "export-problem problem-split", id: "preview-error", "data-code": error.code, role: "status" },
        h("h3", {}, "These videos cannot be split without sharing a person"),
        h("p", { class: "problem-message" }, error.message),
        suggestion || apply
          ? h(
              "div",
              { class: "problem-suggestion", id: "preview-suggestion" },
              h("strong", {}, "What you can do: "),
              suggestion ? h("span", {}, suggestion) : null,
              apply,
            )
          : null,
      );
    }
    const fields = Object.keys(error.fields).filter((f) => f !== "non_field_errors");
    return h(
      "div",
      { class: "export-problem problem-error", id: "preview-error", "data-code": error.code, role: "status" },
      h("h3", {}, fields.length ? "Check the highlighted setting" : "The preview failed"),
      h("p", { class: "problem-message" }, error.message),
    );
  }

  private counts(preview: ExportPreview): HTMLElement[] {
    const real = preview.labels.real ?? 0;
    const fake = preview.labels.fake ?? 0;
    const stats = h(
      "div",
      { class: "stat-row export-stats", id: "preview-stats" },
      stat("Videos", preview.videos, "videos"),
      stat("Real", real, "real"),
      stat("Fake", fake, "fake", preview.with_ground_truth ? `${preview.with_ground_truth} with masks` : undefined),
      stat("People", preview.identities, "identities"),
      stat("Faces", `≈${preview.faces_estimate}`, "faces", `${preview.options.frames_per_video} per video`),
    );
    const disjoint = h(
      "p",
      { class: "export-disjoint", id: "preview-disjoint" },
      h("span", { class: "badge status-succeeded" }, "identity-disjoint: yes"),
      h("span", { class: "muted" }, " no person appears in two splits (a fake counts for both faces it shows)."),
    );
    const rows = SPLIT_NAMES.map((name) => {
      const split = preview.splits[name];
      const people = split.identities.map(personName);
      return h(
        "tr",
        { "data-split": name, "data-videos": split.videos },
        h("th", { scope: "row" }, SPLIT_TITLES[name]),
        h("td", { class: "num split-videos" }, String(split.videos)),
        h("td", { class: "num split-real" }, String(split.real)),
        h("td", { class: "num split-fake" }, String(split.fake)),
        h("td", { class: "num split-people", title: people.join(", ") || null }, String(people.length)),
      );
    });
    const table = h(
      "table",
      { class: "data export-split-table", id: "preview-splits" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Split"),
          h("th", { scope: "col", class: "num" }, "Videos"),
          h("th", { scope: "col", class: "num" }, "Real"),
          h("th", { scope: "col", class: "num" }, "Fake"),
          h("th", { scope: "col", class: "num" }, "People"),
        ),
      ),
      h("tbody", {}, ...rows),
    );
    this.chart = h("div", { class: "chart export-split-chart", id: "preview-chart" });
    const methods = Object.entries(preview.methods).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const methodList = h(
      "p",
      { class: "export-methods", id: "preview-methods" },
      h("span", { class: "muted" }, "By method: "),
      ...methods.map(([method, count]) =>
        h("span", { class: `badge ${method === "real" ? "badge-real" : "badge-fake"}`, "data-method": method }, `${method} ${count}`),
      ),
    );
    return [stats, disjoint, table, this.chart, methodList];
  }
}

function errorCode(error: unknown): string {
  return error instanceof ApiError ? error.code : "error";
}

// "What gets caught": the project's own fakes grouped by how they were made
// (model, mask, feather, colour transfer, seamless clone), against each detector
// (share called fake) and each forensic signal (share where it stands out), as a
// heat-map table: the darker the cell, the more of that group is caught.
import type { CaughtMatrix, CaughtRow, Rate } from "../api/detection";
import { h } from "../shared/dom";
import { humanize } from "../shared/format";

const LOW: [number, number, number] = [241, 245, 249]; // nothing caught
const HIGH: [number, number, number] = [49, 46, 129]; // everything caught

/** Background of a rate cell, on one light-to-dark scale (readable without colour vision). */
export function rateColour(rate: number): string {
  const t = Math.max(0, Math.min(1, rate));
  const [r, g, b] = LOW.map((low, i) => Math.round(low + ((HIGH[i] ?? low) - low) * t)) as [number, number, number];
  return `rgb(${r}, ${g}, ${b})`;
}

export function signalLabel(name: string): string {
  const text = humanize(name);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function settingText(value: unknown, unit = ""): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "on" : "off";
  return `${String(value).replace(/_/g, " ")}${unit}`;
}

export class CaughtMatrixView {
  constructor(private readonly root: HTMLElement) {
    root.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  }

  showError(message: string): void {
    this.root.replaceChildren(h("p", { class: "error-text" }, message));
  }

  /** `descriptions`: what each signal measures, for the column headers' tooltips. */
  render(matrix: CaughtMatrix, descriptions: ReadonlyMap<string, string>): void {
    if (!matrix.rows.length) {
      this.root.replaceChildren(
        h("p", { class: "muted", id: "caught-empty" }, "No fakes made in this project yet. Convert videos with a swap model: each fake is grouped here by its settings once detection has run on it."),
      );
      return;
    }
    const signals = [...new Set(matrix.rows.flatMap((row) => Object.keys(row.signals)))].sort();
    const detectors = matrix.detectors;
    const settings = ["Swap model arch", "Mask", "Feather", "Colour transfer", "Seamless clone", "Fakes"];
    const table = h(
      "table",
      { class: "caught-table", id: "caught-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          { class: "caught-groups" },
          h("th", { scope: "colgroup", colspan: settings.length }, "How the fakes were made"),
          detectors.length ? h("th", { scope: "colgroup", colspan: detectors.length, class: "caught-group-start" }, "Detectors: called fake") : null,
          signals.length ? h("th", { scope: "colgroup", colspan: signals.length, class: "caught-group-start" }, `Signals: stand out (p90 z ≥ ${matrix.signal_threshold_z})`) : null,
        ),
        h(
          "tr",
          {},
          ...settings.map((label) => h("th", { scope: "col" }, label)),
          ...detectors.map((name, i) => h("th", { scope: "col", class: `caught-col${i === 0 ? " caught-group-start" : ""}`, "data-detector": name }, name)),
          ...signals.map((name, i) =>
            h("th", { scope: "col", class: `caught-col${i === 0 ? " caught-group-start" : ""}`, "data-signal": name, title: descriptions.get(name) ?? null }, signalLabel(name)),
          ),
        ),
      ),
      h("tbody", {}, ...matrix.rows.map((row, index) => this.row(row, index, detectors, signals))),
    );
    const legend = h(
      "div",
      { class: "caught-legend" },
      h("span", {}, "none caught"),
      h("span", { class: "caught-scale", "aria-hidden": "true" }),
      h("span", {}, "all caught"),
      h("span", { class: "caught-cell caught-none caught-legend-none" }, "—"),
      h("span", {}, "not run yet"),
    );
    const note = h(
      "p",
      { class: "muted caught-note" },
      `Each cell: the share of that group's fakes caught, with caught / scored. A detector catches a fake when the latest run calls it fake at the detector's threshold; a signal catches it when its 90th percentile sits at least ${matrix.signal_threshold_z} robust standard deviations from the video's own typical value, in the suspicious direction. A light cell is a way of making fakes that evades that check.`,
    );
    this.root.replaceChildren(h("div", { class: "table-scroll" }, table), legend, note);
  }

  private row(row: CaughtRow, index: number, detectors: string[], signals: string[]): HTMLTableRowElement {
    const s = row.settings;
    return h(
      "tr",
      { "data-row": index },
      h("td", { class: "mono-num" }, settingText(s.model)),
      h("td", {}, settingText(s.mask)),
      h("td", { class: "num" }, settingText(s.feather_px, " px")),
      h("td", {}, settingText(s.color_transfer)),
      h("td", {}, settingText(s.seamless_clone)),
      h("td", { class: "num" }, String(row.videos)),
      ...detectors.map((name, i) => this.cell(row.detectors[name], i === 0, `detector ${name}`)),
      ...signals.map((name, i) => this.cell(row.signals[name], i === 0, signalLabel(name))),
    );
  }

  private cell(rate: Rate | undefined, first: boolean, what: string): HTMLTableCellElement {
    const start = first ? " caught-group-start" : "";
    if (!rate || rate.rate === null) {
      return h("td", { class: `caught-cell caught-none${start}`, title: `${what}: no run on these fakes yet` }, "—");
    }
    const dark = rate.rate > 0.5;
    return h(
      "td",
      {
        class: `caught-cell${dark ? " caught-dark" : ""}${start}`,
        style: `background-color: ${rateColour(rate.rate)}`,
        "data-rate": rate.rate,
        title: `${what}: ${rate.caught} of ${rate.of} fakes caught`,
      },
      h("span", { class: "caught-rate" }, `${Math.round(rate.rate * 100)}%`),
      h("span", { class: "caught-count" }, `${rate.caught} / ${rate.of}`),
    );
  }
}

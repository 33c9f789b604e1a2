// Training history of one detector: validation AUC, accuracy and EER per epoch
// on one chart (all 0..1), validation log loss against the training loss on
// another, the kept epoch marked on both.
import type { Detector } from "../api/detection";
import { epochChart } from "../shared/charts/plotly";
import { h, setText } from "../shared/dom";
import { percent, realVideos } from "./detectionExplain";
import { metric } from "./detectorTable";

const COLOURS = {
  auc: "#4f46e5",
  accuracy: "#0f766e",
  eer: "#b45309",
  valLoss: "#cf222e",
  trainLoss: "#64748b",
};

/** " Calibrated: log loss 0.61 → 0.42; the threshold flags 10% of 10 validation real videos." */
function calibrationWords(detector: Detector): string {
  const best = detector.best;
  if (best.calibration === undefined) return "";
  if (best.calibration === null) return " Left uncalibrated (the validation faces ranked the wrong way round): the score is not a probability.";
  const fpr = best.threshold_fpr;
  // Platt's smoothed targets keep a small, perfectly separated validation set from
  // making the score certain: its own log loss then rises, which needs saying.
  const softened =
    best.log_loss !== null && best.log_loss !== undefined && best.log_loss_uncalibrated !== null && best.log_loss_uncalibrated !== undefined && best.log_loss > best.log_loss_uncalibrated
      ? " (higher on these faces: calibration keeps a small validation set the detector gets all right from making its score a certainty)"
      : "";
  return ` Calibrated (Platt scaling): log loss ${metric(best.log_loss_uncalibrated)} → ${metric(best.log_loss)}${softened}${fpr === null || fpr === undefined ? "" : `; the threshold flags ${percent(fpr)} of ${realVideos(best.real_videos)}`}.`;
}

export class DetectorHistory {
  private readonly select: HTMLSelectElement;
  private readonly summary: HTMLParagraphElement;
  private readonly rates: HTMLDivElement;
  private readonly losses: HTMLDivElement;
  private readonly charts: HTMLDivElement;
  private readonly empty: HTMLParagraphElement;
  private key = "";

  constructor(
    root: HTMLElement,
    private readonly onSelect: (id: number) => void,
  ) {
    this.select = h("select", { id: "history-detector", "aria-label": "Detector" });
    this.select.addEventListener("change", () => this.onSelect(Number(this.select.value)));
    this.summary = h("p", { class: "history-summary", id: "history-summary" });
    this.rates = h("div", { class: "chart chart-epochs", id: "history-rates", "data-epochs": "0" });
    this.losses = h("div", { class: "chart chart-epochs", id: "history-losses", "data-epochs": "0" });
    this.empty = h("p", { class: "muted", id: "history-empty" }, "No detector has been trained yet: its per-epoch metrics will show here.");
    this.charts = h(
      "div",
      { class: "history-charts" },
      h("figure", { class: "history-figure" }, h("figcaption", {}, "AUC, accuracy and equal error rate ", h("span", { class: "muted" }, "(AUC and accuracy: higher is better; EER: lower is better)")), this.rates),
      h("figure", { class: "history-figure" }, h("figcaption", {}, "Log loss ", h("span", { class: "muted" }, "(lower is better; 0.693 is a constant guess of 0.5)")), this.losses),
    );
    root.replaceChildren(
      h("div", { class: "history-controls" }, h("label", { for: "history-detector" }, "Detector"), this.select, this.summary),
      this.empty,
      this.charts,
      h(
        "p",
        { class: "muted chart-legend-note" },
        "AUC: the chance that a random fake face scores above a random real one (0.5 is chance). Accuracy: share of validation faces on the right side of 0.5. EER: the error rate at the threshold where reals called fake and fakes missed are equally frequent.",
      ),
    );
  }

  update(detectors: Detector[], selected: number | null): void {
    const trained = detectors.filter((d) => d.history.length > 0);
    const options = trained.map((d) => h("option", { value: d.id, selected: d.id === selected }, `${d.name} (${d.arch})`));
    this.select.replaceChildren(...options);
    this.select.disabled = trained.length === 0;
    const detector = trained.find((d) => d.id === selected) ?? trained[0] ?? null;
    this.empty.hidden = detector !== null;
    this.charts.hidden = detector === null;
    if (!detector) {
      setText(this.summary, "");
      this.key = "";
      return;
    }
    this.select.value = String(detector.id);
    const key = `${detector.id}:${detector.updated_at}:${detector.history.length}`;
    if (key === this.key) return;
    this.key = key;
    this.draw(detector);
  }

  private draw(detector: Detector): void {
    const history = detector.history;
    const x = history.map((e) => e.epoch);
    const best = detector.best.epoch ?? null;
    const val = detector.best.val;
    setText(
      this.summary,
      best === null
        ? ""
        : `Kept epoch ${best} of ${history.length}: AUC ${metric(val?.auc)}, log loss ${metric(val?.log_loss)}, accuracy ${metric(val?.accuracy)}, EER ${metric(val?.eer)} on ${val?.count ?? "?"} validation faces; video threshold ${metric(detector.threshold, 2)} (it calls the validation faces as the equal-error point does, set midway to the next lower score).${calibrationWords(detector)}`,
    );
    const markLabel = best === null ? "" : `kept: epoch ${best}`;
    epochChart(this.rates, {
      yTitle: "rate",
      yRange: [0, 1.02],
      markEpoch: best,
      markLabel,
      series: [
        { name: "AUC", x, y: history.map((e) => e.val.auc), color: COLOURS.auc },
        { name: "accuracy", x, y: history.map((e) => e.val.accuracy), color: COLOURS.accuracy },
        { name: "EER", x, y: history.map((e) => e.val.eer), color: COLOURS.eer },
      ],
    });
    epochChart(this.losses, {
      yTitle: "log loss (nats)",
      yFromZero: true,
      markEpoch: best,
      markLabel,
      series: [
        { name: "validation log loss", x, y: history.map((e) => e.val.log_loss), color: COLOURS.valLoss },
        { name: "training loss (augmented faces)", x, y: history.map((e) => e.train_loss), color: COLOURS.trainLoss },
      ],
    });
    this.rates.dataset.epochs = String(history.length);
    this.losses.dataset.epochs = String(history.length);
  }
}

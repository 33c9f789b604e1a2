// Fact-check report of one video: the print button, exact timecodes from the video's
// own frame timestamps, a note in place of a key frame that cannot be decoded, and
// the detector score and forensic signal charts (sized to fit an A4 page).
import { apiGet } from "../api/client";
import type { SignalSeries } from "../api/review";
import { type FrameBand, frameSeriesChart, type LineSeries } from "../charts/plotly";
import { dataNumber, h, onReady } from "../components/dom";
import { formatTimecode, humanize } from "../components/format";

interface ReportSeries {
  frames: number[];
  score: (number | null)[];
  threshold: number | null;
  signals: Record<string, SignalSeries>;
}

/** A4 portrait, 14 mm margins: about 690 CSS pixels of width. */
const CHART_WIDTH = 680;
const SIGNAL_COLORS = ["#4f46e5", "#0f766e", "#c2410c", "#be185d", "#0369a1", "#4d7c0f", "#7c3aed", "#a16207"];

function readSeries(): ReportSeries | null {
  const text = document.getElementById("report-series")?.textContent;
  if (!text) return null;
  return JSON.parse(text) as ReportSeries;
}

function markBands(): FrameBand[] {
  return [...document.querySelectorAll<HTMLElement>(".report-mark[data-start]")].map((el) => ({
    start: Number(el.dataset.start),
    end: Number(el.dataset.end),
    color: el.dataset.color ?? "#888888",
    label: el.dataset.kindLabel ?? "",
  }));
}

function drawCharts(series: ReportSeries, frameCount: number | null): void {
  const bands = markBands();
  const scoreRoot = document.getElementById("report-score-chart");
  const hasScore = series.score.some((v) => v !== null);
  if (scoreRoot) {
    if (hasScore) {
      frameSeriesChart(scoreRoot, {
        title: "",
        series: [{ name: "fake score", x: series.frames, y: series.score, color: "#cf222e" }],
        yTitle: "score (1 = fake)",
        yRange: [0, 1],
        threshold: series.threshold,
        thresholdLabel: series.threshold === null ? "" : `fake at ≥ ${series.threshold.toFixed(2)}`,
        bands,
        frameCount,
        width: CHART_WIDTH,
        height: 230,
      });
    } else {
      scoreRoot.closest(".report-chart-block")?.replaceWith(h("p", { class: "muted" }, "No detector score: this run measured the forensic signals only."));
    }
  }
  const signalRoot = document.getElementById("report-signal-chart");
  const names = Object.keys(series.signals);
  if (signalRoot && names.length) {
    const lines: LineSeries[] = names.map((name, i) => ({
      name: humanize(name),
      x: series.frames,
      y: series.signals[name]?.norm ?? [],
      color: SIGNAL_COLORS[i % SIGNAL_COLORS.length] ?? "#4f46e5",
    }));
    frameSeriesChart(signalRoot, {
      title: "",
      series: lines,
      yTitle: "0.5 typical · higher suspicious",
      yRange: [0, 1],
      bands,
      frameCount,
      width: CHART_WIDTH,
      height: 300,
    });
  } else if (signalRoot) {
    signalRoot.closest(".report-chart-block")?.remove();
  }
}

/** Replaces the fps-based times with the video's own frame timestamps, when it has them. */
async function exactTimecodes(url: string): Promise<void> {
  const pts = await apiGet<number[]>(url);
  if (!Array.isArray(pts) || !pts.length) return;
  const start = pts[0] ?? 0;
  for (const el of document.querySelectorAll<HTMLElement>(".timecode[data-frame]")) {
    const t = pts[Number(el.dataset.frame)];
    if (t !== undefined) el.textContent = formatTimecode(t - start);
  }
}

function guardKeyFrames(): void {
  for (const img of document.querySelectorAll<HTMLImageElement>("img.report-keyframe")) {
    const replace = (): void => {
      const frame = img.closest(".report-frame");
      frame?.replaceChildren(h("div", { class: "report-frame-missing" }, "Key frame image unavailable (the video could not be decoded here)."));
    };
    if (img.complete && img.naturalWidth === 0) replace();
    else img.addEventListener("error", replace, { once: true });
  }
}

onReady(() => {
  const report = document.getElementById("review-report");
  if (!report) return;
  document.getElementById("report-print")?.addEventListener("click", () => window.print());
  guardKeyFrames();
  const series = readSeries();
  if (series && series.frames.length) drawCharts(series, dataNumber(report, "frameCount"));
  const ptsUrl = report.dataset.framePtsUrl;
  if (ptsUrl) void exactTimecodes(ptsUrl).catch(() => undefined);
});

// Fact-check report of one video: the print button, exact timecodes from the video's
// own frame timestamps, a note in place of a key frame that cannot be decoded, the
// detector's manipulation map over key frames, and the detector score and forensic
// signal charts (sized to fit an A4 page).
import { apiGet } from "../api/client";
import type { FaceMap } from "../api/detection";
import type { SignalSeries } from "../api/review";
import { type FrameBand, frameSeriesChart, type LineSeries, measuredPoints } from "../shared/charts/plotly";
import { percent } from "../detection/detectionExplain";
import { dataNumber, h, onReady } from "../shared/dom";
import { formatTimecode, humanize } from "../shared/format";
import { DEFAULT_CROP_MARGIN, drawFaceMaps } from "../review/heatMap";

interface ReportSeries {
  frames: number[];
  /** Scored on analysed frames; null on the landmark-only samples between them. */
  score: (number | null)[];
  threshold: number | null;
  calibrated?: boolean | null;
  threshold_fpr?: number | null;
  crop_margin?: number | null;
  signals: Record<string, SignalSeries>;
  /** The maps the report draws, by analysed frame. */
  maps?: Record<string, FaceMap[]>;
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
  // Only analysed frames are scored: chart those (the landmark-only samples between
  // them are null, and plotted with them every point would be a lone, invisible one).
  const scored = measuredPoints(series.frames, series.score);
  if (scoreRoot) {
    scoreRoot.dataset.points = String(scored.x.length);
    if (scored.x.length) {
      const calibrated = series.calibrated === true;
      const threshold = series.threshold;
      const fpr = calibrated ? series.threshold_fpr : null;
      frameSeriesChart(scoreRoot, {
        title: "",
        series: [{ name: calibrated ? "fake probability" : "fake score", x: scored.x, y: scored.y, color: "#cf222e" }],
        yTitle: calibrated ? "fake probability" : "score (uncalibrated)",
        yRange: [0, 1],
        threshold,
        thresholdLabel: threshold === null ? "" : `fake at ≥ ${threshold.toFixed(2)}${fpr !== null && fpr !== undefined ? ` · flags ${percent(fpr)} of real videos` : ""}`,
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

/** The detector's map over each key frame that has one (the frame's `data-map-frame`):
 * a canvas over the image, at the face's crop square, in red (weak) to yellow (strong). */
function drawKeyFrameMaps(series: ReportSeries, sourceWidth: number | null, sourceHeight: number | null): void {
  const maps = series.maps ?? {};
  for (const frame of document.querySelectorAll<HTMLElement>(".report-frame[data-map-frame]")) {
    const faces = maps[frame.dataset.mapFrame ?? ""];
    const img = frame.querySelector<HTMLImageElement>("img.report-keyframe");
    if (!faces?.length || !img) continue;
    const draw = (): void => {
      const sw = sourceWidth || img.naturalWidth;
      const sh = sourceHeight || img.naturalHeight;
      if (!sw || !sh || !img.naturalWidth) return;
      // Twice the shown size, so the map stays smooth in print.
      const canvas = h("canvas", { class: "report-heat", width: 960, height: Math.round((960 * sh) / sw), "aria-hidden": "true" });
      const ctx = canvas.getContext("2d");
      if (!ctx) return;
      const scale = canvas.width / sw;
      const drawn = drawFaceMaps(ctx, faces, series.crop_margin ?? DEFAULT_CROP_MARGIN, { left: 0, top: 0, scaleX: scale, scaleY: scale });
      canvas.dataset.faces = String(drawn);
      frame.querySelector("canvas.report-heat")?.remove();
      img.after(canvas);
    };
    if (img.complete && img.naturalWidth) draw();
    else img.addEventListener("load", draw, { once: true });
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
  if (series) drawKeyFrameMaps(series, dataNumber(report, "width"), dataNumber(report, "height"));
  const ptsUrl = report.dataset.framePtsUrl;
  if (ptsUrl) void exactTimecodes(ptsUrl).catch(() => undefined);
});

// The one door to Plotly: plotly.min.js is shipped as a separate vendor file
// (dist/vendor/plotly.min.js, loaded by a classic <script> before the page
// module) and reached here through window.Plotly. One function per chart kind.

interface PlotlyStatic {
  react(root: HTMLElement, data: object[], layout: object, config: object): Promise<unknown>;
  relayout(root: HTMLElement, update: object): Promise<unknown>;
  purge(root: HTMLElement): void;
  Plots: { resize(root: HTMLElement): void };
}

declare global {
  interface Window {
    Plotly?: PlotlyStatic;
  }
}

const FONT = { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12, color: "#334155" };
const CONFIG = { displayModeBar: false, responsive: true };

function plotly(root: HTMLElement): PlotlyStatic | null {
  const lib = window.Plotly;
  if (!lib) {
    root.textContent = "Charts need plotly.min.js, which did not load; run `npm run build` in frontend/.";
    root.classList.add("chart-missing");
  }
  return lib ?? null;
}

function baseLayout(title: string, xTitle: string, yTitle: string): Record<string, unknown> {
  return {
    title: { text: title, font: { ...FONT, size: 14 }, x: 0, xanchor: "left", pad: { l: 4 } },
    font: FONT,
    margin: { l: 52, r: 12, t: 36, b: 44 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    xaxis: { title: { text: xTitle }, gridcolor: "#e2e8f0", zeroline: false },
    yaxis: { title: { text: yTitle }, gridcolor: "#e2e8f0", zeroline: false },
  };
}

function centres(edges: readonly number[]): number[] {
  return edges.slice(0, -1).map((edge, i) => (edge + (edges[i + 1] ?? edge)) / 2);
}

export interface HeatmapInput {
  title: string;
  /** Bin edges along x and y; counts[row = y bin][column = x bin]. */
  xEdges: readonly number[];
  yEdges: readonly number[];
  counts: readonly (readonly number[])[];
  xTitle: string;
  yTitle: string;
  /** Hover text for empty cells, which are drawn in a warning colour. */
  emptyLabel: string;
}

/** A count heatmap whose empty cells stand out (the pose coverage map). */
export function heatmap(root: HTMLElement, input: HeatmapInput): void {
  const lib = plotly(root);
  if (!lib) return;
  const x = centres(input.xEdges);
  const y = centres(input.yEdges);
  const filled = input.counts.map((row) => row.map((n) => (n > 0 ? n : null)));
  const empty = input.counts.map((row) => row.map((n) => (n > 0 ? null : 1)));
  const xLabels = x.map((_, i) => `${input.xEdges[i]}…${input.xEdges[i + 1]}°`);
  const yLabels = y.map((_, i) => `${input.yEdges[i]}…${input.yEdges[i + 1]}°`);
  const data = [
    {
      type: "heatmap",
      x,
      y,
      z: empty,
      colorscale: [[0, "#fde2e1"], [1, "#fde2e1"]],
      showscale: false,
      xgap: 2,
      ygap: 2,
      text: yLabels.map((label) => xLabels.map((xl) => `${input.emptyLabel}<br>yaw ${xl}, pitch ${label}`)),
      hovertemplate: "%{text}<extra></extra>",
      name: input.emptyLabel,
    },
    {
      type: "heatmap",
      x,
      y,
      z: filled,
      colorscale: [[0, "#dbeafe"], [1, "#1d4ed8"]],
      zmin: 1,
      xgap: 2,
      ygap: 2,
      texttemplate: "%{z}",
      textfont: { size: 10 },
      colorbar: { thickness: 10, outlinewidth: 0, title: { text: "faces", side: "right" } },
      hovertemplate: "yaw %{x}°, pitch %{y}°: %{z} faces<extra></extra>",
      name: "faces",
    },
  ];
  const layout = baseLayout(input.title, input.xTitle, input.yTitle);
  layout.xaxis = { ...(layout.xaxis as object), tickvals: [...input.xEdges], showgrid: false };
  layout.yaxis = { ...(layout.yaxis as object), tickvals: [...input.yEdges], showgrid: false };
  layout.plot_bgcolor = "#f8fafc";
  void lib.react(root, data, layout, CONFIG);
}

export interface HistogramInput {
  title: string;
  counts: readonly number[];
  edges: readonly number[];
  xTitle: string;
  color?: string;
}

/** Bars of pre-binned counts (the server bins: no raw values cross the wire). */
export function histogram(root: HTMLElement, input: HistogramInput): void {
  const lib = plotly(root);
  if (!lib) return;
  const x = centres(input.edges);
  const widths = input.edges.slice(0, -1).map((edge, i) => (input.edges[i + 1] ?? edge) - edge);
  const data = [
    {
      type: "bar",
      x,
      y: [...input.counts],
      width: widths,
      marker: { color: input.color ?? "#2563eb", line: { color: "#ffffff", width: 1 } },
      customdata: input.edges.slice(0, -1).map((edge, i) => [edge, input.edges[i + 1] ?? edge]),
      hovertemplate: "%{customdata[0]:.1f} – %{customdata[1]:.1f}: %{y} faces<extra></extra>",
    },
  ];
  const layout = baseLayout(input.title, input.xTitle, "faces");
  layout.bargap = 0;
  void lib.react(root, data, layout, CONFIG);
}

export interface LineSeries {
  name: string;
  x: readonly number[];
  y: readonly (number | null)[];
  color: string;
}

export interface LineChartInput {
  title: string;
  series: readonly LineSeries[];
  xTitle: string;
  yTitle: string;
  /** Logarithmic y axis (loss curves). */
  logY?: boolean;
  /** Shown in the middle of the plot when there is no point yet. */
  emptyLabel?: string;
}

/**
 * Readable ticks for a log axis over the data's [min, max]: 1-2-5 per decade,
 * denser mantissas when that gives fewer than three, and plain steps for a
 * range narrower than a decade's digits (late training: 0.11 … 0.13).
 */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max >= min)) return [];
  const inside = (v: number): boolean => v >= min / 1.05 && v <= max * 1.05;
  const sets: [number[], number][] = [
    [[1, 2, 5], 4],
    [[1, 2, 3, 5, 7], 3],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9], 3],
  ];
  for (const [mantissas, enough] of sets) {
    const ticks: number[] = [];
    for (let exp = Math.floor(Math.log10(min)); exp <= Math.ceil(Math.log10(max)); exp += 1) {
      for (const m of mantissas) {
        const v = Number((m * 10 ** exp).toPrecision(3));
        if (inside(v)) ticks.push(v);
      }
    }
    if (ticks.length >= enough) return ticks;
  }
  if (max === min) return [min];
  const raw = (max - min) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max * 1.0001; v += step) ticks.push(Number(v.toPrecision(6)));
  return ticks;
}

/** Lines against a shared x (loss against iteration); redraws in place on each call. */
export function lineChart(root: HTMLElement, input: LineChartInput): void {
  const lib = plotly(root);
  if (!lib) return;
  const data = input.series.map((s) => ({
    type: "scatter",
    mode: s.x.length > 1 ? "lines" : "markers",
    name: s.name,
    x: [...s.x],
    y: [...s.y],
    line: { color: s.color, width: 1.8 },
    marker: { color: s.color, size: 6 },
    hovertemplate: `${s.name}: %{y:.4g}<extra>iteration %{x:,}</extra>`,
  }));
  const layout = baseLayout(input.title, input.xTitle, input.yTitle);
  const values = input.series.flatMap((s) => s.y).filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  const yaxis: Record<string, unknown> = { ...(layout.yaxis as object), type: input.logY ? "log" : "linear" };
  if (input.logY && values.length) {
    const ticks = logTicks(Math.min(...values), Math.max(...values));
    yaxis.tickvals = ticks;
    yaxis.ticktext = ticks.map((v) => String(Number(v.toPrecision(3))));
  }
  layout.yaxis = yaxis;
  layout.xaxis = { ...(layout.xaxis as object), rangemode: "tozero", tickformat: ",d" };
  layout.legend = { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom", bgcolor: "rgba(0,0,0,0)" };
  layout.hovermode = "x unified";
  if (!input.title) layout.margin = { l: 56, r: 12, t: 28, b: 44 };
  const empty = input.series.every((s) => s.x.length === 0);
  if (empty) {
    // No axes to read off nothing: just the hint.
    layout.xaxis = { visible: false };
    layout.yaxis = { visible: false };
    layout.showlegend = false;
    if (input.emptyLabel) {
      layout.annotations = [
        { text: input.emptyLabel, xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { ...FONT, color: "#818b98" } },
      ];
    }
  }
  void lib.react(root, data, layout, CONFIG);
}

/** Frees a chart's memory and listeners (before its element leaves the page). */
export function clear(root: HTMLElement): void {
  window.Plotly?.purge(root);
}

export interface EpochChartInput {
  series: readonly LineSeries[];
  yTitle: string;
  /** Fixed y range ([0, 1] for rates); otherwise Plotly fits the data. */
  yRange?: readonly [number, number];
  /** Without a fixed range: start the y axis at zero (losses). */
  yFromZero?: boolean;
  /** A dotted vertical line at this epoch (the one a detector keeps), labeled. */
  markEpoch?: number | null;
  markLabel?: string;
  /** d3 format of the hover values; default 3 decimals. */
  format?: string;
  emptyLabel?: string;
}

/** Metrics against training epoch (lines and points: runs have few epochs). */
export function epochChart(root: HTMLElement, input: EpochChartInput): void {
  const lib = plotly(root);
  if (!lib) return;
  const format = input.format ?? ".3f";
  const data = input.series.map((s) => ({
    type: "scatter",
    mode: "lines+markers",
    name: s.name,
    x: [...s.x],
    y: [...s.y],
    line: { color: s.color, width: 1.8 },
    marker: { color: s.color, size: 6 },
    hovertemplate: `${s.name}: %{y:${format}}<extra></extra>`,
  }));
  const layout = baseLayout("", "epoch", input.yTitle);
  const epochs = input.series.reduce((most, s) => Math.max(most, s.x.length), 0);
  layout.margin = { l: 56, r: 12, t: 28, b: 44 };
  layout.xaxis = { ...(layout.xaxis as object), tickformat: "d", ...(epochs <= 20 ? { dtick: 1 } : {}) };
  if (input.yRange) layout.yaxis = { ...(layout.yaxis as object), range: [...input.yRange] };
  else if (input.yFromZero) layout.yaxis = { ...(layout.yaxis as object), rangemode: "tozero" };
  layout.legend = { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom", bgcolor: "rgba(0,0,0,0)" };
  layout.hovermode = "x unified";
  if (input.markEpoch !== null && input.markEpoch !== undefined && epochs > 0) {
    layout.shapes = [
      { type: "line", xref: "x", yref: "paper", x0: input.markEpoch, x1: input.markEpoch, y0: 0, y1: 1, line: { color: "#64748b", width: 1, dash: "dot" } },
    ];
    layout.annotations = [
      {
        text: input.markLabel ?? `epoch ${input.markEpoch}`,
        xref: "x",
        yref: "paper",
        x: input.markEpoch,
        y: 0,
        yanchor: "bottom",
        xanchor: "left",
        xshift: 4,
        showarrow: false,
        font: { ...FONT, size: 11, color: "#475569" },
        bgcolor: "rgba(255,255,255,0.85)",
      },
    ];
  }
  if (epochs === 0) {
    layout.xaxis = { visible: false };
    layout.yaxis = { visible: false };
    layout.showlegend = false;
    layout.annotations = [
      { text: input.emptyLabel ?? "No epochs yet.", xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { ...FONT, color: "#818b98" } },
    ];
  }
  void lib.react(root, data, layout, CONFIG);
}

export interface RocChartInput {
  fpr: readonly number[];
  tpr: readonly number[];
  /** Score threshold of each ROC point; null for "above every score". */
  thresholds: readonly (number | null)[];
  /** Where the chosen threshold puts the detector. */
  point?: { fpr: number; tpr: number; threshold: number } | null;
  /** Equal error rate, marked where the curve meets FPR = 1 − TPR. */
  eer?: number | null;
  curveName?: string;
}

/** A ROC curve with the chance line, the EER point and the chosen operating point. */
export function rocChart(root: HTMLElement, input: RocChartInput): void {
  const lib = plotly(root);
  if (!lib) return;
  const thresholdText = input.thresholds.map((t) => (t === null ? "above every score" : `score ≥ ${t.toFixed(3)}`));
  const data: object[] = [
    {
      type: "scatter",
      mode: "lines",
      name: "chance",
      x: [0, 1],
      y: [0, 1],
      line: { color: "#94a3b8", width: 1, dash: "dash" },
      hoverinfo: "skip",
    },
    {
      type: "scatter",
      mode: "lines+markers",
      name: input.curveName ?? "ROC",
      x: [...input.fpr],
      y: [...input.tpr],
      text: thresholdText,
      line: { color: "#4f46e5", width: 2 },
      marker: { color: "#4f46e5", size: 5 },
      hovertemplate: "fake if %{text}<br>false positive rate %{x:.3f}<br>true positive rate %{y:.3f}<extra></extra>",
    },
  ];
  if (input.eer !== null && input.eer !== undefined) {
    data.push({
      type: "scatter",
      mode: "markers",
      name: `EER ${input.eer.toFixed(3)}`,
      x: [input.eer],
      y: [1 - input.eer],
      marker: { color: "#ffffff", size: 10, symbol: "diamond", line: { color: "#0f766e", width: 2 } },
      hovertemplate: "equal error rate %{x:.3f}<extra></extra>",
    });
  }
  if (input.point) {
    data.push({
      type: "scatter",
      mode: "markers",
      name: `threshold ${input.point.threshold.toFixed(2)}`,
      x: [input.point.fpr],
      y: [input.point.tpr],
      marker: { color: "#cf222e", size: 12, line: { color: "#ffffff", width: 2 } },
      hovertemplate: `threshold ${input.point.threshold.toFixed(2)}<br>false positive rate %{x:.3f}<br>true positive rate %{y:.3f}<extra></extra>`,
    });
  }
  const layout = baseLayout("", "false positive rate (reals called fake)", "true positive rate (fakes caught)");
  layout.margin = { l: 56, r: 16, t: 16, b: 48 };
  layout.xaxis = { ...(layout.xaxis as object), range: [-0.02, 1.02], dtick: 0.2, constrain: "domain" };
  layout.yaxis = { ...(layout.yaxis as object), range: [-0.02, 1.02], dtick: 0.2, scaleanchor: "x", scaleratio: 1, constrain: "domain" };
  layout.legend = { x: 0.98, xanchor: "right", y: 0.04, yanchor: "bottom", bgcolor: "rgba(255,255,255,0.9)", bordercolor: "#e2e8f0", borderwidth: 1 };
  layout.hovermode = "closest";
  void lib.react(root, data, layout, CONFIG);
}

// --- review timeline: forensic signals over frames ---------------------------------

export interface SignalLine {
  name: string;
  /** Sampled frame indices and the signal's normalised value (0..1) at each. */
  frames: readonly number[];
  values: readonly (number | null)[];
  color: string;
  /** Shown on hover: what the signal measures. */
  description: string;
}

export interface SignalTimelineInput {
  lines: readonly SignalLine[];
  frameCount: number;
  onFrameClick(frame: number): void;
}

export interface SignalTimeline {
  /** Shows frames [start, end) like the timeline above it. */
  setWindow(start: number, end: number): void;
  setPlayhead(frame: number): void;
}

type PlotlyElement = HTMLElement & { on?: (event: string, cb: (data: { points?: { x: number }[] }) => void) => void };

/**
 * The measured points of a per-frame series: detection samples mix analysed frames
 * (scored, every signal) with landmark-only samples (temporal signals only), so a
 * series is null on many samples. Plotted as is, with gaps kept, every measured point
 * between two nulls would be an invisible one-point line; without the nulls the line
 * joins the measured samples.
 */
export function measuredPoints(x: readonly number[], y: readonly (number | null | undefined)[]): { x: number[]; y: number[] } {
  const out = { x: [] as number[], y: [] as number[] };
  x.forEach((frame, i) => {
    const value = y[i];
    if (value !== null && value !== undefined && Number.isFinite(value)) {
      out.x.push(frame);
      out.y.push(value);
    }
  });
  return out;
}

/** One series as a scatter trace of its measured points only (unmeasured samples are
 * skipped, not drawn as gaps); markers while there are at most ``markersUpTo`` points. */
function measuredLine(
  name: string, color: string, x: readonly number[], y: readonly (number | null | undefined)[],
  markersUpTo: number, hovertemplate: string,
): Record<string, unknown> {
  const points = measuredPoints(x, y);
  return {
    type: "scatter",
    mode: points.x.length > markersUpTo ? "lines" : "lines+markers",
    name,
    x: points.x,
    y: points.y,
    line: { color, width: 1.6 },
    marker: { color, size: 4 },
    hovertemplate,
  };
}

/** Signals as lines over frame index, kept in step with the frame timeline's window
 * and playhead. 0.5 is the video's typical value; higher is more suspicious. */
export function signalTimeline(root: HTMLElement, input: SignalTimelineInput): SignalTimeline | null {
  const lib = plotly(root);
  if (!lib) return null;
  const data = input.lines.map((line) => {
    return measuredLine(line.name, line.color, line.frames, line.values, 60,
      `<b>${line.name}</b> %{y:.2f}<br>${line.description.replace(/[<>]/g, "")}<extra>frame %{x}</extra>`);
  });
  const layout = {
    ...baseLayout("", "", "suspicion (0.5 typical)"),
    height: 170,
    // The timeline above draws frames from x = 156 px to its right edge: match it.
    margin: { l: 156, r: 0, t: 6, b: 22 },
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.18, yanchor: "bottom", font: { ...FONT, size: 11 } },
    hovermode: "closest",
    xaxis: { range: [0, input.frameCount], gridcolor: "#e2e8f0", zeroline: false, tickformat: ",d" },
    yaxis: { range: [0, 1.02], gridcolor: "#e2e8f0", zeroline: false, tickvals: [0, 0.5, 1],
             title: { text: "suspicion", font: { ...FONT, size: 11 } } },
    shapes: [] as object[],
  };
  const playhead = (frame: number): object => ({
    type: "line", xref: "x", yref: "paper", x0: frame, x1: frame, y0: 0, y1: 1,
    line: { color: "#cf222e", width: 1.5 },
  });
  const typical = { type: "line", xref: "paper", yref: "y", x0: 0, x1: 1, y0: 0.5, y1: 0.5,
                    line: { color: "#94a3b8", width: 1, dash: "dot" } };
  layout.shapes = [typical, playhead(0)];
  void lib.react(root, data, layout, CONFIG).then(() => {
    (root as PlotlyElement).on?.("plotly_click", (event) => {
      const x = event.points?.[0]?.x;
      if (typeof x === "number") input.onFrameClick(Math.round(x));
    });
  });
  let pending: Record<string, unknown> = {};
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const update = pending;
    pending = {};
    void lib.relayout(root, update);
  };
  const schedule = (update: Record<string, unknown>): void => {
    Object.assign(pending, update);
    if (!scheduled) {
      scheduled = true;
      // Relayout at most every 100 ms: playback and wheel zoom fire far more often.
      window.setTimeout(flush, 100);
    }
  };
  return {
    setWindow: (start, end) => schedule({ "xaxis.range": [start, end] }),
    setPlayhead: (frame) => schedule({ shapes: [typical, playhead(frame)] }),
  };
}

export interface HorizontalBarInput {
  /** One bar per category, drawn top to bottom in this order. */
  labels: readonly string[];
  values: readonly number[];
  colors?: readonly string[];
  xTitle: string;
  /** Fixed x range ([0, 1] for overlaps); otherwise Plotly fits the data. */
  xRange?: readonly [number, number];
  /** Extra hover line per bar ("3 videos"). */
  hoverText?: readonly string[];
  /** d3 format of the values; default 2 decimals. */
  format?: string;
  emptyLabel?: string;
}

/** Horizontal bars, one per category, value printed at the bar's end (mark overlap per kind). */
export function horizontalBarChart(root: HTMLElement, input: HorizontalBarInput): void {
  const lib = plotly(root);
  if (!lib) return;
  const format = input.format ?? ".2f";
  const data = [
    {
      type: "bar",
      orientation: "h",
      y: [...input.labels],
      x: [...input.values],
      text: input.values.map((v) => v.toFixed(2)),
      textposition: "outside",
      cliponaxis: false,
      customdata: input.hoverText ? [...input.hoverText] : input.labels.map(() => ""),
      marker: { color: input.colors ? [...input.colors] : "#4f46e5" },
      hovertemplate: `%{y}: %{x:${format}}<br>%{customdata}<extra></extra>`,
    },
  ];
  const layout = baseLayout("", input.xTitle, "");
  const longest = input.labels.reduce((most, label) => Math.max(most, label.length), 0);
  layout.margin = { l: Math.min(220, 16 + longest * 7), r: 36, t: 8, b: 44 };
  layout.xaxis = { ...(layout.xaxis as object), ...(input.xRange ? { range: [...input.xRange] } : {}) };
  layout.yaxis = { autorange: "reversed", automargin: true, gridcolor: "#e2e8f0" };
  layout.bargap = 0.35;
  layout.height = Math.max(140, 60 + input.labels.length * 30);
  if (input.labels.length === 0) {
    layout.xaxis = { visible: false };
    layout.yaxis = { visible: false };
    layout.annotations = [
      { text: input.emptyLabel ?? "Nothing to show yet.", xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { ...FONT, color: "#818b98" } },
    ];
  }
  void lib.react(root, data, layout, CONFIG);
}

export interface FrameBand {
  start: number;
  end: number;
  color: string;
  label: string;
}

export interface FrameSeriesInput {
  title: string;
  /** Lines over frame index (x = frame numbers). */
  series: readonly LineSeries[];
  yTitle: string;
  yRange?: readonly [number, number];
  /** A dashed horizontal line (the detector's threshold). */
  threshold?: number | null;
  thresholdLabel?: string;
  /** Shaded frame ranges behind the lines (artifact marks). */
  bands?: readonly FrameBand[];
  /** Full x extent (the video's frames), so charts of one video line up. */
  frameCount?: number | null;
  /** Fixed size in CSS pixels (print: sized for an A4 page); else fills its box. */
  width?: number;
  height?: number;
}

/** Per-frame series of one video (detector score, forensic signals) with marked ranges shaded. */
export function frameSeriesChart(root: HTMLElement, input: FrameSeriesInput): void {
  const lib = plotly(root);
  if (!lib) return;
  const data: object[] = input.series.map((s) => {
    return measuredLine(s.name, s.color, s.x, s.y, 40, `${s.name}: %{y:.3f}<extra>frame %{x}</extra>`);
  });
  const layout = baseLayout(input.title, "frame", input.yTitle);
  const legend = input.series.length > 1;
  // The legend sits on top, in a row of its own: below, it would collide with the x title.
  layout.margin = { l: 52, r: 12, t: (input.title ? 36 : 8) + (legend ? 26 : 0), b: 44 };
  const xMax = input.frameCount ? input.frameCount - 1 : undefined;
  layout.xaxis = { ...(layout.xaxis as object), tickformat: "d", ...(xMax !== undefined ? { range: [0, xMax] } : {}) };
  if (input.yRange) layout.yaxis = { ...(layout.yaxis as object), range: [...input.yRange] };
  layout.showlegend = legend;
  layout.legend = { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom", bgcolor: "rgba(0,0,0,0)" };
  layout.hovermode = "x unified";
  const shapes: object[] = (input.bands ?? []).map((band) => ({
    type: "rect",
    xref: "x",
    yref: "paper",
    // Inclusive frame ranges: a one-frame mark still shows as a band one frame wide.
    x0: band.start - 0.5,
    x1: band.end + 0.5,
    y0: 0,
    y1: 1,
    fillcolor: band.color,
    opacity: 0.18,
    line: { width: 0 },
    layer: "below",
  }));
  if (input.threshold !== null && input.threshold !== undefined) {
    shapes.push({ type: "line", xref: "paper", yref: "y", x0: 0, x1: 1, y0: input.threshold, y1: input.threshold, line: { color: "#cf222e", width: 1, dash: "dash" } });
    layout.annotations = [
      {
        text: input.thresholdLabel ?? `threshold ${input.threshold.toFixed(2)}`,
        xref: "paper",
        yref: "y",
        x: 1,
        y: input.threshold,
        xanchor: "right",
        yanchor: "bottom",
        showarrow: false,
        font: { ...FONT, size: 10, color: "#cf222e" },
      },
    ];
  }
  layout.shapes = shapes;
  const config: Record<string, unknown> = { ...CONFIG };
  if (input.width) {
    layout.width = input.width;
    layout.autosize = false;
    config.responsive = false;
  }
  if (input.height) layout.height = input.height;
  void lib.react(root, data, layout, config);
}

export interface StackedBarSeries {
  name: string;
  values: readonly number[];
  color: string;
}

export interface StackedBarInput {
  /** One bar per category (e.g. the splits of a dataset export). */
  categories: readonly string[];
  /** Stacked in this order, bottom first; each has one value per category. */
  series: readonly StackedBarSeries[];
  yTitle: string;
  height?: number;
}

/** Small vertical stacked counts (real and fake videos per split), totals above the bars. */
export function stackedBarChart(root: HTMLElement, input: StackedBarInput): void {
  const lib = plotly(root);
  if (!lib) return;
  const data: object[] = input.series.map((s) => ({
    type: "bar",
    name: s.name,
    x: [...input.categories],
    y: [...s.values],
    marker: { color: s.color },
    hovertemplate: `%{x}: %{y} ${s.name}<extra></extra>`,
  }));
  const totals = input.categories.map((_, i) => input.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const layout = baseLayout("", "", input.yTitle);
  layout.barmode = "stack";
  layout.bargap = 0.45;
  layout.height = input.height ?? 190;
  layout.margin = { l: 44, r: 8, t: 26, b: 28 };
  layout.showlegend = true;
  layout.legend = { orientation: "h", traceorder: "normal", x: 1, xanchor: "right", y: 1.2, font: { ...FONT, size: 11 } };
  layout.yaxis = { ...(layout.yaxis as object), rangemode: "tozero", tickformat: "d", dtick: Math.max(...totals, 1) <= 5 ? 1 : null };
  layout.annotations = input.categories.map((category, i) => ({
    x: category, y: totals[i], text: String(totals[i]), showarrow: false, yanchor: "bottom", font: { ...FONT, size: 11 },
  }));
  void lib.react(root, data, layout, CONFIG);
}

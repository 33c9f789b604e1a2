// The "Agreement" and "Disagreements" cards of the project review page, both from
// review-agreement: Krippendorff's alpha with how to read it, videos by state, mean
// mark overlap per artifact kind (a Plotly bar chart), each reviewer's verdicts,
// label mix, marks and (curators, owners) gold accuracy; and the videos where
// reviewers disagree, with what owners need to adjudicate them.
import { ApiError } from "../api/client";
import { type Disagreement, getAgreement, type ProjectAgreement, type ReviewerStats, type ReviewLabel } from "../api/review";
import { horizontalBarChart } from "../shared/charts/plotly";
import { h, setText } from "../shared/dom";
import { labelCounts, pageUrl, percent, stateBadge } from "./reviewBadges";

/** Marks of one kind overlapping less than this count as a disagreement (reports.py). */
const LOW_OVERLAP = 0.5;
const LABEL_COLORS: Record<ReviewLabel, string> = { fake: "#cf222e", real: "#1a7f37", uncertain: "#9a6700" };

export interface AgreementOptions {
  url: string;
  workspaceTemplate: string;
  reportTemplate: string;
  isOwner: boolean;
  seesGold: boolean;
}

function alphaReading(alpha: number): string {
  if (alpha >= 0.8) return "good agreement";
  if (alpha >= 0.667) return "tentative agreement";
  if (alpha > 0.2) return "weak agreement";
  if (alpha >= -0.2) return "about what chance would give";
  return "systematic disagreement";
}

function alphaBlock(data: ProjectAgreement): HTMLElement {
  const alpha = data.krippendorff_alpha;
  const value = h("div", { class: "alpha-value", id: "agreement-alpha" }, alpha === null ? "not enough data" : alpha.toFixed(2));
  const reading =
    alpha === null
      ? "Alpha needs at least one video with two or more verdicts, and more than one label in use."
      : `${alphaReading(alpha)}, over ${data.videos_with_two_or_more} video${data.videos_with_two_or_more === 1 ? "" : "s"} with two or more verdicts (${data.verdicts} verdicts in all).`;
  return h(
    "div",
    { class: "alpha-block" },
    h("div", { class: "alpha-label" }, "Krippendorff's α (verdicts)"),
    value,
    h("p", { class: "alpha-reading" }, reading),
    h("p", { class: "muted alpha-help" }, "How to read it: 1 is perfect agreement, 0 is what chance would give, below 0 is systematic disagreement. Above 0.8 is usually taken as reliable."),
  );
}

function statesBlock(data: ProjectAgreement): HTMLElement {
  const total = Math.max(1, data.videos);
  return h(
    "div",
    { class: "agreement-states", id: "agreement-states" },
    h("div", { class: "alpha-label" }, `Videos by state (${data.videos})`),
    ...(["unreviewed", "undecided", "decided"] as const).map((state) => {
      const bar = h("span", { class: `state-bar seg-${state === "decided" ? "done" : state}` });
      bar.style.width = `${(data.states[state] / total) * 100}%`;
      return h("div", { class: "state-row", "data-state": state }, stateBadge(state), h("span", { class: "state-track" }, bar), h("span", { class: "state-count" }, String(data.states[state])));
    }),
    data.gold_videos !== null ? h("p", { class: "muted" }, `${data.gold_videos} gold video${data.gold_videos === 1 ? "" : "s"} (hidden checks)`) : null,
  );
}

function labelMix(labels: Partial<Record<ReviewLabel, number>>, total: number): HTMLElement {
  const bar = h("span", { class: "label-mix-bar", "aria-hidden": "true" });
  for (const label of ["fake", "real", "uncertain"] as const) {
    const n = labels[label] ?? 0;
    if (!n) continue;
    const seg = h("span", { title: `${n} ${label}` });
    seg.style.width = `${(n / Math.max(1, total)) * 100}%`;
    seg.style.background = LABEL_COLORS[label];
    bar.append(seg);
  }
  return h("span", { class: "label-mix" }, bar, labelCounts(labels));
}

function goldText(stats: ReviewerStats): HTMLElement {
  const gold = stats.gold;
  if (!gold || gold.answered === 0) return h("span", { class: "muted" }, "no gold video reviewed");
  const pct = gold.accuracy === null ? "" : ` (${Math.round(gold.accuracy * 100)}%)`;
  const low = gold.accuracy !== null && gold.accuracy < 0.5;
  return h(
    "span",
    { class: low ? "gold-accuracy low" : "gold-accuracy", title: gold.uncertain ? `${gold.uncertain} answered uncertain` : "" },
    `${gold.correct}/${gold.answered} correct${pct}`,
  );
}

function reviewerTable(data: ProjectAgreement, seesGold: boolean): HTMLElement {
  if (!data.reviewers.length) return h("p", { class: "muted" }, "No verdicts yet.");
  const head = h(
    "tr",
    {},
    h("th", {}, "Reviewer"),
    h("th", { class: "num" }, "Verdicts"),
    h("th", {}, "Label mix"),
    h("th", { class: "num" }, "Marks"),
    seesGold ? h("th", { title: "Verdicts on gold videos that matched the known truth (uncertain counts as not correct)" }, "Gold accuracy") : null,
  );
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "data reviewer-table", id: "agreement-reviewers" },
      h("thead", {}, head),
      h(
        "tbody",
        {},
        ...data.reviewers.map((r) =>
          h(
            "tr",
            { "data-reviewer": r.username },
            h("td", {}, r.username),
            h("td", { class: "num" }, String(r.verdicts)),
            h("td", {}, labelMix(r.labels, r.verdicts)),
            h("td", { class: "num" }, String(r.marks)),
            seesGold ? h("td", { class: "reviewer-gold" }, goldText(r)) : null,
          ),
        ),
      ),
    ),
  );
}

export class ReviewAgreement {
  private readonly chart: HTMLDivElement;
  private readonly summary: HTMLDivElement;
  private readonly reviewers: HTMLDivElement;
  private readonly status: HTMLParagraphElement;

  constructor(
    root: HTMLElement,
    private readonly disagreementsRoot: HTMLElement | null,
    private readonly options: AgreementOptions,
  ) {
    this.status = h("p", { class: "muted", role: "status" }, "Loading agreement…");
    this.summary = h("div", { class: "agreement-summary" });
    this.chart = h("div", { class: "agreement-chart", id: "agreement-overlap-chart", "aria-label": "Mean mark overlap per artifact kind" });
    this.reviewers = h("div", { class: "agreement-reviewers" });
    root.replaceChildren(
      this.status,
      this.summary,
      h(
        "div",
        { class: "agreement-overlap" },
        h("h3", {}, "Mark overlap per artifact kind"),
        h("p", { class: "muted" }, `Mean frame overlap (intersection over union) of the ranges two reviewers marked with the same kind on the same video: 1 is the same frames, 0 none in common. Below ${LOW_OVERLAP} counts as a disagreement.`),
        this.chart,
      ),
      h("h3", {}, "Reviewers"),
      this.reviewers,
    );
  }

  async load(): Promise<void> {
    try {
      const data = await getAgreement(this.options.url);
      this.status.hidden = true;
      this.render(data);
    } catch (err) {
      this.status.hidden = false;
      setText(this.status, err instanceof ApiError ? err.describe() : "Could not load the agreement figures.");
      this.status.classList.add("error-text");
    }
  }

  private render(data: ProjectAgreement): void {
    this.summary.replaceChildren(alphaBlock(data), statesBlock(data));
    const kinds = data.mark_overlap;
    horizontalBarChart(this.chart, {
      labels: kinds.map((k) => k.label),
      values: kinds.map((k) => k.mean_iou),
      colors: kinds.map((k) => (k.mean_iou < LOW_OVERLAP ? "#d4a72c" : "#4f46e5")),
      hoverText: kinds.map((k) => `${k.videos} video${k.videos === 1 ? "" : "s"} with marks of this kind by two or more reviewers`),
      xTitle: "mean overlap (IoU)",
      xRange: [0, 1.08],
      emptyLabel: "No kind has been marked by two reviewers on the same video yet.",
    });
    this.reviewers.replaceChildren(reviewerTable(data, this.options.seesGold));
    if (this.disagreementsRoot) this.renderDisagreements(data);
  }

  private renderDisagreements(data: ProjectAgreement): void {
    const root = this.disagreementsRoot as HTMLElement;
    const kindLabels = new Map(data.mark_overlap.map((k) => [k.kind, k.label]));
    const open = data.disagreements.filter((d) => d.consensus === null).length;
    const count = h(
      "p",
      { class: "muted", id: "disagreement-count" },
      data.disagreements.length
        ? `${data.disagreements.length} video${data.disagreements.length === 1 ? "" : "s"} where reviewers split on the label or marked the same kind on different frames; ${open} still need${open === 1 ? "s" : ""} adjudication.${this.options.isOwner ? " Open one to record the consensus." : " An owner records the consensus in the workspace."}`
        : "No disagreements: every video with two or more verdicts has matching labels and overlapping marks.",
    );
    if (!data.disagreements.length) {
      root.replaceChildren(count);
      return;
    }
    root.replaceChildren(
      count,
      h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { class: "data disagreement-table", id: "disagreement-list" },
          h(
            "thead",
            {},
            h("tr", {}, h("th", {}, "Video"), h("th", {}, "Verdicts"), h("th", { class: "num", title: "Share of reviewer pairs that gave the same label" }, "Pairs agreeing"), h("th", {}, "Low mark overlap"), h("th", {}, "Consensus"), h("th", {}, "")),
          ),
          h("tbody", {}, ...data.disagreements.map((d) => this.disagreementRow(d, kindLabels))),
        ),
      ),
    );
  }

  private disagreementRow(d: Disagreement, kindLabels: Map<string, string>): HTMLTableRowElement {
    const workspace = pageUrl(this.options.workspaceTemplate, d.media);
    const action = this.options.isOwner && d.consensus === null ? "Adjudicate" : "Open";
    return h(
      "tr",
      { "data-media-id": d.media },
      h("td", {}, h("a", { href: workspace }, d.name)),
      h("td", {}, labelCounts(d.labels)),
      h("td", { class: "num" }, percent(d.pairwise_agreement)),
      h("td", {}, d.low_overlap_kinds.length ? d.low_overlap_kinds.map((k) => kindLabels.get(k) ?? k).join(", ") : h("span", { class: "muted" }, "—")),
      h("td", {}, d.consensus ? h("span", { class: `badge badge-${d.consensus}` }, d.consensus) : h("span", { class: "badge badge-needs" }, "needs adjudication")),
      h(
        "td",
        { class: "queue-actions" },
        h("a", { class: `btn btn-small${action === "Adjudicate" ? " btn-primary" : ""}`, href: workspace }, action),
        h("a", { class: "btn btn-small", href: pageUrl(this.options.reportTemplate, d.media) }, "Report"),
      ),
    );
  }
}

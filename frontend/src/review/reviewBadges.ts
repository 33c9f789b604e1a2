// Small pieces shared by the project review page: labels, review states, verdict
// counts and the detector's suggestion, each as a badge with words, not colour alone.
import type { DetectorSuggestion, EffectiveLabel, InboxState, ReviewLabel, ReviewState } from "../api/review";
import { h } from "../shared/dom";
import { formatDuration } from "../shared/format";

const LABELS: readonly ReviewLabel[] = ["fake", "real", "uncertain"];

const STATE_TEXT: Record<ReviewState, { text: string; title: string }> = {
  unreviewed: { text: "unreviewed", title: "Nobody has given a verdict yet" },
  undecided: { text: "undecided", title: "Reviewed, but the verdicts are uncertain or split and no consensus is recorded" },
  decided: { text: "decided", title: "A consensus is recorded, or every reviewer gave the same label" },
};

const INBOX_TEXT: Record<InboxState, { text: string; title: string }> = {
  unreviewed: { text: "unreviewed", title: "You have not given a verdict yet" },
  undecided: { text: "undecided", title: "You reviewed it and said uncertain" },
  done: { text: "done", title: "You gave a real or fake verdict" },
};

export function labelBadge(label: string, extra = ""): HTMLSpanElement {
  return h("span", { class: `badge badge-${label}` }, extra ? `${label} ${extra}` : label);
}

export function stateBadge(state: ReviewState): HTMLSpanElement {
  const { text, title } = STATE_TEXT[state];
  return h("span", { class: `badge state-${state}`, title, "data-state": state }, text);
}

export function inboxStateBadge(state: InboxState): HTMLSpanElement {
  const { text, title } = INBOX_TEXT[state];
  return h("span", { class: `badge state-${state}`, title, "data-state": state }, text);
}

/** "2 fake · 1 real" as small badges; "—" with no verdict. */
export function labelCounts(labels: Partial<Record<ReviewLabel, number>>): HTMLElement {
  const parts = LABELS.filter((label) => (labels[label] ?? 0) > 0).map((label) =>
    h("span", { class: `badge badge-${label}`, title: `${labels[label]} ${label} verdict(s)` }, `${labels[label]} ${label}`),
  );
  return parts.length ? h("span", { class: "label-counts" }, ...parts) : h("span", { class: "muted" }, "—");
}

/** The label the project goes by, and where it comes from. */
export function effectiveBadge(effective: EffectiveLabel, state: ReviewState): HTMLElement {
  const source =
    effective.source === "consensus"
      ? "consensus"
      : effective.source === "reviewers"
        ? "reviewers"
        : effective.source === "detector"
          ? "detector suggestion"
          : "";
  if (!effective.label) {
    const text = state === "undecided" ? "undecided" : "no label";
    return h("span", { class: "effective-label" }, h("span", { class: "muted" }, text), source ? h("span", { class: "effective-source" }, source) : null);
  }
  return h(
    "span",
    { class: `effective-label effective-${effective.source ?? "none"}`, "data-source": effective.source ?? "" },
    h("span", { class: `badge badge-${effective.label}${effective.source === "detector" ? " badge-suggested" : ""}` }, effective.label),
    h("span", { class: "effective-source" }, source),
  );
}

export function detectorBadge(detector: DetectorSuggestion | null): HTMLElement {
  if (!detector) return h("span", { class: "muted", title: "No detector has scored this video" }, "—");
  const score = detector.score === null ? "" : detector.score.toFixed(2);
  return h(
    "span",
    { class: "detector-suggestion", title: `${detector.detector}: ${detector.label}${score ? `, score ${score}` : ""}` },
    h("span", { class: `badge badge-${detector.label} badge-suggested` }, detector.label),
    score ? h("span", { class: "detector-score" }, score) : null,
  );
}

/** "259 frames · 0:09". */
export function lengthText(frames: number | null, seconds: number | null): string {
  const parts: string[] = [];
  if (frames !== null) parts.push(`${frames.toLocaleString()} frames`);
  if (seconds !== null) parts.push(formatDuration(seconds));
  return parts.join(" · ") || "—";
}

/** A page address from a template with `{id}`. */
export function pageUrl(template: string, id: number): string {
  return template.replace("{id}", String(id));
}

export function percent(value: number | null, digits = 0): string {
  return value === null ? "—" : `${(value * 100).toFixed(digits)}%`;
}

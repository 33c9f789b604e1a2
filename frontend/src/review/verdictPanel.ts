// Verdict panel: the reviewer's own call on the video (real / fake / uncertain,
// confidence, rationale), the detector's suggestion beside it, and, once allowed, the
// other reviewers' verdicts, the agreement on this video and the consensus. Owners
// adjudicate here.
import { ApiError } from "../api/client";
import {
  adjudicate,
  type Consensus,
  getSummary,
  type ReviewLabel,
  submitVerdict,
  type Verdict,
  type VideoSummary,
} from "../api/review";
import { h } from "../shared/dom";
import { formatRelative } from "../shared/format";

const LABELS: [ReviewLabel, string, string][] = [
  ["real", "Real", "r"],
  ["fake", "Fake", "f"],
  ["uncertain", "Uncertain", "u"],
];


/** "Built-in detector", "Detector meso4 v1", or "The detector" without a name. */
function detectorWho(name: string): string {
  if (!name) return "The detector";
  return /detector/i.test(name) ? name : `Detector ${name}`;
}

export interface VerdictPanelOptions {
  root: HTMLElement;
  othersRoot: HTMLElement;
  mediaId: number;
  verdictsUrl: string;
  summaryUrl: string;
  adjudicateUrl: string;
  canAnnotate: boolean;
  canAdjudicate: boolean;
  kindLabel(slug: string): string;
  notify(text: string, tone?: "ok" | "error" | "warn"): void;
  /** After the first verdict: blind review may now show others' work. */
  onSubmitted(first: boolean): void;
}

export class VerdictPanel {
  private own: Verdict | null = null;
  private summary: VideoSummary | null = null;
  private label: ReviewLabel | null = null;
  private readonly confidence: HTMLInputElement;
  private readonly confidenceText: HTMLElement;
  private readonly rationale: HTMLTextAreaElement;
  private readonly status: HTMLElement;
  private readonly radios: Map<ReviewLabel, HTMLInputElement> = new Map();

  constructor(private readonly options: VerdictPanelOptions, own: Verdict | null) {
    this.own = own;
    this.label = own?.label ?? null;
    this.confidence = h("input", { type: "range", min: 0, max: 100, step: 5, value: Math.round((own?.confidence ?? 0.7) * 100), name: "confidence" });
    this.confidenceText = h("output", { class: "mono" });
    this.rationale = h("textarea", { name: "rationale", rows: 3, placeholder: "Why? Name what you saw, with frames." }, own?.rationale ?? "");
    this.status = h("p", { class: "muted small", id: "verdict-status" });
    this.confidence.addEventListener("input", () => this.showConfidence());
    this.render();
  }

  get ownVerdict(): Verdict | null {
    return this.own;
  }

  private showConfidence(): void {
    this.confidenceText.textContent = `${this.confidence.value}%`;
  }

  private render(): void {
    const { root, canAnnotate } = this.options;
    if (!canAnnotate) {
      root.replaceChildren(h("p", { class: "muted" }, "Viewers read reviews; reviewers and above give verdicts."));
      return;
    }
    const choices = h("div", { class: "verdict-choices", role: "radiogroup", "aria-label": "Verdict" },
      ...LABELS.map(([value, text, key]) => {
        const input = h("input", { type: "radio", name: "label", value, checked: this.label === value });
        input.addEventListener("change", () => { this.label = value; });
        this.radios.set(value, input);
        return h("label", { class: `verdict-choice verdict-${value}` }, input, h("span", {}, text), h("kbd", {}, key));
      }));
    const save = h("button", { type: "submit", class: "btn btn-primary" }, this.own ? "Update verdict" : "Submit verdict");
    const form = h("form", { class: "verdict-form", id: "verdict-form" },
      choices,
      h("label", { class: "confidence-line" }, "Confidence ", this.confidence, this.confidenceText),
      h("label", {}, "Rationale", this.rationale),
      h("div", { class: "row-actions" }, save),
      this.status);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.save();
    });
    this.showConfidence();
    this.showStatus();
    root.replaceChildren(form);
  }

  private showStatus(): void {
    this.status.textContent = this.own
      ? `Your verdict: ${this.own.label} (${Math.round(this.own.confidence * 100)}%), version ${this.own.version}, saved ${formatRelative(this.own.updated_at)}.`
      : "Unreviewed: you have not given a verdict on this video yet.";
    this.status.dataset.label = this.own?.label ?? "";
  }

  /** Sets the label (keyboard r / f / u) and saves at once. */
  choose(label: ReviewLabel): void {
    if (!this.options.canAnnotate) return;
    this.label = label;
    const radio = this.radios.get(label);
    if (radio) radio.checked = true;
    void this.save();
  }

  async save(): Promise<void> {
    const { options } = this;
    if (!this.label) {
      options.notify("Choose real, fake or uncertain first.", "warn");
      return;
    }
    const first = this.own === null;
    try {
      this.own = await submitVerdict(options.verdictsUrl, options.mediaId, {
        label: this.label,
        confidence: Number(this.confidence.value) / 100,
        rationale: this.rationale.value,
      }, this.own?.version ?? null);
      this.render();
      options.notify(`Verdict saved: ${this.own.label}.`, "ok");
      options.onSubmitted(first);
      await this.refresh();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.details.current) {
        // Saved from another tab meanwhile: show that one, keep the user's text to retry.
        const mine = this.rationale.value;
        this.own = err.details.current as Verdict;
        this.label = this.own.label;
        this.render();
        this.rationale.value = mine;
        options.notify("Your verdict was changed elsewhere (another tab?); the saved one is shown. Save again to replace it.", "warn");
      } else {
        options.notify(err instanceof ApiError ? err.describe() : String(err), "error");
      }
    }
  }

  /** Reloads the video's summary: others' verdicts, agreement, consensus. */
  async refresh(): Promise<void> {
    try {
      this.summary = await getSummary(this.options.summaryUrl);
    } catch (err) {
      this.options.othersRoot.textContent = err instanceof ApiError ? err.describe() : String(err);
      return;
    }
    this.renderOthers();
  }

  private renderOthers(): void {
    const s = this.summary;
    if (!s) return;
    const { othersRoot } = this.options;
    const parts: (HTMLElement | null)[] = [];
    parts.push(h("p", { class: "review-state" },
      h("span", { class: `badge state-${s.state}`, "data-state": s.state }, s.state),
      " ",
      s.effective.label
        ? h("span", {}, `Project label: ${s.effective.label} (${s.effective.source === "detector" ? "detector suggestion, no reviewer yet" : s.effective.source})`)
        : h("span", { class: "muted" }, "No project label yet.")));
    if (s.detector) {
      parts.push(h("p", { class: "muted small" },
        `${detectorWho(s.detector.detector)} suggests ${s.detector.label}` +
        (s.detector.score !== null ? ` (score ${s.detector.score.toFixed(2)}${s.detector.threshold !== null ? `, threshold ${s.detector.threshold.toFixed(2)}` : ""})` : "") +
        ". Reviewers' labels override it."));
    }
    if (!s.revealed) {
      parts.push(h("div", { class: "message info blind-notice" },
        "Blind review: other reviewers' verdicts, marks, comments and the ground truth appear once you submit your verdict."));
    } else {
      parts.push(h("h3", {}, `Verdicts (${s.verdicts.length})`));
      parts.push(s.verdicts.length
        ? h("ul", { class: "verdict-list" }, ...s.verdicts.map((v) => h("li", { "data-reviewer": v.reviewer },
            h("span", { class: `badge badge-${v.label === "uncertain" ? "unknown" : v.label}` }, v.label),
            ` ${v.reviewer} · ${Math.round(v.confidence * 100)}% · ${formatRelative(v.updated_at)}`,
            v.rationale ? h("p", { class: "small" }, v.rationale) : null)))
        : h("p", { class: "muted" }, "Nobody has given a verdict yet."));
      const a = s.agreement;
      if (a && a.verdicts >= 2) {
        const overlaps = Object.entries(a.mark_overlap).map(([kind, iou]) => `${this.options.kindLabel(kind)} ${Math.round(iou * 100)}%`);
        parts.push(h("p", { class: "small" },
          `Agreement: ${a.pairwise_agreement !== null ? `${Math.round(a.pairwise_agreement * 100)}% of reviewer pairs agree` : "—"}` +
          (overlaps.length ? `; marks overlap ${overlaps.join(", ")}` : "")));
      }
      parts.push(this.consensusBlock(s.consensus));
    }
    othersRoot.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  }

  private consensusBlock(consensus: Consensus | null): HTMLElement {
    const block = h("div", { class: "consensus-block", "data-consensus": consensus?.label ?? "" },
      h("h3", {}, "Consensus"),
      consensus
        ? h("p", {}, h("span", { class: `badge badge-${consensus.label === "uncertain" ? "unknown" : consensus.label}` }, consensus.label),
            ` decided by ${consensus.decided_by ?? "?"} ${formatRelative(consensus.decided_at)}`,
            consensus.note ? h("span", { class: "muted" }, ` — ${consensus.note}`) : null)
        : h("p", { class: "muted" }, "Not adjudicated yet."));
    if (!this.options.canAdjudicate) return block;
    const select = h("select", { name: "consensus" }, ...LABELS.map(([value, text]) => h("option", { value, selected: consensus?.label === value }, text)));
    const note = h("input", { type: "text", name: "note", placeholder: "Reason (shown in the report)", value: consensus?.note ?? "" });
    const form = h("form", { class: "adjudicate-form" }, select, note, h("button", { type: "submit", class: "btn" }, consensus ? "Change consensus" : "Adjudicate"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void (async () => {
        try {
          await adjudicate(this.options.adjudicateUrl, select.value as ReviewLabel, note.value, consensus?.version ?? null);
          this.options.notify("Consensus recorded.", "ok");
        } catch (err) {
          this.options.notify(err instanceof ApiError && err.status === 409
            ? "Another owner decided meanwhile; their decision is shown now." : err instanceof ApiError ? err.describe() : String(err),
          err instanceof ApiError && err.status === 409 ? "warn" : "error");
        }
        await this.refresh();
      })();
    });
    block.append(form);
    return block;
  }
}

// The dataset builder's form: which videos (label source, labels, people, methods,
// conversion options, dates) and what goes in (faces, split ratios with a stacked
// bar, seed, formats, compression). It only reads and shows values; the page
// previews them on every change and builds the export.
import type { ExportOptions, ExportSelection, Label, LabelSource } from "../api/exports";
import { h, setText } from "../shared/dom";

export interface BuilderSpec {
  identities: string[];
  reviewers: string[];
  methods: string[];
  defaults: ExportOptions;
  ranges: Record<string, [number, number]>;
}

const SOURCES: { value: LabelSource; label: string; help: string }[] = [
  { value: "ground_truth", label: "Ground truth", help: "What the project knows for sure: uploads a curator marked real or fake, and the fakes made here." },
  { value: "consensus", label: "Adjudicated consensus", help: "The label an owner settled after review. Videos without a consensus are left out." },
  { value: "reviewer", label: "One reviewer's verdicts", help: "The verdicts of the reviewer you pick. Uncertain verdicts are left out." },
];

export const FORMATS: { value: string; label: string; help: string }[] = [
  { value: "imagefolder", label: "Image folder", help: "face crops per split and label, metadata.jsonl and metadata.csv (Hugging Face datasets)" },
  { value: "ffpp", label: "FaceForensics++ tree", help: "original_sequences/ and manipulated_sequences/<method>/ videos and masks" },
  { value: "annotations", label: "Annotations", help: "verdicts, consensus, artifact marks (COCO regions) and the taxonomy as JSON" },
];

const COMPRESSIONS: { value: string; label: string; help: string }[] = [
  { value: "c0", label: "c0", help: "lossless H.264" },
  { value: "c23", label: "c23", help: "high quality (CRF 23)" },
  { value: "c40", label: "c40", help: "low quality (CRF 40)" },
];

const SPLIT_LABELS = ["Train", "Validation", "Test"] as const;

/** "mask=extended, blend=seamless, erode=2" → {mask: "extended", blend: "seamless", erode: 2}. */
export function parseKeyValues(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of text.split(",")) {
    const [key, ...rest] = part.split("=");
    const name = (key ?? "").trim();
    if (!name) continue;
    const raw = rest.join("=").trim();
    let value: unknown = raw;
    try {
      value = JSON.parse(raw); // numbers, true/false, quoted strings
    } catch {
      value = raw;
    }
    out[name] = value;
  }
  return out;
}

function checkList(
  name: string,
  items: { value: string; label: string; help?: string }[],
  checked: (v: string) => boolean,
  asList = false,
): HTMLDivElement {
  return h(
    "div",
    { class: asList ? "export-checks export-checks-list" : "export-checks", role: "group" },
    ...items.map((item) =>
      h(
        "label",
        { class: "export-check", title: item.help ?? null },
        h("input", { type: "checkbox", name, value: item.value, checked: checked(item.value) }),
        h("span", {}, item.label),
        item.help ? h("span", { class: "muted export-check-help" }, item.help) : null,
      ),
    ),
  );
}

function field(name: string, label: string, control: HTMLElement, help?: string): HTMLDivElement {
  return h(
    "div",
    { class: "field export-field", "data-field": name },
    h("label", { for: control.id || null }, label),
    control,
    help ? h("span", { class: "help" }, help) : null,
    h("span", { class: "errorlist", "data-error-for": name }),
  );
}

function group(name: string, label: string, control: HTMLElement, help?: string): HTMLDivElement {
  return h(
    "div",
    { class: "field export-field", "data-field": name, role: "group", "aria-label": label },
    h("span", { class: "label" }, label),
    control,
    help ? h("span", { class: "help" }, help) : null,
    h("span", { class: "errorlist", "data-error-for": name }),
  );
}

export class ExportForm {
  private readonly ratioBar: HTMLDivElement;

  constructor(
    private readonly form: HTMLFormElement,
    selectionRoot: HTMLElement,
    optionsRoot: HTMLElement,
    private readonly spec: BuilderSpec,
    onChange: () => void,
  ) {
    this.ratioBar = h("div", { class: "ratio-bar", id: "ratio-bar", "aria-hidden": "true" });
    selectionRoot.replaceChildren(...this.selectionFields());
    optionsRoot.replaceChildren(...this.optionFields());
    this.form.addEventListener("input", () => {
      this.syncVisibility();
      onChange();
    });
    this.form.addEventListener("submit", (event) => event.preventDefault());
    this.syncVisibility();
  }

  private selectionFields(): HTMLElement[] {
    const source = h(
      "div",
      { class: "segmented export-sources", role: "radiogroup", "aria-label": "Labels from" },
      ...SOURCES.map((s, i) =>
        h("label", {}, h("input", { type: "radio", name: "label_source", value: s.value, checked: i === 0 }), s.label),
      ),
    );
    const reviewer = h(
      "select",
      { id: "export-reviewer", name: "reviewer" },
      ...this.spec.reviewers.map((name) => h("option", { value: name }, name)),
    );
    const identities = this.spec.identities.length
      ? checkList("identities", this.spec.identities.map((n) => ({ value: n, label: n })), () => false)
      : h("p", { class: "muted" }, "No people are named in this project; each video then counts as a person of its own.");
    const methods = checkList("methods", this.spec.methods.map((m) => ({ value: m, label: m, help: methodHelp(m) })), () => false);
    return [
      group("label_source", "Labels from", h("div", {}, source, h("p", { class: "help export-source-help", id: "export-source-help" }))),
      h(
        "div",
        { class: "export-reviewer", id: "export-reviewer-field" },
        this.spec.reviewers.length
          ? field("reviewer", "Reviewer", reviewer)
          : h("p", { class: "messages" }, h("span", { class: "message warning" }, "This project has no reviewers yet.")),
      ),
      group("labels", "Labels", checkList("labels", [{ value: "real", label: "Real" }, { value: "fake", label: "Fake" }], () => true)),
      group("identities", "People", identities, this.spec.identities.length ? "None ticked: everyone." : undefined),
      group("methods", "How the videos were made", methods, "None ticked: all. real = genuine videos; uploaded = fakes made elsewhere."),
      h(
        "div",
        { class: "export-row" },
        field("created_after", "Added on or after", h("input", { type: "date", id: "export-created-after", name: "created_after" })),
        field("created_before", "Added on or before", h("input", { type: "date", id: "export-created-before", name: "created_before" })),
      ),
      field(
        "method_options",
        "Conversion options (optional)",
        h("input", { type: "text", id: "export-method-options", name: "method_options", placeholder: "mask=extended, blend=seamless", autocomplete: "off" }),
        "Only fakes made with these options, as key=value pairs; real videos always pass.",
      ),
    ];
  }

  private optionFields(): HTMLElement[] {
    const d = this.spec.defaults;
    const num = (name: string, value: number, step: string): HTMLInputElement => {
      const [min, max] = this.spec.ranges[name] ?? [0, 1e9];
      return h("input", { type: "number", id: `export-${name}`, name, value, min, max, step });
    };
    const ratios = h(
      "div",
      { class: "export-ratios" },
      ...SPLIT_LABELS.map((label, i) =>
        field(
          `ratio_${i}`,
          `${label} %`,
          h("input", { type: "number", id: `export-ratio-${label.toLowerCase()}`, name: `ratio_${i}`, value: Math.round((d.ratios[i] ?? 0) * 100), min: 0, max: 100, step: 1 }),
        ),
      ),
      field("seed", "Seed", num("seed", d.seed, "1")),
    );
    return [
      h(
        "div",
        { class: "export-row" },
        field("frames_per_video", "Faces per video", num("frames_per_video", d.frames_per_video, "1"), "evenly spaced frames"),
        field("crop_size", "Crop size (px)", num("crop_size", d.crop_size, "1"), "square face crops"),
        field("margin", "Margin", num("margin", d.margin, "0.05"), "box enlarged per side"),
      ),
      group("ratios", "Splits", h("div", {}, ratios, this.ratioBar), "Whole people go to one split, so the videos land close to, not exactly at, these shares. Set a split to 0 to leave it out."),
      group("formats", "Formats", checkList("formats", FORMATS, (v) => d.formats.includes(v), true)),
      group("compressions", "Re-encoded copies", checkList("compressions", COMPRESSIONS, (v) => d.compressions.includes(v)), "FaceForensics++ compression levels, to test robustness. None ticked: the original bytes only."),
    ];
  }

  private input(name: string): HTMLInputElement | null {
    return this.form.querySelector<HTMLInputElement>(`[name="${name}"]`);
  }

  private checked(name: string): string[] {
    return [...this.form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)].map((i) => i.value);
  }

  private number(name: string, fallback: number): number {
    const raw = this.input(name)?.value.trim() ?? "";
    const value = Number(raw);
    return raw === "" || !Number.isFinite(value) ? fallback : value;
  }

  ratios(): [number, number, number] {
    const d = this.spec.defaults.ratios;
    return [0, 1, 2].map((i) => Math.max(0, this.number(`ratio_${i}`, Math.round((d[i] ?? 0) * 100))) / 100) as [number, number, number];
  }

  selection(): ExportSelection {
    const source = (this.checked("label_source")[0] ?? "ground_truth") as LabelSource;
    const selection: ExportSelection = {
      label_source: source,
      labels: this.checked("labels") as Label[],
      identities: this.checked("identities"),
      methods: this.checked("methods"),
      method_options: parseKeyValues(this.input("method_options")?.value ?? ""),
    };
    if (source === "reviewer") {
      selection.reviewer = this.form.querySelector<HTMLSelectElement>('select[name="reviewer"]')?.value ?? "";
    }
    const after = this.input("created_after")?.value;
    const before = this.input("created_before")?.value;
    if (after) selection.created_after = after;
    if (before) selection.created_before = before;
    return selection;
  }

  options(): ExportOptions {
    const d = this.spec.defaults;
    return {
      frames_per_video: this.number("frames_per_video", d.frames_per_video),
      crop_size: this.number("crop_size", d.crop_size),
      margin: this.number("margin", d.margin),
      ratios: this.ratios(),
      seed: this.number("seed", d.seed),
      formats: this.checked("formats"),
      compressions: this.checked("compressions"),
    };
  }

  /** Sets the split ratios (percent), e.g. from an error's suggestion, and announces the change. */
  setRatios(percent: readonly number[]): void {
    percent.forEach((value, i) => {
      const input = this.input(`ratio_${i}`);
      if (input) input.value = String(value);
    });
    this.form.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /** Marks fields the server named (`fields` of a 400) and clears the others. */
  showFieldErrors(fields: Record<string, string[]>): void {
    for (const el of this.form.querySelectorAll<HTMLElement>("[data-error-for]")) {
      const name = el.dataset.errorFor ?? "";
      const messages = fields[name] ?? (name.startsWith("ratio_") ? fields.ratios : undefined);
      setText(el, name.startsWith("ratio_") ? "" : (messages ?? []).join(" "));
      el.closest(".field")?.classList.toggle("has-error", Boolean(messages?.length));
    }
  }

  private syncVisibility(): void {
    const source = this.checked("label_source")[0] ?? "ground_truth";
    const reviewerField = this.form.querySelector<HTMLElement>("#export-reviewer-field");
    if (reviewerField) reviewerField.hidden = source !== "reviewer";
    const help = this.form.querySelector("#export-source-help");
    if (help) setText(help, SOURCES.find((s) => s.value === source)?.help ?? "");
    this.drawRatioBar();
  }

  private drawRatioBar(): void {
    const ratios = this.ratios();
    const total = ratios.reduce((a, b) => a + b, 0);
    const parts = SPLIT_LABELS.map((label, i) => {
      const share = total > 0 ? (ratios[i] ?? 0) / total : 0;
      const percent = Math.round(share * 1000) / 10;
      const part = h(
        "div",
        { class: `ratio-part ratio-${label.toLowerCase()}`, title: `${label}: ${percent}%`, hidden: share === 0, "data-share": percent },
        h("span", {}, `${label} ${percent}%`),
      );
      part.style.flexGrow = String(share);
      return part;
    });
    this.ratioBar.replaceChildren(...(total > 0 ? parts : [h("div", { class: "ratio-empty" }, "All splits are 0")]));
  }
}

function methodHelp(method: string): string {
  if (method === "real") return "genuine videos";
  if (method === "uploaded") return "fakes uploaded to the project";
  return "fakes made here with this swap architecture";
}

// Job option fields rendered from the server's declaration: each job kind's options
// dataclass (field metadata: label, help, range, choices) reaches the page as JSON
// through {% job_options "<kind>" %}. The same declaration validates requests and
// gives the API schema, so an option added there appears here with no edit.
import { h } from "./dom";

export type OptionKind = "bool" | "int" | "float" | "choice" | "choices" | "text";
export type OptionValue = boolean | number | string | string[] | null;

export interface OptionField {
  name: string;
  kind: OptionKind;
  label: string;
  help: string;
  default: OptionValue;
  nullable: boolean;
  min: number | null;
  max: number | null;
  step: number | null;
  choices: string[] | null;
  advanced: boolean;
  shown_when: Record<string, string> | null;
}

/** The spec the page embedded for a job kind (empty if the page has none). */
export function readOptionSpec(kind: string): OptionField[] {
  const text = document.getElementById(`options-${kind}`)?.textContent ?? "";
  return text ? (JSON.parse(text) as OptionField[]) : [];
}

type Control = HTMLInputElement | HTMLSelectElement;

export interface OptionFieldsConfig {
  /** Element id of each control (forms keep the ids their pages and tests know). */
  id: (name: string) => string;
  /** Wraps a control with its label; the default is an inline label. */
  wrap?: (field: OptionField, control: Control, title: string) => HTMLElement;
  /** Friendlier names of some choices, by option name then value. */
  choiceLabels?: Record<string, Record<string, string>>;
  /** Only these options (in this order); the others are left to their defaults. */
  only?: readonly string[];
}

function rangeText(field: OptionField): string {
  if (field.min === null && field.max === null) return "";
  return ` (${field.min ?? "…"}–${field.max ?? "…"})`;
}

/** The input's step: the declared one when the default is on its grid (from min), else
 * "any", since the browser refuses to submit a value off the grid. */
function stepFor(field: OptionField): number | string {
  const step = field.step;
  if (!step) return "any";
  const base = field.min ?? 0;
  const units = (Number(field.default ?? base) - base) / step;
  return Math.abs(units - Math.round(units)) < 1e-6 ? step : "any";
}

function inlineLabel(field: OptionField, control: Control, title: string): HTMLElement {
  if (field.kind === "bool") return h("label", { class: "check", title }, control, field.label);
  return h("label", { class: "field-inline", title }, field.label, control);
}

/** A stacked field: its label above the control (forms laid out with `.field`). */
export function stackedField(field: OptionField, control: Control, title: string): HTMLElement {
  if (field.kind === "bool") return h("div", { class: "field" }, h("label", { class: "check", title }, control, field.label));
  return h("div", { class: "field" }, h("label", { for: control.id, title }, field.label), control);
}

/** The controls of some options: basic ones in `basic`, the rest under "More options". */
export class OptionFields {
  readonly basic: HTMLElement[] = [];
  readonly more: HTMLDetailsElement | null;
  private readonly controls = new Map<string, Control>();
  private readonly wrappers = new Map<string, HTMLElement>();

  constructor(
    private readonly spec: OptionField[],
    private readonly config: OptionFieldsConfig,
  ) {
    const chosen = config.only ? config.only.map((name) => spec.find((f) => f.name === name)).filter((f): f is OptionField => !!f) : spec;
    const advanced: HTMLElement[] = [];
    for (const field of chosen) {
      const control = this.control(field);
      const title = `${field.help}${rangeText(field)}`.trim();
      const wrapper = (config.wrap ?? inlineLabel)(field, control, title);
      this.controls.set(field.name, control);
      this.wrappers.set(field.name, wrapper);
      (field.advanced ? advanced : this.basic).push(wrapper);
    }
    this.more = advanced.length ? h("details", { class: "option-more" }, h("summary", {}, "More options"), h("div", { class: "option-more-fields" }, ...advanced)) : null;
    for (const control of this.controls.values()) control.addEventListener("change", () => this.syncVisibility());
    this.syncVisibility();
  }

  /** The options set to something other than their declared default, as the API takes
   * them (the server applies the defaults, so a record keeps only what was chosen). */
  values(): Record<string, OptionValue> {
    const out: Record<string, OptionValue> = {};
    for (const field of this.spec) {
      const control = this.controls.get(field.name);
      if (!control || !this.relevant(field)) continue;
      if (field.kind === "bool") out[field.name] = (control as HTMLInputElement).checked;
      else if (field.kind === "int" || field.kind === "float") {
        const raw = control.value.trim();
        if (raw !== "") out[field.name] = Number(raw);
        else if (field.nullable) out[field.name] = null;
      } else if (field.kind === "choices") out[field.name] = [...(control as HTMLSelectElement).selectedOptions].map((o) => o.value);
      else out[field.name] = control.value;
      if (field.name in out && JSON.stringify(out[field.name]) === JSON.stringify(field.default)) delete out[field.name];
    }
    return out;
  }

  /** Back to the declared defaults. */
  reset(): void {
    for (const field of this.spec) {
      const control = this.controls.get(field.name);
      if (!control) continue;
      if (field.kind === "bool") (control as HTMLInputElement).checked = field.default === true;
      else if (field.kind === "choices") for (const o of (control as HTMLSelectElement).options) o.selected = ((field.default as string[] | null) ?? []).includes(o.value);
      else control.value = field.default === null ? "" : String(field.default);
    }
    this.syncVisibility();
  }

  private control(field: OptionField): Control {
    const attrs = { name: field.name, id: this.config.id(field.name) };
    if (field.kind === "bool") return h("input", { ...attrs, type: "checkbox", checked: field.default === true });
    if (field.kind === "choice" || field.kind === "choices") {
      const labels = this.config.choiceLabels?.[field.name] ?? {};
      const selected = Array.isArray(field.default) ? field.default : [field.default];
      return h(
        "select",
        { ...attrs, multiple: field.kind === "choices" },
        ...(field.choices ?? []).map((value) => h("option", { value, selected: selected.includes(value) }, labels[value] ?? value)),
      );
    }
    if (field.kind === "text") return h("input", { ...attrs, type: "text", value: String(field.default ?? "") });
    return h("input", {
      ...attrs,
      type: "number",
      value: field.default === null ? "" : String(field.default),
      // Empty means "the job decides" (the help says how).
      placeholder: field.nullable && field.default === null ? "auto" : null,
      min: field.min,
      max: field.max,
      step: stepFor(field),
      required: !field.nullable,
    });
  }

  private relevant(field: OptionField): boolean {
    return Object.entries(field.shown_when ?? {}).every(([other, value]) => {
      const control = this.controls.get(other);
      return !control || control.value === value;
    });
  }

  private syncVisibility(): void {
    for (const field of this.spec) {
      const wrapper = this.wrappers.get(field.name);
      if (wrapper) wrapper.hidden = !this.relevant(field);
    }
  }
}

// Detectors card of the detection page: every detector with its status and the
// metrics of the epoch it kept, a History button that charts its training, and
// for curators Train on each row and a form to create one.
import { ApiError } from "../api/client";
import {
  ARCH_LABELS,
  type DetectionApi,
  type DetectionFormSpec,
  type Detector,
  detectorStatusClass,
} from "../api/detection";
import { percent, realVideos } from "./detectionExplain";
import { h, setText } from "../shared/dom";
import { OptionFields, readOptionSpec, stackedField } from "../shared/optionFields";

/** New detectors fine-tune the built-in detector (the same architecture) by default. */
const DEFAULT_ARCH = "efficientnet_lite0";
import { formatAbsolute, formatRelative } from "../shared/format";

export interface DetectorTableEvents {
  /** A row's History button (or a new detector) was chosen. */
  select(id: number): void;
  /** Something changed on the server: reload the detectors and the jobs. */
  changed(): void;
}

/** 0.91234 → "0.912"; null → "—". */
export function metric(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(digits);
}

/** Under the threshold: what it flags among validation real videos, or that the score
 * is not a probability. */
function thresholdNote(d: Detector): HTMLElement | null {
  const best = d.best;
  if (best.calibration === undefined || d.threshold === null) return null;
  if (best.calibration === null) return h("div", { class: "muted detector-threshold-note" }, "uncalibrated");
  const fpr = best.threshold_fpr;
  if (fpr === null || fpr === undefined) return null;
  return h(
    "div",
    { class: "muted detector-threshold-note", title: `Calibrated (Platt scaling on the validation faces); the threshold calls ${percent(fpr)} of ${realVideos(best.real_videos)} fake.` },
    `flags ${percent(fpr)} of real videos`,
  );
}

export class DetectorTable {
  private readonly body: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private readonly formEl: HTMLElement | null;
  private detectors: Detector[] = [];
  private selected: number | null = null;

  constructor(
    root: HTMLElement,
    private readonly api: DetectionApi,
    private readonly spec: DetectionFormSpec,
    private readonly canCurate: boolean,
    private readonly events: DetectorTableEvents,
  ) {
    this.body = h("div", { class: "detector-body" }, h("p", { class: "muted" }, "Loading detectors…"));
    this.status = h("div", { class: "detector-status", id: "detector-status", role: "status", "aria-live": "polite" });
    this.formEl = canCurate ? this.form() : null;
    root.replaceChildren(this.body, this.status, ...(this.formEl ? [this.formEl] : []));
  }

  render(detectors: Detector[], selected: number | null): void {
    this.detectors = detectors;
    this.selected = selected;
    if (!detectors.length) {
      this.body.replaceChildren(
        h(
          "p",
          { class: "muted", id: "detector-empty" },
          this.canCurate
            ? "No detectors yet. Create one below, then train it on the project's labeled videos."
            : "No detectors yet. A curator creates and trains them on the project's labeled videos.",
        ),
      );
      return;
    }
    this.body.replaceChildren(h("div", { class: "table-scroll" }, this.table()));
  }

  showError(message: string): void {
    this.body.replaceChildren(h("p", { class: "error-text" }, message));
  }

  private table(): HTMLTableElement {
    const head = ["Detector", "Architecture", "Status", "Kept epoch", "AUC", "Log loss", "Accuracy", "EER", "Threshold", "Trained on", ""];
    const numeric = new Set(["Kept epoch", "AUC", "Log loss", "Accuracy", "EER", "Threshold"]);
    return h(
      "table",
      { class: "data detector-table", id: "detector-table" },
      h("thead", {}, h("tr", {}, ...head.map((label) => h("th", { scope: "col", class: numeric.has(label) ? "num" : null }, label)))),
      h("tbody", {}, ...this.detectors.map((d) => this.row(d))),
    );
  }

  private row(d: Detector): HTMLTableRowElement {
    const val = d.best.val;
    const trained = d.history.length > 0;
    const faces = d.training_set.faces;
    const videos = d.training_set.videos;
    const actions = h("td", { class: "detector-actions" });
    const history = h("button", { type: "button", class: "btn btn-small", "data-action": "history", disabled: !trained, title: trained ? "Chart this detector's training" : "Not trained yet" }, "History");
    history.addEventListener("click", () => this.events.select(d.id));
    actions.append(history);
    if (this.canCurate) {
      const train = h(
        "button",
        { type: "button", class: "btn btn-small btn-primary", "data-action": "train", disabled: d.status === "training" },
        d.status === "training" ? "Training…" : trained ? "Retrain" : "Train",
      );
      train.addEventListener("click", () => void this.train(d, train));
      actions.append(train);
    }
    return h(
      "tr",
      { "data-detector-id": d.id, "data-status": d.status, class: d.id === this.selected ? "selected" : null },
      h(
        "td",
        {},
        h("span", { class: "detector-name" }, d.name),
        h(
          "div",
          { class: "muted detector-created" },
          h("time", { datetime: d.created_at, title: formatAbsolute(d.created_at), class: "relative" }, formatRelative(d.created_at)),
          d.created_by ? ` by ${d.created_by}` : "",
        ),
      ),
      h("td", { class: "mono-num" }, d.arch),
      h("td", {}, h("span", { class: `badge ${detectorStatusClass(d.status)}`, title: d.status_label }, d.status_label)),
      h("td", { class: "num" }, trained ? `${d.best.epoch ?? "—"} of ${d.history.length}` : "—"),
      h("td", { class: "num mono-num detector-auc" }, metric(val?.auc)),
      h("td", { class: "num mono-num" }, metric(val?.log_loss)),
      h("td", { class: "num mono-num" }, metric(val?.accuracy)),
      h("td", { class: "num mono-num" }, metric(val?.eer)),
      h("td", { class: "num mono-num detector-threshold" }, metric(d.threshold, 2), thresholdNote(d)),
      h("td", { class: "muted" }, faces !== undefined ? `${faces.toLocaleString()} faces${videos !== undefined ? ` of ${videos} videos` : ""}` : "—"),
      actions,
    );
  }

  private async train(d: Detector, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const job = await this.api.train(d.id);
      this.showStatus(`Training “${d.name}” queued as job #${job.id}: its progress shows below.`, false);
      this.events.changed();
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : `Could not start training “${d.name}”.`, true);
      button.disabled = false;
    }
  }

  private form(): HTMLElement {
    const field = (label: string, id: string, control: HTMLElement, help?: string): HTMLDivElement =>
      h("div", { class: "field" }, h("label", { for: id, title: help ?? null }, label), control);
    const name = h("input", { name: "name", id: "detector-name", maxlength: 200, required: true, placeholder: "e.g. Newsroom fine-tune" });
    const arch = h(
      "select",
      { name: "arch", id: "detector-arch" },
      ...this.spec.archs.map((value) => h("option", { value, selected: value === DEFAULT_ARCH }, ARCH_LABELS[value] ?? value)),
    );
    const options = new OptionFields(readOptionSpec("detector_train"), { id: (name) => `detector-${name.replace(/_/g, "-")}`, wrap: stackedField });
    const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Create detector");
    const form = h(
      "form",
      { class: "inline detector-create-form", id: "detector-create-form" },
      field("Name", "detector-name", name),
      field("Architecture", "detector-arch", arch),
      ...options.basic,
      submit,
      options.more,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.create(form, submit, options);
    });
    const minimum = this.spec.min_videos_per_label;
    return h(
      "div",
      { class: "detector-create" },
      h("h3", {}, "New detector"),
      h(
        "p",
        { class: "muted detector-create-note" },
        `Training takes faces from every labeled video (at least ${minimum} real, of two people or more; fakes are optional while “Self-blended fakes” is above 0, since it blends each real face with an altered copy of itself), holds out whole identities for validation, keeps the epoch with the lowest validation log loss and calibrates its score.`,
      ),
      form,
    );
  }

  private async create(form: HTMLFormElement, submit: HTMLButtonElement, fields: OptionFields): Promise<void> {
    const data = new FormData(form);
    const options = fields.values();
    submit.disabled = true;
    try {
      const detector = await this.api.createDetector({
        name: String(data.get("name") ?? "").trim(),
        arch: String(data.get("arch") ?? DEFAULT_ARCH),
        options,
      });
      this.showStatus(`Created “${detector.name}”. Press Train on its row to train it.`, false);
      form.reset();
      fields.reset();
      this.events.changed();
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : "Could not create the detector.", true);
    } finally {
      submit.disabled = false;
    }
  }

  private showStatus(message: string, error: boolean): void {
    setText(this.status, message);
    this.status.classList.toggle("error-text", error);
  }
}

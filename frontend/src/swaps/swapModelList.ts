// Swap models card of the project page: the project's models with status,
// iteration and latest losses, and (for curators) a form to create one.
import { ApiError, apiList, apiPost, withParams } from "../api/client";
import type { Faceset } from "../api/facesets";
import { formatLoss, SWAP_ARCHS, type SwapModel, swapStatusClass } from "../api/swaps";
import { dataBool, h, setText } from "../shared/dom";
import { formatAbsolute, formatRelative } from "../shared/format";
import { OptionFields, readOptionSpec, stackedField } from "../shared/optionFields";

export class SwapModelList {
  private readonly api: string;
  private readonly facesetsApi: string;
  private readonly pageTemplate: string;
  private readonly facesetTemplate: string;
  private readonly canCurate: boolean;
  private readonly body: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private facesets: Faceset[] = [];

  constructor(root: HTMLElement) {
    this.api = root.dataset.api ?? "";
    this.facesetsApi = root.dataset.facesetsApi ?? "";
    this.pageTemplate = root.dataset.modelPageUrl ?? "";
    this.facesetTemplate = root.dataset.facesetPageUrl ?? "";
    this.canCurate = dataBool(root, "canCurate");
    this.body = h("div", { class: "swap-model-body" }, h("p", { class: "muted" }, "Loading swap models…"));
    this.status = h("div", { class: "swap-create-status", role: "status", "aria-live": "polite" });
    root.replaceChildren(this.body);
  }

  private modelUrl(id: number): string {
    return this.pageTemplate.replace("{id}", String(id));
  }

  private facesetUrl(id: number): string {
    return this.facesetTemplate.replace("{id}", String(id));
  }

  async start(): Promise<void> {
    try {
      const [models, facesets] = await Promise.all([
        apiList<SwapModel>(withParams(this.api, { page_size: 200 })),
        this.canCurate ? apiList<Faceset>(withParams(this.facesetsApi, { page_size: 200 })) : Promise.resolve(null),
      ]);
      this.facesets = facesets?.results ?? [];
      this.render(models.results, models.count);
    } catch (err) {
      this.body.replaceChildren(h("p", { class: "error-text" }, `Could not load swap models: ${err instanceof ApiError ? err.describe() : String(err)}`));
    }
  }

  private render(models: SwapModel[], count: number): void {
    const parts: Node[] = [];
    if (models.length) {
      parts.push(h("div", { class: "table-scroll" }, this.table(models)));
      if (count > models.length) parts.push(h("p", { class: "muted" }, `Showing the ${models.length} newest of ${count} models.`));
    } else {
      parts.push(
        h(
          "p",
          { class: "muted" },
          "No swap models yet. A swap model learns two people's faces (two facesets, each with a consent or licence record) and replaces one with the other in videos, with per-frame ground truth.",
        ),
      );
    }
    if (this.canCurate) parts.push(this.form());
    this.body.replaceChildren(...parts);
  }

  private table(models: SwapModel[]): HTMLTableElement {
    const facesetLink = (id: number | null, name: string | null): Node =>
      id !== null && name !== null ? h("a", { href: this.facesetUrl(id) }, name) : h("span", { class: "muted", title: "Faceset deleted" }, "deleted");
    return h(
      "table",
      { class: "data swap-model-table", id: "swap-model-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Model"),
          h("th", { scope: "col" }, "Faces A → B"),
          h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col", class: "num" }, "Iteration"),
          h("th", { scope: "col", class: "num" }, "Loss A"),
          h("th", { scope: "col", class: "num" }, "Loss B"),
          h("th", { scope: "col" }, "Created"),
        ),
      ),
      h(
        "tbody",
        {},
        ...models.map((model) =>
          h(
            "tr",
            { "data-model-id": model.id },
            h("td", {}, h("a", { href: this.modelUrl(model.id), class: "swap-model-name" }, model.name), h("div", { class: "muted swap-arch" }, model.arch)),
            h("td", { class: "swap-pair" }, facesetLink(model.faceset_a, model.faceset_a_name), h("span", { class: "swap-arrow", "aria-label": "to" }, " → "), facesetLink(model.faceset_b, model.faceset_b_name)),
            h("td", {}, h("span", { class: `badge ${swapStatusClass(model.status)}`, title: model.status_label }, model.status_label)),
            h(
              "td",
              { class: "num" },
              model.iteration.toLocaleString(),
              model.target_iterations > model.iteration ? h("span", { class: "muted" }, ` / ${model.target_iterations.toLocaleString()}`) : null,
            ),
            h("td", { class: "num mono-num" }, formatLoss(model.loss_a)),
            h("td", { class: "num mono-num" }, formatLoss(model.loss_b)),
            h("td", { class: "muted" }, h("time", { datetime: model.created_at, title: formatAbsolute(model.created_at), class: "relative" }, formatRelative(model.created_at)), model.created_by ? ` by ${model.created_by}` : ""),
          ),
        ),
      ),
    );
  }

  private form(): HTMLDivElement {
    const facesetOptions = (placeholder: string): HTMLOptionElement[] => [
      h("option", { value: "" }, placeholder),
      ...this.facesets.map((f) => h("option", { value: f.id }, `${f.name} (${f.face_count.toLocaleString()} faces)`)),
    ];
    const name = h("input", { name: "name", id: "swap-name", maxlength: 200, required: true, placeholder: "e.g. Anna → Ben v1" });
    const a = h("select", { name: "faceset_a", id: "swap-faceset-a", required: true }, ...facesetOptions("choose faceset A"));
    const b = h("select", { name: "faceset_b", id: "swap-faceset-b", required: true }, ...facesetOptions("choose faceset B"));
    const arch = h("select", { name: "arch", id: "swap-arch" }, ...SWAP_ARCHS.map(([value, label]) => h("option", { value }, label)));
    const options = new OptionFields(readOptionSpec("swap_train"), { id: (name) => `swap-${name}`, wrap: stackedField });
    const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Create model");
    const field = (label: string, id: string, control: HTMLElement): HTMLDivElement => h("div", { class: "field" }, h("label", { for: id }, label), control);
    const form = h(
      "form",
      { class: "inline swap-create-form", id: "swap-create-form" },
      field("Name", "swap-name", name),
      field("Faceset A (shown in the video)", "swap-faceset-a", a),
      field("Faceset B (swapped in)", "swap-faceset-b", b),
      field("Architecture", "swap-arch", arch),
      ...options.basic,
      submit,
      options.more,
    );
    if (this.facesets.length < 2) {
      submit.disabled = true;
      setText(this.status, "A swap model needs two facesets: create and fill them above first.");
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.create(form, submit, options);
    });
    return h("div", { class: "swap-create" }, h("h3", {}, "New swap model"), form, this.status);
  }

  private async create(form: HTMLFormElement, submit: HTMLButtonElement, options: OptionFields): Promise<void> {
    const data = new FormData(form);
    const a = Number(data.get("faceset_a"));
    const b = Number(data.get("faceset_b"));
    if (a && a === b) {
      this.showStatus("Choose two different facesets: A is the person in the video, B the one swapped in.", true);
      return;
    }
    submit.disabled = true;
    try {
      const model = await apiPost<SwapModel>(this.api, {
        name: String(data.get("name") ?? "").trim(),
        faceset_a: a,
        faceset_b: b,
        arch: String(data.get("arch") ?? "original"),
        options: options.values(),
      });
      this.showStatus(`Created “${model.name}”; opening it…`, false);
      window.location.assign(this.modelUrl(model.id));
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : "Could not create the model.", true);
      submit.disabled = false;
    }
  }

  private showStatus(message: string, error: boolean): void {
    setText(this.status, message);
    this.status.classList.toggle("error-text", error);
  }
}

export function mountSwapModelList(): SwapModelList | null {
  const root = document.getElementById("swap-models-root");
  if (!root) return null;
  const list = new SwapModelList(root);
  void list.start();
  return list;
}

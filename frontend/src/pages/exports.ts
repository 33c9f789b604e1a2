// Dataset export page of a project: the builder (selection and options) with a
// live preview that asks the server on every change (debounced), the build
// button, and the list of exports with their build jobs, datasheets and downloads.
import { ApiError } from "../api/client";
import { ExportsApi, type ExportUrls } from "../api/exports";
import { dataBool, dataUrls, h, onReady, setText } from "../shared/dom";
import { type BuilderSpec, ExportForm } from "../exports/exportForm";
import { ExportList } from "../exports/exportList";
import { ExportPreviewView } from "../exports/exportPreview";

const PREVIEW_DELAY_MS = 300;

function readUrls(root: HTMLElement): ExportUrls {
  return dataUrls(root, ["exports", "export", "preview"] as const);
}

function readSpec(): BuilderSpec {
  return JSON.parse(document.getElementById("export-builder-spec")?.textContent ?? "{}") as BuilderSpec;
}

function defaultName(): string {
  const today = new Date().toISOString().slice(0, 10);
  return `dataset-${today}`;
}

onReady(() => {
  const page = document.getElementById("exports-page");
  if (!page) return;
  const api = new ExportsApi(readUrls(page));
  const canCurate = dataBool(page, "canCurate");
  const list = new ExportList(document.getElementById("exports-root")!, api, canCurate);
  void list.refresh();

  const formEl = document.getElementById("export-form") as HTMLFormElement | null;
  const buildRoot = document.getElementById("build-root");
  if (!canCurate || !formEl || !buildRoot) return;

  let timer: number | undefined;
  let inFlight: AbortController | null = null;
  let previewOk = false;

  const nameInput = h("input", { type: "text", id: "export-name", name: "name", value: defaultName(), maxlength: 200, required: true });
  const buildButton = h("button", { type: "button", class: "btn btn-primary", id: "build-export", disabled: true }, "Build export");
  const buildStatus = h("div", { class: "export-build-status", id: "build-status", role: "status", "aria-live": "polite" });
  buildRoot.replaceChildren(
    h("div", { class: "field" }, h("label", { for: "export-name" }, "Name"), nameInput, h("span", { class: "help" }, "Also the zip's file name.")),
    h("div", { class: "export-build-row" }, buildButton, h("span", { class: "muted" }, "Runs as a job; progress shows in the list below.")),
    buildStatus,
  );

  const preview = new ExportPreviewView(document.getElementById("preview-root")!, (percent) => form.setRatios(percent));
  const form = new ExportForm(formEl, document.getElementById("selection-root")!, document.getElementById("options-root")!, readSpec(), () => schedule());

  const syncBuild = (): void => {
    buildButton.disabled = !previewOk || !nameInput.value.trim();
    buildButton.title = previewOk ? "" : "Fix what the preview says first.";
  };

  async function runPreview(): Promise<void> {
    inFlight?.abort();
    const controller = new AbortController();
    inFlight = controller;
    preview.show({ kind: "loading" });
    previewOk = false;
    syncBuild();
    const selection = form.selection();
    if (!selection.labels.length) {
      // The server reads "no labels" as "both"; say what an empty choice means instead.
      const fields = { labels: ["Tick real, fake or both."] };
      form.showFieldErrors(fields);
      preview.show({ kind: "error", error: new ApiError(400, "invalid", "An export needs at least one label: tick real, fake or both.", fields) });
      inFlight = null;
      syncBuild();
      return;
    }
    try {
      const result = await api.preview(selection, form.options(), controller.signal);
      if (inFlight !== controller) return;
      form.showFieldErrors({});
      preview.show({ kind: "ready", preview: result });
      previewOk = true;
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") return;
      if (inFlight !== controller) return;
      form.showFieldErrors(err instanceof ApiError ? err.fields : {});
      preview.show({ kind: "error", error: err });
    } finally {
      if (inFlight === controller) inFlight = null;
      syncBuild();
    }
  }

  function schedule(): void {
    window.clearTimeout(timer);
    preview.show({ kind: "loading" });
    previewOk = false;
    syncBuild();
    timer = window.setTimeout(() => void runPreview(), PREVIEW_DELAY_MS);
  }

  nameInput.addEventListener("input", syncBuild);
  buildButton.addEventListener("click", async () => {
    buildButton.disabled = true;
    setText(buildStatus, "Starting the build…");
    buildStatus.className = "export-build-status muted";
    try {
      const created = await api.create(nameInput.value.trim(), form.selection(), form.options());
      setText(buildStatus, `Building “${created.name}”: follow its progress in the list below.`);
      buildStatus.className = "export-build-status success-text";
      await list.refresh();
      document.querySelector(`[data-export-id="${created.id}"]`)?.scrollIntoView({ behavior: "smooth", block: "center" });
    } catch (err) {
      setText(buildStatus, err instanceof ApiError ? err.describe() : "Could not start the build.");
      buildStatus.className = "export-build-status error-text";
    } finally {
      syncBuild();
    }
  });

  void runPreview();
});

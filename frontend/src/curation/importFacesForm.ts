// Import card: a zip of faceswap or DeepFaceLab aligned faces becomes faces of this
// faceset through a faceset_import job (landmarks kept, re-aligned to ours).
import { ApiError, csrfToken, errorFromResponse } from "../api/client";
import { h, setText } from "../shared/dom";

const FORMATS: [string, string][] = [
  ["auto", "Detect"],
  ["faceswap", "faceswap"],
  ["deepfacelab", "DeepFaceLab"],
];

export class ImportFacesForm {
  private readonly form: HTMLFormElement;
  private readonly status: HTMLDivElement;
  private readonly submit: HTMLButtonElement;

  constructor(
    root: HTMLElement,
    private readonly url: string,
    private readonly onQueued: () => void,
  ) {
    this.status = h("div", { class: "extract-status", role: "status", "aria-live": "polite" });
    this.submit = h("button", { type: "submit", class: "btn" }, "Import");
    const format = h(
      "select",
      { name: "format", id: "import-faces-format" },
      ...FORMATS.map(([value, label]) => h("option", { value }, label)),
    );
    this.form = h(
      "form",
      { class: "inline import-faces-form", id: "import-faces-form" },
      h(
        "div",
        { class: "field" },
        h("label", { for: "import-faces-file" }, "Zip of aligned faces"),
        h("input", { type: "file", name: "file", id: "import-faces-file", accept: ".zip,application/zip", required: true }),
      ),
      h("div", { class: "field" }, h("label", { for: "import-faces-format" }, "Made by"), format),
      this.submit,
      this.status,
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.run();
    });
    root.replaceChildren(this.form);
  }

  private async run(): Promise<void> {
    const data = new FormData(this.form);
    const file = data.get("file");
    if (!(file instanceof File) || !file.size) {
      this.showStatus("Choose a zip of faceswap or DeepFaceLab faces first.", true);
      return;
    }
    this.submit.disabled = true;
    try {
      const response = await fetch(this.url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      const text = await response.text();
      if (!response.ok) throw errorFromResponse(response.status, response.statusText, text);
      this.showStatus("Import queued; progress shows below.", false);
      this.form.reset();
      this.onQueued();
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : "Could not upload the zip.", true);
    } finally {
      this.submit.disabled = false;
    }
  }

  private showStatus(message: string, error: boolean): void {
    setText(this.status, message);
    this.status.classList.toggle("error-text", error);
  }
}

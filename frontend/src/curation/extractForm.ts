// Extract card: pick media, sampling and thresholds, queue one extract job per item.
import { ApiError, apiList, withParams } from "../api/client";
import type { FacesetApi } from "../api/facesets";
import type { Media } from "../api/types";
import { h, setText } from "../shared/dom";
import { formatDuration } from "../shared/format";
import { OptionFields, readOptionSpec } from "../shared/optionFields";

export class ExtractForm {
  private readonly form: HTMLFormElement;
  private readonly mediaList: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private readonly submit: HTMLButtonElement;
  private readonly options: OptionFields;

  constructor(
    root: HTMLElement,
    private readonly api: FacesetApi,
    private readonly onQueued: () => void,
  ) {
    this.mediaList = h("div", { class: "extract-media", role: "group", "aria-label": "Media to extract from" }, h("span", { class: "muted" }, "Loading media…"));
    this.status = h("div", { class: "extract-status", role: "status", "aria-live": "polite" });
    this.submit = h("button", { type: "submit", class: "btn btn-primary" }, "Extract");
    this.options = new OptionFields(readOptionSpec("extract"), { id: (name) => `extract-${name}` });
    this.form = h(
      "form",
      { class: "extract-form", id: "extract-form" },
      h("div", { class: "extract-media-head" }, h("strong", {}, "Media"), this.selectAllButton()),
      this.mediaList,
      h(
        "div",
        { class: "extract-options" },
        ...this.options.basic,
        this.submit,
      ),
      this.options.more,
      this.status,
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.run();
    });
    root.replaceChildren(this.form);
    void this.loadMedia();
  }

  private selectAllButton(): HTMLButtonElement {
    const button = h("button", { type: "button", class: "btn btn-small" }, "All");
    button.addEventListener("click", () => {
      const boxes = [...this.mediaList.querySelectorAll<HTMLInputElement>("input[type=checkbox]:not(:disabled)")];
      const every = boxes.every((box) => box.checked);
      for (const box of boxes) box.checked = !every;
    });
    return button;
  }

  private async loadMedia(): Promise<void> {
    try {
      const page = await apiList<Media>(withParams(this.api.urls.media, { page_size: 200, ordering: "name" }));
      if (!page.results.length) {
        this.mediaList.replaceChildren(h("span", { class: "muted" }, "No media in this project yet: upload videos or photos on the project page."));
        return;
      }
      this.mediaList.replaceChildren(
        ...page.results.map((media) => {
          const facts = media.kind === "video" ? formatDuration(media.duration_seconds) : "photo";
          return h(
            "label",
            { class: "extract-media-item", title: media.status !== "ready" ? `Not ready: ${media.status}` : media.name },
            h("input", { type: "checkbox", name: "media", value: media.id, disabled: media.status !== "ready" }),
            h("span", { class: "extract-media-name" }, media.name),
            h("span", { class: "muted" }, facts),
          );
        }),
      );
      if (page.count > page.results.length) {
        this.mediaList.append(h("span", { class: "muted" }, `Showing the first ${page.results.length} of ${page.count} items.`));
      }
    } catch (err) {
      this.mediaList.replaceChildren(h("span", { class: "error-text" }, err instanceof ApiError ? err.describe() : "Could not load media."));
    }
  }

  private async run(): Promise<void> {
    const data = new FormData(this.form);
    const media = data.getAll("media").map((value) => Number(value));
    if (!media.length) {
      this.showStatus("Tick at least one video or photo to extract from.", true);
      return;
    }
    const options = this.options.values();
    this.submit.disabled = true;
    try {
      const jobs = await this.api.extract(media, options);
      this.showStatus(`Queued ${jobs.length} extract job${jobs.length === 1 ? "" : "s"}; progress shows below.`, false);
      this.onQueued();
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : "Could not start the extraction.", true);
    } finally {
      this.submit.disabled = false;
    }
  }

  private showStatus(message: string, error: boolean): void {
    setText(this.status, message);
    this.status.classList.toggle("error-text", error);
  }
}

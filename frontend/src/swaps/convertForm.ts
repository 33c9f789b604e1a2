// Convert card of a swap model: pick a video, a direction and the blending
// options; preview one frame (original | converted, waited for here) or queue
// the whole video, whose job shows in the card's jobs panel.
import { ApiError } from "../api/client";
import { type Direction, directionLabel, type SwapModelApi, type SwapModelDetail } from "../api/swaps";
import { ACTIVE_JOB_STATUSES, type Job, type Media } from "../api/types";
import { h, setAttr, setText } from "../shared/dom";
import { formatDuration } from "../shared/format";
import { OptionFields, type OptionValue, readOptionSpec } from "../shared/optionFields";

// Friendlier names of the colour transfers the server declares.
const COLOR_TRANSFER_LABELS: Record<string, string> = {
  "avg-color": "average colour",
  reinhard: "Reinhard",
  "hist-match": "histogram match",
  none: "none",
};

const PREVIEW_POLL_MS = 1_000;
const PREVIEW_GIVE_UP_MS = 15 * 60_000;

export class ConvertForm {
  private readonly form: HTMLFormElement;
  private readonly video: HTMLSelectElement;
  private readonly direction: HTMLSelectElement;
  private readonly frame: HTMLInputElement;
  private readonly frameHint: HTMLSpanElement;
  private readonly previewButton: HTMLButtonElement;
  private readonly convertButton: HTMLButtonElement;
  private readonly status: HTMLDivElement;
  private readonly blending: OptionFields;
  private readonly result: HTMLElement;
  private readonly resultImage: HTMLImageElement;
  private readonly resultCaption: HTMLParagraphElement;
  private videos: Media[] = [];
  private names = { a: "A", b: "B" };
  private readonly directionHint: HTMLSpanElement;
  private hasCheckpoint = false;
  private previewing = false;
  private previewToken = 0;

  constructor(
    root: HTMLElement,
    private readonly api: SwapModelApi,
    private readonly artifactUrl: (jobId: number) => string,
    private readonly onConvertQueued: () => void,
  ) {
    this.video = h("select", { name: "media", id: "convert-media", required: true }, h("option", { value: "" }, "Loading videos…"));
    this.direction = h(
      "select",
      { name: "direction", id: "convert-direction" },
      h("option", { value: "a-to-b" }, "A → B"),
      h("option", { value: "b-to-a" }, "B → A"),
    );
    this.directionHint = h("span", { class: "muted convert-direction-hint", id: "convert-direction-hint" });
    this.frame = h("input", { type: "number", name: "frame", id: "convert-frame", value: 0, min: 0, step: 1 });
    this.frameHint = h("span", { class: "muted convert-frame-hint" });
    this.previewButton = h("button", { type: "button", class: "btn", id: "convert-preview" }, "Preview frame");
    this.convertButton = h("button", { type: "submit", class: "btn btn-primary", id: "convert-start" }, "Convert video");
    this.status = h("div", { class: "convert-status", id: "convert-status", role: "status", "aria-live": "polite" });
    this.resultImage = h("img", { class: "convert-preview-image", id: "convert-preview-image", alt: "Original and converted frame side by side" });
    this.resultCaption = h("p", { class: "muted convert-preview-caption" });
    this.result = h("figure", { class: "convert-preview", id: "convert-preview-result" }, this.resultImage, h("figcaption", {}, this.resultCaption));
    this.result.hidden = true;

    this.blending = new OptionFields(readOptionSpec("swap_convert"), {
      id: (name) => `convert-${name}`,
      choiceLabels: { color_transfer: COLOR_TRANSFER_LABELS },
    });
    this.form = h(
      "form",
      { class: "convert-form", id: "convert-form" },
      h(
        "div",
        { class: "convert-row" },
        h("label", { class: "field-inline convert-video" }, "Video", this.video),
        h("label", { class: "field-inline convert-direction" }, "Direction", this.direction),
        this.directionHint,
      ),
      h(
        "fieldset",
        { class: "convert-options" },
        h("legend", {}, "Blending"),
        ...this.blending.basic,
        this.blending.more,
      ),
      h(
        "div",
        { class: "convert-row convert-actions" },
        h("label", { class: "field-inline" }, "Frame", this.frame),
        this.previewButton,
        this.frameHint,
        h("span", { class: "convert-spacer" }),
        this.convertButton,
      ),
      this.status,
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.convert();
    });
    this.previewButton.addEventListener("click", () => void this.preview());
    this.video.addEventListener("change", () => this.videoChanged());
    this.direction.addEventListener("change", () => this.directionChanged());
    root.replaceChildren(this.form, this.result);
    this.syncButtons();
  }

  /** Names the directions after the facesets and enables the buttons once a checkpoint exists. */
  updateModel(model: SwapModelDetail): void {
    const a = model.faceset_a_name;
    const b = model.faceset_b_name;
    this.names = { a: a ?? "A", b: b ?? "B" };
    for (const opt of this.direction.options) {
      const text = directionLabel(opt.value, a, b);
      if (opt.textContent !== text) opt.textContent = text;
    }
    this.directionChanged();
    this.hasCheckpoint = model.has_checkpoint;
    this.syncButtons();
  }

  private directionChanged(): void {
    const [shown, swapped] = this.direction.value === "b-to-a" ? [this.names.b, this.names.a] : [this.names.a, this.names.b];
    setText(this.directionHint, `The video must show ${shown}; the fake shows ${swapped} instead.`);
  }

  setVideos(videos: Media[]): void {
    const chosen = this.video.value;
    this.videos = videos;
    if (!videos.length) {
      this.video.replaceChildren(h("option", { value: "" }, "No videos in this project"));
    } else {
      this.video.replaceChildren(
        h("option", { value: "" }, "choose a video"),
        ...videos.map((m) =>
          h(
            "option",
            { value: m.id, disabled: m.status !== "ready", selected: String(m.id) === chosen },
            `${m.name}${m.origin === "fake" ? " (fake)" : ""} · ${formatDuration(m.duration_seconds)}${m.status !== "ready" ? ` · ${m.status}` : ""}`,
          ),
        ),
      );
    }
    this.videoChanged(false);
  }

  private selected(): Media | null {
    const id = Number(this.video.value);
    return this.videos.find((m) => m.id === id) ?? null;
  }

  private videoChanged(resetFrame = true): void {
    const media = this.selected();
    const count = media?.frame_count ?? null;
    if (count) {
      this.frame.max = String(count - 1);
      if (resetFrame) this.frame.value = String(Math.floor(count / 2));
      setText(this.frameHint, `0 – ${(count - 1).toLocaleString()}`);
    } else {
      this.frame.removeAttribute("max");
      setText(this.frameHint, "");
    }
    this.syncButtons();
  }

  private syncButtons(): void {
    const ready = this.hasCheckpoint && this.selected() !== null;
    this.convertButton.disabled = !ready;
    this.previewButton.disabled = !ready || this.previewing;
    const why = !this.hasCheckpoint ? "Train the model first: converting needs a checkpoint." : this.selected() ? null : "Choose a video.";
    setAttr(this.convertButton, "title", why);
    setAttr(this.previewButton, "title", why);
    if (!this.hasCheckpoint && !this.status.textContent) {
      setText(this.status, "Train the model first: converting needs a checkpoint.");
      this.status.classList.add("muted");
    } else if (this.hasCheckpoint && this.status.classList.contains("muted")) {
      setText(this.status, "");
      this.status.classList.remove("muted");
    }
  }

  /** The conversion options as the API takes them. */
  private options(): Record<string, OptionValue> {
    return this.blending.values();
  }

  private valid(): boolean {
    if (!this.form.reportValidity()) return false;
    if (!this.selected()) {
      this.showStatus("Choose a video to convert.", true);
      return false;
    }
    return true;
  }

  private async convert(): Promise<void> {
    const media = this.selected();
    if (!this.valid() || !media) return;
    this.convertButton.disabled = true;
    try {
      const job = await this.api.convert({ media: media.id, direction: this.direction.value as Direction, options: this.options(), track: null });
      this.showStatus(`Converting “${media.name}” (job #${job.id}); the fake appears under “Fakes made by this model” when it is done.`, false);
      this.onConvertQueued();
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : "Could not start the conversion.", true);
    } finally {
      this.syncButtons();
    }
  }

  private async preview(): Promise<void> {
    const media = this.selected();
    if (!this.valid() || !media) return;
    const frame = Number(this.frame.value);
    if (!Number.isInteger(frame) || frame < 0) {
      this.showStatus("Give a frame number (0 is the first frame).", true);
      return;
    }
    const token = ++this.previewToken;
    this.previewing = true;
    this.syncButtons();
    this.showStatus(`Rendering frame ${frame.toLocaleString()} of “${media.name}”…`, false);
    this.form.setAttribute("aria-busy", "true");
    try {
      let job = await this.api.preview({ media: media.id, frame, direction: this.direction.value as Direction, options: this.options(), track: null });
      const started = Date.now();
      while (ACTIVE_JOB_STATUSES.includes(job.status)) {
        if (Date.now() - started > PREVIEW_GIVE_UP_MS) throw new Error("The preview is taking too long; is a GPU worker running?");
        this.showStatus(job.status === "queued" ? `Frame ${frame.toLocaleString()}: waiting for a GPU worker (job #${job.id})…` : `Frame ${frame.toLocaleString()}: ${job.message || "rendering"}…`, false);
        await new Promise((resolve) => window.setTimeout(resolve, PREVIEW_POLL_MS));
        if (token !== this.previewToken) return;
        job = await this.api.job(job.id);
      }
      if (token !== this.previewToken) return;
      this.showResult(job, media, frame);
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : err instanceof Error ? err.message : "Could not preview the frame.", true);
    } finally {
      if (token === this.previewToken) {
        this.previewing = false;
        this.form.removeAttribute("aria-busy");
        this.syncButtons();
      }
    }
  }

  private showResult(job: Job, media: Media, frame: number): void {
    if (job.status !== "succeeded" || !job.result.artifact) {
      const reason = job.status === "failed" ? (job.error.split("\n")[0] ?? "") : `the job was ${job.status}`;
      this.showStatus(`The preview did not render: ${reason || "no image came back"}.`, true);
      return;
    }
    this.resultImage.src = this.artifactUrl(job.id);
    this.result.dataset.jobId = String(job.id);
    setText(this.resultCaption, `Frame ${frame.toLocaleString()} of ${media.name}: original (left) and converted (right).`);
    this.result.hidden = false;
    this.showStatus(`Frame ${frame.toLocaleString()} rendered.`, false);
  }

  private showStatus(message: string, error: boolean): void {
    this.status.classList.remove("muted");
    setText(this.status, message);
    this.status.classList.toggle("error-text", error);
  }
}

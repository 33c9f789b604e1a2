// Uploader: sends files one at a time with XMLHttpRequest so each gets a real
// progress bar (percent and MB/s), then shows the server's verdict per file.
import { ApiError, uploadMedia, type UploadHandle } from "../api/client";
import type { UploadResult } from "../api/types";
import { dataNumber, h, setText } from "./dom";
import { formatBytes, formatRate } from "./format";
import { ProgressBar } from "./progress";

interface QueuedFile {
  file: File;
  fields: Record<string, string>;
  row: UploadRow;
}

class UploadRow {
  readonly el: HTMLLIElement;
  private readonly progress = new ProgressBar({ fraction: 0, label: "waiting", state: "queued" }, "Upload progress");
  private readonly statusEl: HTMLDivElement;
  private readonly cancelButton: HTMLButtonElement;
  private startedAt = 0;
  private lastRateAt = 0;
  private lastLoaded = 0;
  private rate = 0;
  handle: UploadHandle | null = null;
  cancelled = false;

  constructor(readonly file: File) {
    this.statusEl = h("div", { class: "upload-status muted", "aria-live": "polite" }, "Waiting…");
    this.cancelButton = h("button", { type: "button", class: "btn btn-small", "aria-label": `Cancel upload of ${file.name}` }, "Cancel");
    this.cancelButton.addEventListener("click", () => {
      this.cancelled = true;
      if (this.handle) this.handle.abort();
      else this.fail("Upload cancelled.", "cancelled");
    });
    this.el = h(
      "li",
      { class: "upload-row", "data-state": "queued" },
      h(
        "div",
        { class: "upload-head" },
        h("span", { class: "upload-name", title: file.name }, file.name),
        h("span", { class: "upload-size muted" }, formatBytes(file.size)),
        this.cancelButton,
      ),
      this.progress.el,
      this.statusEl,
    );
  }

  start(): void {
    this.startedAt = performance.now();
    this.lastRateAt = this.startedAt;
    this.el.dataset.state = "uploading";
    this.progress.update({ fraction: 0, state: "running" });
    setText(this.statusEl, "Uploading…");
  }

  onProgress(loaded: number, total: number): void {
    const now = performance.now();
    const dt = (now - this.lastRateAt) / 1000;
    if (dt >= 0.25) {
      const instant = (loaded - this.lastLoaded) / dt;
      // Exponential smoothing keeps the MB/s figure readable.
      this.rate = this.rate ? this.rate * 0.7 + instant * 0.3 : instant;
      this.lastRateAt = now;
      this.lastLoaded = loaded;
    }
    const fraction = total > 0 ? loaded / total : 0;
    this.progress.update({ fraction, state: "running" });
    const rate = this.rate || loaded / Math.max(0.001, (now - this.startedAt) / 1000);
    setText(this.statusEl, `${formatBytes(loaded)} of ${formatBytes(total)} · ${formatRate(rate)}`);
  }

  onSent(): void {
    this.el.dataset.state = "processing";
    this.progress.update({ fraction: null, label: "checking", state: "running" });
    setText(this.statusEl, "Uploaded; the server is checking the file…");
    this.cancelButton.hidden = true;
  }

  succeed(result: UploadResult): void {
    this.cancelButton.remove();
    this.el.dataset.state = result.duplicate ? "duplicate" : "done";
    this.progress.update({ fraction: 1, label: "100%", state: "succeeded" });
    const link = h("a", { href: result.media.detail_url }, result.media.name);
    this.statusEl.className = "upload-status success-text";
    this.statusEl.replaceChildren(
      ...(result.duplicate ? ["Already in project: ", link] : ["Uploaded: ", link]),
    );
  }

  fail(message: string, state: "failed" | "cancelled" = "failed", code = ""): void {
    this.cancelButton.remove();
    this.el.dataset.state = state;
    if (code) this.el.dataset.errorCode = code;
    this.progress.update({ fraction: state === "cancelled" ? 0 : 1, label: state, state });
    this.statusEl.className = `upload-status ${state === "failed" ? "error-text" : "muted"}`;
    setText(this.statusEl, message);
  }
}

export interface UploaderOptions {
  /** Called after every file the server accepted (new or duplicate). */
  onUploaded?: (result: UploadResult) => void;
}

export class Uploader {
  private readonly api: string;
  private readonly maxBytes: number | null;
  private readonly form: HTMLFormElement | null;
  private readonly fileInput: HTMLInputElement | null;
  private readonly list: HTMLUListElement;
  private readonly queue: QueuedFile[] = [];
  private running = false;
  private dragDepth = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: UploaderOptions = {},
  ) {
    this.api = root.dataset.api ?? "";
    this.maxBytes = dataNumber(root, "maxBytes");
    this.form = root.querySelector<HTMLFormElement>("#upload-form");
    this.fileInput = this.form?.querySelector<HTMLInputElement>('input[type="file"][name="file"]') ?? null;
    this.list = h("ul", { class: "upload-list" });
    const listHost = document.getElementById("upload-list") ?? root;
    listHost.append(this.list);

    root.classList.add("dropzone");
    this.form?.addEventListener("submit", (event) => {
      event.preventDefault();
      const files = [...(this.fileInput?.files ?? [])];
      if (!files.length) {
        this.fileInput?.focus();
        this.notice("Choose one or more files first, or drop them here.");
        return;
      }
      this.enqueue(files);
      if (this.fileInput) this.fileInput.value = "";
    });
    this.bindDragAndDrop();
    window.addEventListener("beforeunload", (event) => {
      if (!this.running) return;
      event.preventDefault();
      event.returnValue = ""; // older browsers need this to show the prompt
    });
  }

  private bindDragAndDrop(): void {
    const hasFiles = (event: DragEvent): boolean => [...(event.dataTransfer?.types ?? [])].includes("Files");
    this.root.addEventListener("dragenter", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      this.dragDepth += 1;
      this.root.classList.add("is-dragover");
    });
    this.root.addEventListener("dragover", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
    });
    this.root.addEventListener("dragleave", () => {
      // dragleave fires for every child crossed; count to know when we truly left.
      this.dragDepth = Math.max(0, this.dragDepth - 1);
      if (this.dragDepth === 0) this.root.classList.remove("is-dragover");
    });
    this.root.addEventListener("drop", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      this.dragDepth = 0;
      this.root.classList.remove("is-dragover");
      this.enqueue([...(event.dataTransfer?.files ?? [])]);
    });
  }

  /** The form's extra fields (origin, identity), captured when files are queued. */
  private formFields(): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const name of ["origin", "identity"]) {
      const control = this.form?.elements.namedItem(name);
      if (control instanceof HTMLSelectElement || control instanceof HTMLInputElement) {
        if (control.value) fields[name] = control.value;
      }
    }
    return fields;
  }

  enqueue(files: File[]): void {
    const fields = this.formFields();
    for (const file of files) {
      const row = new UploadRow(file);
      this.list.prepend(row.el);
      if (this.maxBytes !== null && file.size > this.maxBytes) {
        row.fail(`This file is ${formatBytes(file.size)}; the limit is ${formatBytes(this.maxBytes)}.`, "failed", "too_large");
        continue;
      }
      this.queue.push({ file, fields, row });
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        await this.uploadOne(item);
      }
    } finally {
      this.running = false;
    }
  }

  private async uploadOne({ file, fields, row }: QueuedFile): Promise<void> {
    if (row.cancelled) return;
    row.start();
    row.handle = uploadMedia(
      this.api,
      file,
      fields,
      ({ loaded, total }) => row.onProgress(loaded, total),
      () => row.onSent(),
    );
    try {
      const result = await row.handle.promise;
      row.succeed(result);
      this.options.onUploaded?.(result);
    } catch (err) {
      if (err instanceof ApiError && err.code === "aborted") row.fail("Upload cancelled.", "cancelled");
      else if (err instanceof ApiError) row.fail(err.describe(), "failed", err.code);
      else row.fail("The upload failed.");
    } finally {
      row.handle = null;
    }
  }

  private notice(message: string): void {
    const row = h("li", { class: "upload-row upload-notice muted" }, message);
    this.list.prepend(row);
    window.setTimeout(() => row.remove(), 5000);
  }
}

export function mountUploader(options: UploaderOptions = {}): Uploader | null {
  const root = document.getElementById("upload");
  if (!root) return null;
  return new Uploader(root, options);
}

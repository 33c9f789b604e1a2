// "Import a dataset export" on the projects page: upload an export zip, which
// becomes a new project filled by a job; shows your recent imports with the job's
// status and a link to the project. Polls while an import is running.
import { ApiError } from "../api/client";
import { type DatasetImport, importExport, listImports } from "../api/exports";
import { ACTIVE_JOB_STATUSES } from "../api/types";
import { h, setText } from "../shared/dom";
import { formatAbsolute, formatRelative } from "../shared/format";
import { ProgressBar } from "../shared/progress";

const POLL_MS = 1_500;
const SHOWN = 5;

function isActive(record: DatasetImport): boolean {
  return record.status !== null && ACTIVE_JOB_STATUSES.includes(record.status);
}

function summaryText(record: DatasetImport): string {
  const s = record.summary as Record<string, unknown>;
  const parts: string[] = [];
  for (const [key, label] of [["videos", "videos"], ["faces", "faces"], ["reviewers", "reviewers"]] as const) {
    if (typeof s[key] === "number") parts.push(`${s[key] as number} ${label}`);
  }
  return parts.join(" · ");
}

export class ImportCard {
  private readonly api: string;
  private readonly fileInput: HTMLInputElement;
  private readonly nameInput: HTMLInputElement;
  private readonly button: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly list: HTMLElement;
  private readonly upload = new ProgressBar({ fraction: 0 }, "Upload progress");
  private timer: number | undefined;

  constructor(root: HTMLElement) {
    this.api = root.dataset.api ?? "";
    const form = root.querySelector<HTMLFormElement>("#import-form")!;
    this.fileInput = form.querySelector<HTMLInputElement>('input[name="file"]')!;
    this.nameInput = form.querySelector<HTMLInputElement>('input[name="name"]')!;
    this.button = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
    this.status = root.querySelector<HTMLElement>("#import-status")!;
    this.list = root.querySelector<HTMLElement>("#import-list")!;
    this.upload.el.hidden = true;
    this.status.before(this.upload.el);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit();
    });
  }

  private say(text: string, tone: "muted" | "error-text" | "success-text"): void {
    setText(this.status, text);
    this.status.className = `import-status ${tone}`;
  }

  private async submit(): Promise<void> {
    const file = this.fileInput.files?.[0];
    if (!file) {
      this.say("Choose the export's .zip file first.", "error-text");
      return;
    }
    this.button.disabled = true;
    this.upload.el.hidden = false;
    this.upload.update({ fraction: 0, state: "running" });
    this.say(`Uploading ${file.name}…`, "muted");
    try {
      const record = await importExport(this.api, file, this.nameInput.value.trim(), (fraction) =>
        this.upload.update({ fraction, state: "running" }),
      );
      this.say(`Created the project “${record.project_name}”; the import job is filling it.`, "success-text");
      this.fileInput.value = "";
      this.nameInput.value = "";
      await this.refresh();
    } catch (err) {
      this.say(err instanceof ApiError ? err.describe() : "The import failed.", "error-text");
    } finally {
      this.upload.el.hidden = true;
      this.button.disabled = false;
    }
  }

  async refresh(): Promise<void> {
    window.clearTimeout(this.timer);
    let records: DatasetImport[] = [];
    try {
      records = await listImports(this.api);
    } catch {
      return; // the card still works; the list comes back on the next import
    }
    this.list.replaceChildren(
      ...(records.length ? [h("h3", {}, "Your imports")] : []),
      ...records.slice(0, SHOWN).map((record) => this.row(record)),
    );
    if (records.some(isActive)) this.timer = window.setTimeout(() => void this.refresh(), POLL_MS);
  }

  private row(record: DatasetImport): HTMLElement {
    const status = record.status ?? "queued";
    const parts: (HTMLElement | string)[] = [
      h(
        "div",
        { class: "import-head" },
        record.project_url ? h("a", { href: record.project_url, class: "import-project" }, record.project_name ?? "") : h("span", { class: "import-project muted" }, record.file_name),
        h("span", { class: `badge status-${status}` }, status === "succeeded" ? "imported" : status),
      ),
      h(
        "div",
        { class: "muted import-meta" },
        `${record.file_name} · `,
        h("time", { datetime: record.created_at, title: formatAbsolute(record.created_at) }, formatRelative(record.created_at)),
      ),
    ];
    if (isActive(record)) {
      parts.push(new ProgressBar({ fraction: status === "queued" ? 0 : record.progress ?? 0, state: status }, "Import progress").el);
    }
    if (status === "failed" && record.error) parts.push(h("div", { class: "error-text import-error" }, record.error.split("\n")[0] ?? ""));
    if (status === "succeeded") {
      const text = summaryText(record);
      if (text) parts.push(h("div", { class: "muted import-summary" }, text));
    }
    return h("div", { class: "import-item", "data-import-id": record.id, "data-status": status }, ...parts);
  }
}

export function mountImportCard(): ImportCard | null {
  const root = document.getElementById("import-card");
  if (!root) return null;
  const card = new ImportCard(root);
  void card.refresh();
  return card;
}

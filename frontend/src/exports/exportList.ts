// The project's dataset exports: status and progress of the build job, what was
// written (videos, faces, files, size, per-split counts), the manifest fingerprint
// with a copy button, the datasheet, and download / delete for curators.
//
// Polls every 1.5 s while an export is being built, and not at all otherwise.
import { ApiError } from "../api/client";
import { type DatasetExport, type ExportsApi, SPLIT_NAMES } from "../api/exports";
import { ACTIVE_JOB_STATUSES } from "../api/types";
import { h, setText } from "../shared/dom";
import { formatAbsolute, formatBytes, formatRelative, humanize } from "../shared/format";
import { renderMarkdown } from "../shared/markdown";
import { ProgressBar } from "../shared/progress";

const POLL_MS = 1_500;

function isActive(item: DatasetExport): boolean {
  return item.status !== null && ACTIVE_JOB_STATUSES.includes(item.status);
}

/** Copies `text`; falls back to a selected textarea where the Clipboard API is missing (plain http). */
async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const area = h("textarea", { class: "visually-hidden", readonly: true }, text);
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  return ok;
}

function labelSourceText(item: DatasetExport): string {
  const s = item.selection;
  const source = s.label_source === "reviewer" ? `${s.reviewer ?? "a reviewer"}'s verdicts` : humanize(s.label_source);
  const parts = [`labels: ${source}`, (s.labels ?? []).join(" + ")];
  if (s.identities?.length) parts.push(`${s.identities.length} ${s.identities.length === 1 ? "person" : "people"}`);
  if (s.methods?.length) parts.push(s.methods.join(", "));
  const o = item.options;
  if (o) {
    parts.push(`${o.frames_per_video} faces/video at ${o.crop_size} px`);
    parts.push(`splits ${(o.ratios ?? []).map((r) => Math.round(r * 100)).join(" / ")}`, `seed ${o.seed}`);
    if (o.compressions?.length) parts.push(o.compressions.join(" "));
  }
  return parts.filter(Boolean).join(" · ");
}

export class ExportList {
  private readonly listEl: HTMLDivElement;
  private readonly emptyEl: HTMLDivElement;
  private readonly errorEl: HTMLDivElement;
  private readonly items = new Map<number, { key: string; el: HTMLElement }>();
  private readonly openSheets = new Set<number>();
  private timer: number | undefined;

  constructor(
    root: HTMLElement,
    private readonly api: ExportsApi,
    private readonly canCurate: boolean,
  ) {
    this.listEl = h("div", { class: "export-list", id: "export-list" });
    this.emptyEl = h(
      "div",
      { class: "empty", hidden: true, id: "exports-empty" },
      canCurate ? "No exports yet. Choose the videos above, check the preview, then build one." : "No exports yet.",
    );
    this.errorEl = h("div", { class: "messages", hidden: true, role: "status" });
    root.replaceChildren(this.errorEl, this.listEl, this.emptyEl);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") void this.refresh();
    });
  }

  async refresh(): Promise<void> {
    window.clearTimeout(this.timer);
    let active = false;
    try {
      const exports = await this.api.list();
      this.render(exports);
      active = exports.some(isActive);
      this.showError(null);
    } catch (err) {
      this.showError(`Could not load the exports: ${err instanceof ApiError ? err.describe() : String(err)}`);
    }
    if (active && document.visibilityState !== "hidden") {
      this.timer = window.setTimeout(() => void this.refresh(), POLL_MS);
    }
  }

  private render(exports: DatasetExport[]): void {
    const seen = new Set<number>();
    exports.forEach((item, index) => {
      seen.add(item.id);
      const key = JSON.stringify(item);
      let entry = this.items.get(item.id);
      if (!entry || entry.key !== key) {
        const el = this.item(item);
        entry?.el.replaceWith(el);
        entry = { key, el };
        this.items.set(item.id, entry);
      }
      const at = this.listEl.children[index];
      if (at !== entry.el) this.listEl.insertBefore(entry.el, at ?? null);
    });
    for (const [id, entry] of this.items) {
      if (!seen.has(id)) {
        entry.el.remove();
        this.items.delete(id);
      }
    }
    this.emptyEl.hidden = exports.length > 0;
  }

  private item(item: DatasetExport): HTMLElement {
    const status = item.status ?? (item.manifest_sha256 ? "succeeded" : "queued");
    const done = Boolean(item.manifest_sha256);
    const summary = item.summary ?? {};
    const head = h(
      "div",
      { class: "export-item-head" },
      h("h3", { class: "export-name" }, item.name),
      h("span", { class: `badge status-${status} export-status` }, status === "succeeded" ? "ready" : status),
      h(
        "span",
        { class: "muted export-when" },
        h("time", { datetime: item.created_at, title: formatAbsolute(item.created_at) }, formatRelative(item.created_at)),
        item.created_by ? ` by ${item.created_by}` : "",
      ),
      h("span", { class: "export-spacer" }),
      this.actions(item),
    );
    const parts: (HTMLElement | null)[] = [head, h("p", { class: "muted export-recipe" }, labelSourceText(item))];
    if (isActive(item)) {
      const bar = new ProgressBar({ fraction: status === "queued" ? 0 : item.progress ?? 0, state: status }, `Building ${item.name}`);
      parts.push(h("div", { class: "export-progress" }, bar.el, h("span", { class: "muted export-message" }, item.message || (status === "queued" ? "Waiting for a worker…" : ""))));
    }
    if (status === "failed" || status === "cancelled") {
      parts.push(h("div", { class: "messages" }, h("div", { class: `message ${status === "failed" ? "error" : "warning"}` }, (item.error || item.message || `The build was ${status}.`).split("\n")[0] ?? "")));
    }
    if (done) {
      const sha = item.manifest_sha256;
      const copy = h("button", { type: "button", class: "btn btn-small export-copy", "data-action": "copy", title: "Copy the full SHA-256" }, "Copy");
      copy.addEventListener("click", () => {
        void copyText(sha).then((ok) => setText(copy, ok ? "Copied" : "Copy failed"));
        window.setTimeout(() => setText(copy, "Copy"), 2_000);
      });
      const fact = (label: string, value: string, key: string): HTMLElement =>
        h("span", { class: "export-fact", "data-fact": key }, h("span", { class: "muted" }, `${label} `), h("strong", {}, value));
      parts.push(
        h(
          "div",
          { class: "export-facts" },
          fact("videos", String(summary.videos ?? "—"), "videos"),
          fact("faces", String(summary.faces ?? "—"), "faces"),
          fact("files", String(summary.files ?? "—"), "files"),
          fact("size", item.size_bytes !== null ? formatBytes(item.size_bytes) : "—", "size"),
          h(
            "span",
            { class: "export-fact export-sha" },
            h("span", { class: "muted" }, "manifest SHA-256 "),
            h("code", { title: sha, class: "export-sha-short" }, sha.slice(0, 12)),
            copy,
          ),
        ),
        this.splits(item),
      );
      if (summary.duplicates_removed || summary.videos_without_faces?.length) {
        const notes = [];
        if (summary.duplicates_removed) notes.push(`${summary.duplicates_removed} near-duplicate face${summary.duplicates_removed === 1 ? "" : "s"} across splits removed`);
        if (summary.videos_without_faces?.length) notes.push(`${summary.videos_without_faces.length} video${summary.videos_without_faces.length === 1 ? "" : "s"} without a usable face`);
        parts.push(h("p", { class: "muted export-notes" }, `${notes.join(" · ")}.`));
      }
    }
    if (item.datasheet) {
      const sheet = h("div", { class: "export-datasheet", id: `datasheet-${item.id}`, hidden: !this.openSheets.has(item.id) });
      if (this.openSheets.has(item.id)) sheet.append(renderMarkdown(item.datasheet));
      parts.push(sheet);
    }
    return h("article", { class: "export-item", "data-export-id": item.id, "data-status": status }, ...parts);
  }

  private splits(item: DatasetExport): HTMLElement {
    const splits = item.summary?.splits ?? {};
    return h(
      "div",
      { class: "export-splits" },
      ...SPLIT_NAMES.map((name) => {
        const s = splits[name] ?? {};
        const people = s.identities?.length ?? 0;
        return h(
          "span",
          { class: "export-split", "data-split": name },
          h("strong", {}, name),
          ` ${s.videos ?? 0} videos`,
          h(
            "span",
            { class: "muted" },
            ` (${s.real_videos ?? 0} real · ${s.fake_videos ?? 0} fake) · ${s.faces ?? 0} faces · ${people} ${people === 1 ? "person" : "people"}`,
          ),
        );
      }),
    );
  }

  private actions(item: DatasetExport): HTMLElement {
    const box = h("div", { class: "export-actions" });
    if (this.canCurate && item.download_url) {
      box.append(h("a", { class: "btn btn-small btn-primary", href: item.download_url, "data-action": "download", download: "" }, "Download"));
    }
    if (item.datasheet) {
      const open = this.openSheets.has(item.id);
      const toggle = h(
        "button",
        { type: "button", class: "btn btn-small", "data-action": "datasheet", "aria-expanded": String(open), "aria-controls": `datasheet-${item.id}` },
        open ? "Hide datasheet" : "Datasheet",
      );
      toggle.addEventListener("click", () => this.toggleSheet(item, toggle));
      box.append(toggle);
    }
    if (this.canCurate) {
      const remove = h("button", { type: "button", class: "btn btn-small btn-danger", "data-action": "delete" }, isActive(item) ? "Cancel and delete" : "Delete");
      remove.addEventListener("click", () => void this.remove(item, remove));
      box.append(remove);
    }
    return box;
  }

  private toggleSheet(item: DatasetExport, toggle: HTMLButtonElement): void {
    const sheet = document.getElementById(`datasheet-${item.id}`);
    if (!sheet) return;
    const open = !this.openSheets.has(item.id);
    if (open) this.openSheets.add(item.id);
    else this.openSheets.delete(item.id);
    if (open && !sheet.childElementCount) sheet.append(renderMarkdown(item.datasheet));
    sheet.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    setText(toggle, open ? "Hide datasheet" : "Datasheet");
  }

  private async remove(item: DatasetExport, button: HTMLButtonElement): Promise<void> {
    if (!window.confirm(`Delete the export “${item.name}”? Its zip is removed; the same selection and seed can build it again.`)) return;
    button.disabled = true;
    try {
      await this.api.remove(item.id);
      this.showError(null);
    } catch (err) {
      button.disabled = false;
      this.showError(`Could not delete the export: ${err instanceof ApiError ? err.describe() : String(err)}`);
    }
    await this.refresh();
  }

  private showError(message: string | null): void {
    this.errorEl.hidden = message === null;
    this.errorEl.replaceChildren(...(message ? [h("div", { class: "message error" }, message)] : []));
  }
}

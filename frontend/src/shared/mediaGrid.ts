// Media grid: cards for a project's videos and photos, paginated with "Load more".
// Items still processing are re-fetched every few seconds until ready or failed.
import { ApiError, apiGet, apiList, sameOriginPath, withParams } from "../api/client";
import type { Media } from "../api/types";
import { dataNumber, h } from "./dom";
import { formatBytes, formatDuration } from "./format";
import { JOBS_CHANGED_EVENT } from "./jobs";

const PROCESSING_POLL_MS = 3_000;
const ORDERING = "-created_at";

function originBadge(media: Media): HTMLSpanElement {
  return h("span", { class: `badge badge-${media.origin}`, title: "Origin label" }, media.origin);
}

function posterFor(media: Media): HTMLElement {
  if (media.poster_url) {
    return h(
      "div",
      { class: "media-poster" },
      h("img", { src: media.poster_url, alt: "", loading: "lazy", decoding: "async" }),
      media.kind === "video" && media.duration_seconds !== null
        ? h("span", { class: "media-duration" }, formatDuration(media.duration_seconds))
        : null,
    );
  }
  const text = media.status === "processing" ? "Processing…" : media.status === "failed" ? "Failed" : "No preview";
  return h(
    "div",
    { class: `media-poster placeholder status-${media.status}` },
    media.status === "processing" ? h("span", { class: "spinner", "aria-hidden": "true" }) : null,
    h("span", {}, text),
  );
}

export function renderMediaCard(media: Media): HTMLAnchorElement {
  const facts: string[] = [];
  if (media.kind === "video") {
    if (media.duration_seconds !== null) facts.push(formatDuration(media.duration_seconds));
    if (media.frame_count !== null) facts.push(`${media.frame_count.toLocaleString()} frames`);
  }
  if (media.width && media.height) facts.push(`${media.width}×${media.height}`);
  if (!facts.length) facts.push(formatBytes(media.size_bytes));

  return h(
    "a",
    {
      class: "media-card",
      href: media.detail_url,
      "data-media-id": media.id,
      "data-status": media.status,
      title: media.name,
    },
    posterFor(media),
    h(
      "div",
      { class: "media-body" },
      h("div", { class: "media-name" }, media.name),
      h(
        "div",
        { class: "media-badges" },
        h("span", { class: "badge" }, media.kind),
        originBadge(media),
        media.identity_name ? h("span", { class: "badge badge-role" }, media.identity_name) : null,
        media.status !== "ready"
          ? h("span", { class: `badge status-${media.status === "processing" ? "running" : "failed"}` }, media.status)
          : null,
      ),
      h("div", { class: "media-facts muted" }, facts.join(" · ")),
    ),
  );
}

export class MediaGrid {
  private readonly api: string;
  private readonly pageSize: number;
  private readonly items = new Map<number, { media: Media; el: HTMLAnchorElement }>();
  private readonly list: HTMLDivElement;
  private readonly emptyEl: HTMLDivElement;
  private readonly errorEl: HTMLDivElement;
  private readonly moreButton: HTMLButtonElement;
  private readonly countEl: HTMLSpanElement;
  private next: string | null = null;
  private count = 0;
  private pagesLoaded = 0;
  private pollTimer: number | undefined;
  private reloadTimer: number | undefined;

  constructor(private readonly root: HTMLElement) {
    this.api = root.dataset.api ?? "";
    this.pageSize = dataNumber(root, "pageSize") ?? 48;
    this.list = h("div", { class: "media-grid", role: "list" });
    this.emptyEl = h(
      "div",
      { class: "empty", hidden: true },
      h("strong", {}, "No media yet."),
      h("br"),
      "Upload videos or photos to start building this project.",
    );
    this.errorEl = h("div", { class: "messages", hidden: true, role: "status" });
    this.moreButton = h("button", { type: "button", class: "btn", hidden: true }, "Load more");
    this.countEl = h("span", { class: "muted" });
    this.moreButton.addEventListener("click", () => void this.loadMore());
    root.classList.add("media-grid-panel");
    root.setAttribute("aria-busy", "true");
    root.replaceChildren(
      this.errorEl,
      this.list,
      this.emptyEl,
      h("div", { class: "media-grid-footer" }, this.countEl, this.moreButton),
    );
    document.addEventListener(JOBS_CHANGED_EVENT, () => this.scheduleReload());
  }

  start(): void {
    if (!this.api) return;
    void this.reload();
  }

  /** Debounced reload, for bursts of job events. */
  scheduleReload(): void {
    window.clearTimeout(this.reloadTimer);
    this.reloadTimer = window.setTimeout(() => void this.reload(), 300);
  }

  /**
   * Re-fetches the first page and merges it: new items go on top, known items
   * are updated in place, pages loaded with "Load more" stay.
   */
  async reload(): Promise<void> {
    try {
      const page = await apiList<Media>(withParams(this.api, { page_size: this.pageSize, ordering: ORDERING }));
      const fresh = page.results.filter((m) => !this.items.has(m.id));
      for (const media of page.results) if (this.items.has(media.id)) this.upsert(media);
      // Prepend unseen items in API order.
      const anchor = this.list.firstChild;
      for (const media of fresh) this.insert(media, anchor);
      this.count = page.count;
      if (this.pagesLoaded <= 1) this.next = page.next;
      this.pagesLoaded = Math.max(1, this.pagesLoaded);
      this.showError(null);
    } catch (err) {
      this.showError(err instanceof ApiError ? `Could not load media: ${err.describe()}` : "Could not load media.");
    } finally {
      this.root.setAttribute("aria-busy", "false");
      this.renderChrome();
      this.schedulePoll();
    }
  }

  private async loadMore(): Promise<void> {
    if (!this.next) return;
    this.moreButton.disabled = true;
    try {
      const page = await apiList<Media>(sameOriginPath(this.next));
      for (const media of page.results) {
        if (this.items.has(media.id)) this.upsert(media);
        else this.insert(media, null);
      }
      this.next = page.next;
      this.count = page.count;
      this.pagesLoaded += 1;
      this.showError(null);
    } catch (err) {
      this.showError(err instanceof ApiError ? `Could not load more: ${err.describe()}` : "Could not load more.");
    } finally {
      this.moreButton.disabled = false;
      this.renderChrome();
      this.schedulePoll();
    }
  }

  private insert(media: Media, before: ChildNode | null): void {
    const el = renderMediaCard(media);
    el.setAttribute("role", "listitem");
    this.items.set(media.id, { media, el });
    this.list.insertBefore(el, before);
  }

  private upsert(media: Media): void {
    const item = this.items.get(media.id);
    if (!item) return;
    // Presigned poster URLs change on every answer; re-render only on real changes.
    const same =
      item.media.status === media.status &&
      item.media.name === media.name &&
      item.media.origin === media.origin &&
      item.media.identity_name === media.identity_name &&
      Boolean(item.media.poster_url) === Boolean(media.poster_url);
    if (same) return;
    const el = renderMediaCard(media);
    el.setAttribute("role", "listitem");
    item.el.replaceWith(el);
    this.items.set(media.id, { media, el });
  }

  private remove(id: number): void {
    this.items.get(id)?.el.remove();
    this.items.delete(id);
  }

  private renderChrome(): void {
    const shown = this.items.size;
    this.emptyEl.hidden = shown !== 0 || !this.errorEl.hidden;
    this.moreButton.hidden = !this.next;
    this.countEl.textContent = shown ? `${shown} of ${Math.max(this.count, shown)} items` : "";
  }

  /** Polls processing items one by one via the list's detail route (`{api}{id}/`). */
  private schedulePoll(): void {
    window.clearTimeout(this.pollTimer);
    const processing = [...this.items.values()].filter((i) => i.media.status === "processing");
    if (!processing.length) return;
    this.pollTimer = window.setTimeout(async () => {
      if (document.visibilityState === "hidden") {
        this.schedulePoll();
        return;
      }
      const base = this.api.split("?")[0]!.replace(/\/?$/, "/");
      await Promise.all(
        processing.map(async ({ media }) => {
          try {
            this.upsert(await apiGet<Media>(`${base}${media.id}/`));
          } catch (err) {
            if (err instanceof ApiError && err.status === 404) this.remove(media.id);
          }
        }),
      );
      this.renderChrome();
      this.schedulePoll();
    }, PROCESSING_POLL_MS);
  }

  private showError(message: string | null): void {
    this.errorEl.hidden = message === null;
    this.errorEl.replaceChildren(...(message ? [h("div", { class: "message error" }, message)] : []));
  }
}

export function mountMediaGrid(): MediaGrid | null {
  const root = document.getElementById("media-grid");
  if (!root) return null;
  const grid = new MediaGrid(root);
  grid.start();
  return grid;
}

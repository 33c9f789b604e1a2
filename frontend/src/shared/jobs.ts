// Jobs panel: a live table of background jobs with progress, ETA, cancel and retry.
//
// Polls every second while any job is queued or running and every ten seconds
// otherwise (and not at all while the tab is hidden). When a job changes status
// it dispatches `deepreview:jobs-changed` on document so other widgets refresh.
import { ApiError, apiList, apiPost, withParams } from "../api/client";
import { ACTIVE_JOB_STATUSES, type Job, type JobStatus } from "../api/types";
import { dataBool, dataNumber, h, setAttr, setText } from "./dom";
import { formatAbsolute, formatEta, formatRelative, humanize } from "./format";
import { ProgressBar } from "./progress";

export const JOBS_CHANGED_EVENT = "deepreview:jobs-changed";

export interface JobsChangedDetail {
  /** Jobs that are new since the last poll or whose status changed. */
  jobs: Job[];
}

const FAST_POLL_MS = 1_000;
const SLOW_POLL_MS = 10_000;
const PAGE_SIZE = 20;

function isActive(status: JobStatus): boolean {
  return ACTIVE_JOB_STATUSES.includes(status);
}

function statusLabel(job: Job): string {
  if (job.cancel_requested && isActive(job.status)) return "cancelling";
  return job.status;
}

class JobRow {
  readonly el: HTMLTableRowElement;
  private readonly kindCell: HTMLTableCellElement;
  private readonly mediaCell: HTMLTableCellElement;
  private readonly badge: HTMLSpanElement;
  private readonly progress = new ProgressBar({ fraction: 0 }, "Job progress");
  private readonly messageText: HTMLDivElement;
  private readonly etaText: HTMLDivElement;
  private readonly workerCell: HTMLTableCellElement;
  private readonly createdTime: HTMLTimeElement;
  private readonly finishedTime: HTMLTimeElement;
  private readonly actions: HTMLTableCellElement;
  private actionKey = "";

  constructor(
    private job: Job,
    private readonly panel: JobsPanel,
  ) {
    this.kindCell = h("td", { class: "job-kind" });
    this.mediaCell = h("td", { class: "job-media" });
    this.badge = h("span", { class: "badge" });
    this.messageText = h("div", { class: "job-message" });
    this.etaText = h("div", { class: "job-eta muted" });
    this.workerCell = h("td", { class: "job-worker muted" });
    this.createdTime = h("time", {});
    this.finishedTime = h("time", {});
    this.actions = h("td", { class: "job-actions" });
    this.el = h(
      "tr",
      {},
      this.kindCell,
      this.mediaCell,
      h("td", { class: "job-status" }, this.badge),
      h("td", { class: "job-progress" }, this.progress.el, this.etaText),
      h("td", { class: "job-detail" }, this.messageText),
      this.workerCell,
      h("td", { class: "job-times muted" }, this.createdTime, h("br"), this.finishedTime),
      panel.canManage ? this.actions : null,
    );
    this.update(job);
  }

  get current(): Job {
    return this.job;
  }

  update(job: Job): void {
    this.job = job;
    const el = this.el;
    setAttr(el, "data-job-id", String(job.id));
    setAttr(el, "data-status", job.status);

    const kind = humanize(job.kind);
    setText(this.kindCell, kind.charAt(0).toUpperCase() + kind.slice(1));
    setAttr(this.kindCell, "title", `${job.kind} #${job.id}${job.attempts > 1 ? ` · attempt ${job.attempts}` : ""}`);
    setText(this.mediaCell, job.media_name ?? "—");

    const label = statusLabel(job);
    setText(this.badge, label);
    this.badge.className = `badge status-${job.status}`;

    const fraction = job.status === "succeeded" ? 1 : job.progress;
    this.progress.update({
      fraction: job.status === "queued" ? 0 : fraction,
      state: job.status,
    });
    setText(this.etaText, job.status === "running" ? formatEta(job.eta_seconds) : "");

    // A failed job shows its error; everything else its latest progress message.
    const detail = job.status === "failed" && job.error ? job.error.split("\n")[0] ?? "" : job.message;
    setText(this.messageText, detail);
    setAttr(this.messageText, "title", job.status === "failed" && job.error ? job.error : job.message || null);
    this.messageText.classList.toggle("error-text", job.status === "failed");

    const worker = [job.worker_host, job.device].filter(Boolean).join(" · ");
    setText(this.workerCell, worker || "—");

    this.setTime(this.createdTime, job.created_at, "created");
    this.setTime(this.finishedTime, job.finished_at, "finished");

    this.renderActions();
  }

  private setTime(el: HTMLTimeElement, iso: string | null, what: string): void {
    setAttr(el, "datetime", iso);
    setText(el, iso ? `${what} ${formatRelative(iso)}` : "");
    setAttr(el, "title", iso ? formatAbsolute(iso) : null);
  }

  /** Rebuilds the buttons only when the set of actions changes, so a click is never lost. */
  private renderActions(): void {
    if (!this.panel.canManage) return;
    const job = this.job;
    const canCancel = isActive(job.status);
    const canRetry = job.status === "failed" || job.status === "cancelled";
    const key = `${canCancel}:${canRetry}:${job.cancel_requested}`;
    if (key === this.actionKey) return;
    this.actionKey = key;
    this.actions.replaceChildren();
    if (canCancel) {
      const button = h(
        "button",
        { type: "button", class: "btn btn-small btn-danger", "data-action": "cancel", disabled: job.cancel_requested },
        job.cancel_requested ? "Cancelling…" : "Cancel",
      );
      button.addEventListener("click", () => void this.panel.runAction(this, "cancel", button));
      this.actions.append(button);
    }
    if (canRetry) {
      const button = h("button", { type: "button", class: "btn btn-small", "data-action": "retry" }, "Retry");
      button.addEventListener("click", () => void this.panel.runAction(this, "retry", button));
      this.actions.append(button);
    }
  }
}

export class JobsPanel {
  readonly canManage: boolean;
  private readonly api: string;
  private readonly mediaId: number | null;
  /** Only jobs of this kind (`data-kind`), e.g. "extract" on a faceset page. */
  private readonly kind: string | null;
  /** Only jobs whose params.model_id is this (`data-model-id`), on a swap model's page. */
  private readonly modelId: number | null;
  private readonly rows = new Map<number, JobRow>();
  /** Status of each job at the last poll (cancel/retry answers do not count as seen). */
  private readonly polledStatus = new Map<number, JobStatus>();
  private readonly tbody: HTMLTableSectionElement;
  private readonly table: HTMLTableElement;
  private readonly emptyEl: HTMLDivElement;
  private readonly errorEl: HTMLDivElement;
  private readonly footer: HTMLDivElement;
  private timer: number | undefined;
  private inFlight: AbortController | null = null;
  private loadedOnce = false;
  private failures = 0;

  constructor(private readonly root: HTMLElement) {
    this.api = root.dataset.api ?? "";
    this.canManage = dataBool(root, "canManage");
    this.mediaId = dataNumber(root, "mediaId");
    this.kind = root.dataset.kind || null;
    this.modelId = dataNumber(root, "modelId");

    this.tbody = h("tbody");
    this.table = h(
      "table",
      { class: "data job-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Job"),
          h("th", { scope: "col" }, "Media"),
          h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col", class: "job-progress" }, "Progress"),
          h("th", { scope: "col" }, "Message"),
          h("th", { scope: "col" }, "Worker"),
          h("th", { scope: "col" }, "Time"),
          this.canManage ? h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")) : null,
        ),
      ),
      this.tbody,
    );
    this.emptyEl = h("div", { class: "empty", hidden: true }, this.kind ? `No ${humanize(this.kind)} jobs yet.` : "No jobs yet. Uploads and pipeline runs show up here.");
    this.errorEl = h("div", { class: "messages", hidden: true, role: "status", "aria-live": "polite" });
    this.footer = h("div", { class: "job-footer muted" });
    root.classList.add("jobs-panel");
    root.setAttribute("aria-busy", "true");
    root.replaceChildren(this.errorEl, h("div", { class: "table-scroll" }, this.table), this.emptyEl, this.footer);
    this.table.hidden = true;

    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") void this.refresh();
    });
  }

  start(): void {
    if (!this.api) return;
    void this.refresh();
  }

  /** Fetches now and reschedules the next poll. */
  async refresh(): Promise<void> {
    window.clearTimeout(this.timer);
    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    const url = withParams(this.api, { page_size: PAGE_SIZE, media: this.mediaId, kind: this.kind });
    try {
      const page = await apiList<Job>(url, controller.signal);
      this.failures = 0;
      this.showError(null);
      const modelId = this.modelId;
      if (modelId === null) this.render(page.results, page.count);
      else {
        const mine = page.results.filter((job) => Number(job.params.model_id) === modelId);
        this.render(mine, mine.length);
      }
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") return;
      this.failures += 1;
      this.showError(err instanceof ApiError ? `Could not load jobs: ${err.describe()}` : "Could not load jobs.");
    } finally {
      if (this.inFlight === controller) {
        this.inFlight = null;
        this.root.setAttribute("aria-busy", "false");
        this.schedule();
      }
    }
  }

  private schedule(): void {
    if (document.visibilityState === "hidden") return; // resumes on visibilitychange
    const anyActive = [...this.rows.values()].some((row) => isActive(row.current.status));
    // Back off while the server keeps failing, up to a minute.
    const base = anyActive ? FAST_POLL_MS : SLOW_POLL_MS;
    const delay = this.failures ? Math.min(60_000, base * 2 ** this.failures) : base;
    this.timer = window.setTimeout(() => void this.refresh(), delay);
  }

  private render(jobs: Job[], count: number): void {
    const changed: Job[] = [];
    const seen = new Set<number>();
    jobs.forEach((job, index) => {
      seen.add(job.id);
      const before = this.polledStatus.get(job.id);
      if (before === undefined ? this.loadedOnce : before !== job.status) changed.push(job);
      this.polledStatus.set(job.id, job.status);
      let row = this.rows.get(job.id);
      if (!row) {
        row = new JobRow(job, this);
        this.rows.set(job.id, row);
      } else {
        row.update(job);
      }
      // Keep DOM order equal to API order (newest first) without re-creating rows.
      const at = this.tbody.children[index];
      if (at !== row.el) this.tbody.insertBefore(row.el, at ?? null);
    });
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        row.el.remove();
        this.rows.delete(id);
        this.polledStatus.delete(id);
      }
    }
    this.table.hidden = jobs.length === 0;
    this.emptyEl.hidden = jobs.length !== 0;
    setText(this.footer, count > jobs.length ? `Showing the ${jobs.length} newest of ${count} jobs.` : "");
    this.loadedOnce = true;
    if (changed.length) {
      document.dispatchEvent(new CustomEvent<JobsChangedDetail>(JOBS_CHANGED_EVENT, { detail: { jobs: changed } }));
    }
  }

  /** Cancel or retry one job; the answer updates the table at once. */
  async runAction(row: JobRow, action: "cancel" | "retry", button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    const base = (this.api.split("?")[0] ?? "").replace(/\/?$/, "/");
    const url = `${base}${row.current.id}/${action}/`;
    try {
      const job = await apiPost<Job>(url);
      if (action === "cancel" && job && job.id === row.current.id) row.update(job);
      this.showError(null);
    } catch (err) {
      button.disabled = false;
      this.showError(err instanceof ApiError ? err.describe() : `Could not ${action} the job.`);
    }
    await this.refresh();
  }

  private showError(message: string | null): void {
    this.errorEl.hidden = message === null;
    this.errorEl.replaceChildren(...(message ? [h("div", { class: "message error" }, message)] : []));
  }
}

/** Mounts the panel on `#jobs-panel` if the page has one. */
export function mountJobsPanel(): JobsPanel | null {
  const root = document.getElementById("jobs-panel");
  if (!root) return null;
  const panel = new JobsPanel(root);
  panel.start();
  return panel;
}

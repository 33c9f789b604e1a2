// The demo project's build: one line per step (status, progress, what it made) and an
// overall bar. Polls while the demo is building; curators retry a failed step here.
import { ApiError, apiGet, apiPost } from "../api/client";
import { dataBool, dataUrls, h, setText } from "./dom";
import { ProgressBar } from "./progress";
import type { JobStatus } from "../api/types";

type StepStatus = "done" | "running" | "failed" | "waiting" | "ready";

interface DemoLink {
  label: string;
  url: string;
}

interface DemoStep {
  name: string;
  title: string;
  status: StepStatus;
  progress: number;
  message: string;
  job_ids: number[];
  links: DemoLink[];
}

interface DemoState {
  complete: boolean;
  has_media: boolean;
  progress: number;
  steps: DemoStep[];
}

const POLL_MS = 2_000;
// Step status -> the job status whose colours its bar borrows.
const BAR_STATE: Record<StepStatus, JobStatus> = {
  done: "succeeded",
  running: "running",
  failed: "failed",
  waiting: "queued",
  ready: "queued",
};
const STATUS_TEXT: Record<StepStatus, string> = {
  done: "done",
  running: "running",
  failed: "failed",
  waiting: "waiting",
  ready: "starting",
};

class DemoPanel {
  private readonly overall = new ProgressBar({ fraction: 0 }, "Demo build progress");
  private readonly headline: HTMLParagraphElement;
  private readonly list: HTMLOListElement;
  private readonly retry: HTMLButtonElement;
  private readonly error: HTMLParagraphElement;
  private timer: number | undefined;
  private wasComplete: boolean | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly urls: { status: string; retry: string },
    private readonly canManage: boolean,
  ) {
    this.headline = h("p", { class: "demo-headline" });
    this.list = h("ol", { class: "demo-steps" });
    this.error = h("p", { class: "form-error", role: "alert", hidden: true });
    this.retry = h("button", { class: "btn btn-small", type: "button", id: "demo-retry", hidden: true },
      "Retry failed steps");
    this.retry.addEventListener("click", () => void this.retryFailed());
    root.append(this.headline, this.overall.el, this.list, this.retry, this.error);
  }

  async refresh(): Promise<void> {
    window.clearTimeout(this.timer);
    try {
      const state = await apiGet<DemoState>(this.urls.status);
      this.render(state);
      if (!state.complete && state.has_media) this.timer = window.setTimeout(() => void this.refresh(), POLL_MS);
    } catch (err) {
      this.showError(err);
      this.timer = window.setTimeout(() => void this.refresh(), POLL_MS * 5);
    }
  }

  private render(state: DemoState): void {
    this.root.dataset.complete = String(state.complete);
    if (!state.has_media) {
      setText(this.headline, "The demo has no media, so nothing is being built: see the project description above.");
      this.overall.el.hidden = true;
      this.list.replaceChildren();
      return;
    }
    const failed = state.steps.some((s) => s.status === "failed");
    setText(
      this.headline,
      state.complete
        ? "The demo is complete. Every page below was filled by the app's own jobs: open any of them."
        : failed
          ? "A step of the demo failed; its reason is below."
          : "The demo is being built by the worker, through the same jobs as any project. You can use the app meanwhile.",
    );
    this.overall.update({ fraction: state.progress, state: state.complete ? "succeeded" : failed ? "failed" : "running" });
    this.list.replaceChildren(...state.steps.map((step) => this.stepItem(step)));
    this.retry.hidden = !(failed && this.canManage);
    if (this.wasComplete === false && state.complete) {
      // Facesets and swap models are listed server-side: show them now the demo is done.
      window.location.reload();
    }
    this.wasComplete = state.complete;
  }

  private stepItem(step: DemoStep): HTMLLIElement {
    const bar = new ProgressBar(
      { fraction: step.status === "waiting" ? 0 : step.progress, state: BAR_STATE[step.status] },
      step.title,
    );
    const links = step.links.map((link) => h("a", { href: link.url }, link.label));
    return h(
      "li",
      { class: `demo-step demo-${step.status}`, "data-step": step.name, "data-status": step.status },
      h("span", { class: `badge demo-badge status-${BAR_STATE[step.status]}` }, STATUS_TEXT[step.status]),
      h("span", { class: "demo-title" }, step.title),
      bar.el,
      h("span", { class: "demo-message muted" }, step.status === "done" ? "" : step.message),
      links.length ? h("span", { class: "demo-links" }, ...links) : null,
    );
  }

  private async retryFailed(): Promise<void> {
    this.retry.disabled = true;
    try {
      await apiPost(this.urls.retry);
      this.error.hidden = true;
      await this.refresh();
    } catch (err) {
      this.showError(err);
    } finally {
      this.retry.disabled = false;
    }
  }

  private showError(err: unknown): void {
    this.error.hidden = false;
    setText(this.error, err instanceof ApiError ? err.message : "Could not read the demo's progress.");
  }
}

export function mountDemoBuild(): DemoPanel | null {
  const root = document.getElementById("demo-build");
  if (!root) return null;
  const panel = new DemoPanel(root, dataUrls(root, ["status", "retry"] as const), dataBool(root, "canManage"));
  void panel.refresh();
  return panel;
}

// "My inbox" on the project review page: the videos assigned to me, my progress
// (done / undecided / unreviewed of all) and a link to review each one.
import { ApiError } from "../api/client";
import { getInbox, type Inbox, type InboxRow, type InboxState } from "../api/review";
import { h, setText } from "../shared/dom";
import { formatAbsolute, formatRelative } from "../shared/format";
import { inboxStateBadge, lengthText, pageUrl } from "./reviewBadges";

const SEGMENTS: readonly { state: InboxState; label: string }[] = [
  { state: "done", label: "done" },
  { state: "undecided", label: "undecided" },
  { state: "unreviewed", label: "unreviewed" },
];

/** One bar in three segments, with the counts written beside it. */
function progress(box: Inbox): HTMLElement {
  const total = Math.max(1, box.total);
  const bar = h(
    "div",
    {
      class: "review-progress-bar",
      role: "img",
      "aria-label": `${box.counts.done} of ${box.total} done, ${box.counts.undecided} undecided, ${box.counts.unreviewed} unreviewed`,
    },
    ...SEGMENTS.map(({ state }) => {
      const el = h("span", { class: `review-progress-seg seg-${state}`, title: `${box.counts[state]} ${state}` });
      el.style.width = `${(box.counts[state] / total) * 100}%`;
      return el;
    }),
  );
  const legend = h(
    "div",
    { class: "review-progress-legend", id: "inbox-progress-text" },
    h("strong", {}, `${box.counts.done} of ${box.total} done`),
    ...SEGMENTS.slice(1).map(({ state, label }) =>
      h("span", { class: "legend-item" }, h("span", { class: `legend-swatch seg-${state}` }), `${box.counts[state]} ${label}`),
    ),
  );
  return h("div", { class: "review-progress", id: "inbox-progress" }, bar, legend);
}

function row(item: InboxRow, workspaceTemplate: string, reportTemplate: string): HTMLLIElement {
  const verdict = item.verdict
    ? h(
        "span",
        { class: "inbox-verdict" },
        "your verdict ",
        h("span", { class: `badge badge-${item.verdict.label}` }, item.verdict.label),
        ` ${Math.round(item.verdict.confidence * 100)}%`,
      )
    : null;
  const assigned = h(
    "time",
    { datetime: item.created_at, title: formatAbsolute(item.created_at) },
    formatRelative(item.created_at),
  );
  return h(
    "li",
    { class: `inbox-item inbox-${item.state}`, "data-media-id": item.media, "data-state": item.state },
    inboxStateBadge(item.state),
    h(
      "div",
      { class: "inbox-main" },
      h("a", { class: "inbox-name", href: pageUrl(workspaceTemplate, item.media) }, item.media_name),
      h(
        "div",
        { class: "muted inbox-facts" },
        lengthText(item.frame_count, item.duration_seconds),
        ` · ${item.marks} mark${item.marks === 1 ? "" : "s"} of yours · assigned `,
        assigned,
        item.assigned_by ? ` by ${item.assigned_by}` : "",
      ),
    ),
    verdict,
    h(
      "div",
      { class: "inbox-actions" },
      h("a", { class: "btn btn-small btn-primary", href: pageUrl(workspaceTemplate, item.media) }, item.state === "unreviewed" ? "Review" : "Open"),
      h("a", { class: "btn btn-small", href: pageUrl(reportTemplate, item.media) }, "Report"),
    ),
  );
}

export class ReviewInbox {
  private readonly body: HTMLDivElement;
  private readonly status: HTMLParagraphElement;

  constructor(
    root: HTMLElement,
    private readonly url: string,
    private readonly workspaceTemplate: string,
    private readonly reportTemplate: string,
  ) {
    this.status = h("p", { class: "muted", role: "status" }, "Loading your inbox…");
    this.body = h("div", { class: "inbox-body" });
    root.replaceChildren(this.status, this.body);
  }

  async load(): Promise<void> {
    try {
      const box = await getInbox(this.url);
      this.render(box);
    } catch (err) {
      setText(this.status, err instanceof ApiError ? err.describe() : "Could not load your inbox.");
      this.status.classList.add("error-text");
    }
  }

  private render(box: Inbox): void {
    if (box.total === 0) {
      setText(this.status, "Nothing is assigned to you yet. Curators and owners assign videos from the table below; you can review any video from there too.");
      this.body.replaceChildren();
      return;
    }
    this.status.hidden = true;
    // Unreviewed first, then undecided, then done: what needs you comes first.
    const order: Record<InboxState, number> = { unreviewed: 0, undecided: 1, done: 2 };
    const rows = [...box.results].sort((a, b) => order[a.state] - order[b.state]);
    this.body.replaceChildren(
      progress(box),
      h("ul", { class: "inbox-list", id: "inbox-list" }, ...rows.map((r) => row(r, this.workspaceTemplate, this.reportTemplate))),
    );
  }
}

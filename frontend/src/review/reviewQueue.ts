// The "Videos" table of the project review page: every video with its review state,
// verdict counts, the label the project goes by beside the detector's suggestion, who
// it is assigned to and (curators, owners) whether it is a gold check. Curators and
// owners select videos and assign them to reviewers; owners toggle gold videos.
import { ApiError } from "../api/client";
import {
  clearGold,
  createAssignments,
  listMembers,
  listReviewQueue,
  type ProjectMember,
  type ReviewQueueFilters,
  type ReviewQueueRow,
  type ReviewState,
  setGold,
} from "../api/review";
import { h, setText } from "../shared/dom";
import { detectorBadge, effectiveBadge, labelCounts, lengthText, pageUrl, stateBadge } from "./reviewBadges";

const PAGE_SIZES = [25, 50, 100] as const;
const REVIEW_ROLES = new Set(["reviewer", "curator", "owner"]);

export interface QueueOptions {
  reviewsUrl: string;
  assignmentsUrl: string;
  /** review-gold with `{id}` for the video. */
  goldTemplate: string;
  membersUrl: string;
  workspaceTemplate: string;
  reportTemplate: string;
  canAnnotate: boolean;
  canCurate: boolean;
  isOwner: boolean;
  /** After assignments or gold changes: the inbox and agreement reload. */
  onChanged: () => void;
}

function describe(err: unknown): string {
  return err instanceof ApiError ? err.describe() : String(err);
}

export class ReviewQueue {
  private filters: ReviewQueueFilters = { state: "", assigned: "", disagreement: false, page: 1, page_size: 25 };
  private rows: ReviewQueueRow[] = [];
  private count = 0;
  private readonly selected = new Set<number>();
  private readonly chosenReviewers = new Set<number>();
  private controller: AbortController | null = null;

  private readonly tbody: HTMLTableSectionElement;
  private readonly headCheck: HTMLInputElement;
  private readonly pagerText: HTMLSpanElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly status: HTMLDivElement;
  private readonly selectionText: HTMLSpanElement;
  private readonly reviewerList: HTMLDivElement;
  private readonly assignButton: HTMLButtonElement;
  private readonly assignStatus: HTMLSpanElement;

  constructor(root: HTMLElement, private readonly options: QueueOptions) {
    this.headCheck = h("input", { type: "checkbox", id: "queue-select-page", "aria-label": "Select every video on this page" });
    this.headCheck.addEventListener("change", () => this.selectPage(this.headCheck.checked));
    this.tbody = h("tbody", { id: "queue-rows" });
    this.pagerText = h("span", { class: "muted", id: "queue-pager-text" });
    this.prev = h("button", { type: "button", class: "btn btn-small", id: "queue-prev" }, "← Previous");
    this.next = h("button", { type: "button", class: "btn btn-small", id: "queue-next" }, "Next →");
    this.prev.addEventListener("click", () => this.goTo((this.filters.page ?? 1) - 1));
    this.next.addEventListener("click", () => this.goTo((this.filters.page ?? 1) + 1));
    this.status = h("div", { class: "muted queue-status", role: "status", "aria-live": "polite" });
    this.selectionText = h("span", { class: "queue-selection", id: "queue-selection" });
    this.reviewerList = h("div", { class: "reviewer-choices", id: "assign-reviewers", role: "group", "aria-label": "Reviewers to assign" });
    this.assignButton = h("button", { type: "submit", class: "btn btn-primary btn-small", id: "assign-button", disabled: true }, "Assign");
    this.assignStatus = h("span", { class: "assign-status", id: "assign-status", role: "status", "aria-live": "polite" });

    const columns: (string | [string, string])[] = [
      "Video",
      ["State", "unreviewed: no verdict yet · undecided: reviewed but uncertain or split · decided"],
      ["Verdicts", "Reviewers' verdicts by label, and the adjudicated consensus"],
      ["Label", "The label the project goes by: consensus, unanimous reviewers, or — only while unreviewed — the detector's suggestion"],
      ["Detector", "The newest detection run's call and its video score (0 real … 1 fake)"],
      "Assigned to",
    ];
    if (options.canCurate) columns.push(["Gold", "Hidden checks with known truth; reviewers never see which videos are gold"]);
    columns.push("");
    const head = h(
      "tr",
      {},
      options.canCurate ? h("th", { class: "col-check" }, this.headCheck) : null,
      ...columns.map((c) => (typeof c === "string" ? h("th", {}, c) : h("th", { title: c[1] }, c[0]))),
    );
    root.replaceChildren(
      this.toolbar(),
      options.canCurate ? this.assignBar() : "",
      h("div", { class: "table-scroll" }, h("table", { class: "data review-queue", id: "review-queue" }, h("thead", {}, head), this.tbody)),
      this.status,
      h("div", { class: "queue-pager" }, this.prev, this.pagerText, this.next),
    );
  }

  async start(): Promise<void> {
    if (this.options.canCurate) void this.loadReviewers();
    await this.load();
  }

  async load(): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    setText(this.status, "Loading…");
    this.status.hidden = false;
    try {
      const page = await listReviewQueue(this.options.reviewsUrl, this.filters, controller.signal);
      this.rows = page.results;
      this.count = page.count;
      this.render();
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") return;
      // A page past the end after a filter change: go back to the first.
      if (err instanceof ApiError && err.status === 404 && (this.filters.page ?? 1) > 1) {
        this.filters.page = 1;
        await this.load();
        return;
      }
      setText(this.status, describe(err));
    }
  }

  private toolbar(): HTMLElement {
    const state = h(
      "select",
      { id: "queue-state", "aria-label": "Review state" },
      h("option", { value: "" }, "All states"),
      h("option", { value: "unreviewed" }, "Unreviewed"),
      h("option", { value: "undecided" }, "Undecided"),
      h("option", { value: "decided" }, "Decided"),
    );
    state.addEventListener("change", () => this.setFilter({ state: state.value as ReviewState | "" }));
    const mine = h("input", { type: "checkbox", id: "queue-mine" });
    mine.addEventListener("change", () => this.setFilter({ assigned: mine.checked ? "me" : "" }));
    const split = h("input", { type: "checkbox", id: "queue-disagreement" });
    split.addEventListener("change", () => this.setFilter({ disagreement: split.checked }));
    const size = h("select", { id: "queue-page-size", "aria-label": "Videos per page" }, ...PAGE_SIZES.map((n) => h("option", { value: n }, `${n} per page`)));
    size.addEventListener("change", () => this.setFilter({ page_size: Number(size.value) }));
    return h(
      "div",
      { class: "queue-toolbar" },
      h("label", { class: "queue-filter" }, "Show ", state),
      this.options.canAnnotate ? h("label", { class: "queue-filter check" }, mine, "Assigned to me") : null,
      h("label", { class: "queue-filter check", title: "Videos whose reviewers gave different labels" }, split, "Split verdicts only"),
      h("span", { class: "spacer" }),
      size,
    );
  }

  private assignBar(): HTMLElement {
    const clear = h("button", { type: "button", class: "btn btn-small", id: "queue-clear-selection" }, "Clear");
    clear.addEventListener("click", () => {
      this.selected.clear();
      this.render();
    });
    const form = h(
      "form",
      { class: "assign-bar", id: "assign-form" },
      h("div", { class: "assign-selection" }, this.selectionText, clear),
      h("div", { class: "assign-to" }, h("span", { class: "label" }, "Assign to"), this.reviewerList),
      this.assignButton,
      this.assignStatus,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.assign();
    });
    return form;
  }

  private async loadReviewers(): Promise<void> {
    try {
      const members = await listMembers(this.options.membersUrl);
      this.renderReviewers(members.filter((m) => REVIEW_ROLES.has(m.role)));
    } catch (err) {
      this.reviewerList.replaceChildren(h("span", { class: "error-text" }, describe(err)));
    }
  }

  private renderReviewers(members: ProjectMember[]): void {
    if (!members.length) {
      this.reviewerList.replaceChildren(h("span", { class: "muted" }, "No member can review yet: give someone the reviewer role on the project page."));
      return;
    }
    this.reviewerList.replaceChildren(
      ...members.map((m) => {
        const box = h("input", { type: "checkbox", value: m.user_id, "data-username": m.username });
        box.addEventListener("change", () => {
          if (box.checked) this.chosenReviewers.add(m.user_id);
          else this.chosenReviewers.delete(m.user_id);
          this.updateAssign();
        });
        return h("label", { class: "reviewer-choice", title: m.role }, box, m.username, h("span", { class: "muted" }, ` ${m.role}`));
      }),
    );
  }

  private updateAssign(): void {
    const n = this.selected.size;
    setText(this.selectionText, n ? `${n} video${n === 1 ? "" : "s"} selected` : "Select videos with the boxes below");
    this.assignButton.disabled = n === 0 || this.chosenReviewers.size === 0;
  }

  private async assign(): Promise<void> {
    const media = [...this.selected];
    const reviewers = [...this.chosenReviewers];
    this.assignButton.disabled = true;
    setText(this.assignStatus, "Assigning…");
    this.assignStatus.className = "assign-status";
    try {
      const result = await createAssignments(this.options.assignmentsUrl, media, reviewers);
      this.selected.clear();
      await this.load();
      this.options.onChanged();
      const already = result.existing ? `, ${result.existing} already assigned` : "";
      setText(this.assignStatus, `Assigned: ${result.created} new${already}.`);
      this.assignStatus.classList.add("success-text");
    } catch (err) {
      setText(this.assignStatus, describe(err));
      this.assignStatus.classList.add("error-text");
    } finally {
      this.updateAssign();
    }
  }

  private setFilter(change: ReviewQueueFilters): void {
    this.filters = { ...this.filters, ...change, page: 1 };
    void this.load();
  }

  private goTo(page: number): void {
    this.filters.page = Math.max(1, page);
    void this.load();
  }

  private selectPage(on: boolean): void {
    for (const row of this.rows) {
      if (on && row.status === "ready") this.selected.add(row.id);
      else this.selected.delete(row.id);
    }
    this.render();
  }

  private render(): void {
    const size = this.filters.page_size ?? 25;
    const page = this.filters.page ?? 1;
    const first = this.count ? (page - 1) * size + 1 : 0;
    const last = Math.min(this.count, page * size);
    setText(this.pagerText, this.count ? `${first}–${last} of ${this.count} video${this.count === 1 ? "" : "s"}` : "");
    this.prev.disabled = page <= 1;
    this.next.disabled = last >= this.count;
    this.status.hidden = this.rows.length > 0;
    setText(this.status, this.rows.length ? "" : this.emptyText());
    this.tbody.replaceChildren(...this.rows.map((row) => this.renderRow(row)));
    const selectable = this.rows.filter((r) => r.status === "ready");
    this.headCheck.checked = selectable.length > 0 && selectable.every((r) => this.selected.has(r.id));
    this.updateAssign();
  }

  private emptyText(): string {
    const filtered = this.filters.state || this.filters.assigned || this.filters.disagreement;
    return filtered ? "No video matches these filters." : "No videos in this project yet: upload some on the project page.";
  }

  private renderRow(row: ReviewQueueRow): HTMLTableRowElement {
    const workspace = pageUrl(this.options.workspaceTemplate, row.id);
    const ready = row.status === "ready";
    const cells: (HTMLTableCellElement | null)[] = [];
    if (this.options.canCurate) {
      const box = h("input", { type: "checkbox", class: "queue-check", "aria-label": `Select ${row.name}`, disabled: !ready });
      box.checked = this.selected.has(row.id);
      box.addEventListener("change", () => {
        if (box.checked) this.selected.add(row.id);
        else this.selected.delete(row.id);
        this.updateAssign();
      });
      cells.push(h("td", { class: "col-check" }, box));
    }
    const thumb = row.poster_url
      ? h("img", { class: "queue-thumb", src: row.poster_url, alt: "", loading: "lazy", decoding: "async" })
      : h("span", { class: "queue-thumb placeholder" });
    cells.push(
      h(
        "td",
        { class: "queue-video" },
        h(
          "a",
          { class: "queue-video-link", href: workspace, title: `Review ${row.name}` },
          thumb,
          h(
            "span",
            { class: "queue-name" },
            row.name,
            h("span", { class: "muted queue-facts" }, [lengthText(row.frame_count, row.duration_seconds), row.identity].filter(Boolean).join(" · ")),
          ),
        ),
        ready ? null : h("span", { class: `badge status-${row.status === "failed" ? "failed" : "running"}` }, row.status),
      ),
      h("td", {}, stateBadge(row.state)),
      h(
        "td",
        { class: "queue-verdicts" },
        labelCounts(row.labels),
        row.consensus
          ? h("div", { class: "queue-consensus" }, "consensus ", h("span", { class: `badge badge-${row.consensus}` }, row.consensus))
          : new Set(Object.keys(row.labels)).size > 1
            ? h("div", { class: "queue-consensus needs" }, "needs adjudication")
            : null,
      ),
      h("td", {}, effectiveBadge(row.effective, row.state)),
      h("td", {}, detectorBadge(row.detector)),
      h("td", { class: "queue-assigned" }, row.assigned.length ? row.assigned.join(", ") : h("span", { class: "muted" }, "nobody")),
    );
    if (this.options.canCurate) cells.push(h("td", { class: "queue-gold" }, this.goldCell(row)));
    cells.push(
      h(
        "td",
        { class: "queue-actions" },
        h("a", { class: "btn btn-small", href: workspace }, "Review"),
        h("a", { class: "btn btn-small", href: pageUrl(this.options.reportTemplate, row.id), title: "Printable fact-check report" }, "Report"),
      ),
    );
    return h("tr", { "data-media-id": row.id, "data-state": row.state }, ...cells);
  }

  private goldCell(row: ReviewQueueRow): HTMLElement {
    const marker = row.gold ? h("span", { class: "badge badge-gold", title: `Gold check: the truth is ${row.gold}` }, `★ gold: ${row.gold}`) : null;
    if (!this.options.isOwner) return marker ?? h("span", { class: "muted" }, "—");
    const cell = h("div", { class: "gold-toggle" });
    const show = (...children: (Node | string | null)[]): void => cell.replaceChildren(...children.filter((c): c is Node | string => c !== null));
    const fail = (err: unknown): void => show(marker, h("span", { class: "error-text gold-error" }, describe(err)));
    const set = async (label: "real" | "fake" | null): Promise<void> => {
      try {
        await setGold(pageUrl(this.options.goldTemplate, row.id), label);
        await this.load();
        this.options.onChanged();
      } catch (err) {
        fail(err);
      }
    };
    if (row.gold) {
      const remove = h("button", { type: "button", class: "btn btn-small gold-button", "aria-pressed": "true", title: "Make it an ordinary video again" }, "Remove");
      remove.addEventListener("click", () => {
        remove.disabled = true;
        clearGold(pageUrl(this.options.goldTemplate, row.id))
          .then(() => this.load())
          .then(() => this.options.onChanged())
          .catch(fail);
      });
      show(marker, remove);
      return cell;
    }
    const make = h("button", { type: "button", class: "btn btn-small gold-button", "aria-pressed": "false", disabled: row.status !== "ready", title: "Use as a hidden check of reviewers' accuracy" }, "☆ Gold");
    make.addEventListener("click", () => {
      if (row.origin === "real" || row.origin === "fake") {
        make.disabled = true;
        void set(null);
        return;
      }
      // No known origin: the owner says what the truth is.
      const choice = (label: "real" | "fake"): HTMLButtonElement => {
        const b = h("button", { type: "button", class: `btn btn-small gold-choice`, "data-label": label }, label === "real" ? "Real" : "Fake");
        b.addEventListener("click", () => void set(label));
        return b;
      };
      const cancel = h("button", { type: "button", class: "btn btn-small", title: "Cancel" }, "×");
      cancel.addEventListener("click", () => show(make));
      show(h("span", { class: "gold-ask" }, "Truth?"), choice("real"), choice("fake"), cancel);
    });
    show(make);
    return cell;
  }
}

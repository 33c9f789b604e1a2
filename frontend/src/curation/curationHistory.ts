// Curation history: who did what to how many faces, when, with Undo on each
// delete or restore that has not been undone yet.
import { ApiError } from "../api/client";
import { type CurationEvent, type FacesetApi, isUndoable, latestUndoable } from "../api/facesets";
import { h, setText } from "../shared/dom";
import { formatAbsolute, formatRelative } from "../shared/format";

const VERBS: Record<CurationEvent["action"], string> = {
  extract: "extracted",
  delete: "deleted",
  restore: "restored",
  move: "moved",
  split: "split off",
  undo: "undid",
};

export class CurationHistory {
  private readonly list: HTMLOListElement;
  private readonly status: HTMLParagraphElement;
  private events: CurationEvent[] = [];

  constructor(
    root: HTMLElement,
    private readonly api: FacesetApi,
    private readonly canCurate: boolean,
    /** Runs the undo (the page shows errors and refreshes everything). */
    private readonly onUndo: (event: CurationEvent) => void,
    /** This faceset: a move into it reads "from …", out of it "to …". */
    private readonly facesetId: number | null = null,
  ) {
    this.list = h("ol", { class: "history-list" });
    this.status = h("p", { class: "muted", role: "status" });
    root.replaceChildren(this.status, this.list);
  }

  /** The event that Undo / Ctrl+Z reverses now, from the last load. */
  get undoTarget(): CurationEvent | null {
    return latestUndoable(this.events);
  }

  async refresh(): Promise<CurationEvent[]> {
    try {
      const page = await this.api.history(30);
      this.events = page.results;
      this.render(page.count);
    } catch (err) {
      setText(this.status, `Could not load the history: ${err instanceof ApiError ? err.describe() : String(err)}`);
    }
    return this.events;
  }

  /** " to Person B", " from Person C", " (best 20)", " (near-duplicates)". */
  private suffix(event: CurationEvent): string {
    const d = event.details;
    const name = (key: "target" | "from"): string => {
      const label = d[`${key}_name`];
      return typeof label === "string" && label ? label : `faceset #${String(d[key] ?? "?")}`;
    };
    if (event.action === "move") {
      return d.target === this.facesetId ? ` from ${name("from")}` : ` to ${name("target")}`;
    }
    if (event.action === "split") {
      const parts = Array.isArray(d.parts) ? d.parts.length : 0;
      return ` into ${parts} new faceset${parts === 1 ? "" : "s"} (by ${String(d.by ?? "track")})`;
    }
    if (d.undid === "split") return " of a split (back from its facesets)";
    if (d.reason === "keep person") return ` (kept one person, face #${String(d.face ?? "?")})`;
    if (d.reason === "best") return ` (best ${String(d.count ?? "N")})`;
    if (d.reason === "near-duplicates") return " (near-duplicates)";
    return "";
  }

  private render(count: number): void {
    setText(this.status, this.events.length ? (count > this.events.length ? `Latest ${this.events.length} of ${count} actions.` : "") : "Nothing has been done to this faceset yet.");
    this.list.replaceChildren(
      ...this.events.map((event) => {
        const undoes = typeof event.details.undoes === "number" ? event.details.undoes : null;
        const what = `${VERBS[event.action]} ${event.face_count.toLocaleString()} face${event.face_count === 1 ? "" : "s"}${this.suffix(event)}`;
        const button =
          this.canCurate && isUndoable(event)
            ? h("button", { type: "button", class: "btn btn-small", "data-undo-event": event.id }, "Undo")
            : null;
        button?.addEventListener("click", () => {
          button.disabled = true;
          this.onUndo(event);
        });
        return h(
          "li",
          { "data-event-id": event.id, "data-action": event.action, class: event.undone_by ? "undone" : "" },
          h("span", { class: `history-action action-${event.action}` }, event.action),
          h(
            "span",
            { class: "history-text" },
            h("strong", {}, event.user ?? "someone"),
            ` ${what}`,
            undoes !== null ? h("span", { class: "muted" }, ` (undo of #${undoes})`) : null,
            event.undone_by ? h("span", { class: "muted" }, " · undone") : null,
          ),
          h("time", { class: "muted", datetime: event.created_at, title: formatAbsolute(event.created_at) }, formatRelative(event.created_at)),
          button,
        );
      }),
    );
  }
}

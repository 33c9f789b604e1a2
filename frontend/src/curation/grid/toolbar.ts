// The grid's toolbar: sort key and direction, identity reference face, range
// filters (debounced), deleted view, counts, and the curation action buttons.
// It owns the FaceQuery the grid shows and reports every change.
import { type FaceQuery, RANGE_FILTERS, type RangeKey, SORT_OPTIONS, type SortKey } from "../../api/facesets";
import { h, setAttr, setText } from "../../shared/dom";

const FILTER_DEBOUNCE_MS = 400;

export interface ToolbarEvents {
  queryChanged(query: FaceQuery): void;
  selectAll(): void;
  clearSelection(): void;
  deleteSelected(): void;
  restoreSelected(): void;
  undo(): void;
  /** "Use selected face" for identity ordering; returns the face id or null when none is selected. */
  pickReference(): number | null;
}

export class GridToolbar {
  readonly el: HTMLDivElement;
  readonly openOnClick: HTMLInputElement;
  /** Where the page adds more curation actions (move, merge, dedupe, best N); curators only. */
  readonly actionSlot: HTMLSpanElement;
  /** Where those actions open their parameter panels, under the action row. */
  readonly panelSlot: HTMLDivElement;
  private readonly sort: HTMLSelectElement;
  private readonly reverse: HTMLInputElement;
  private readonly deleted: HTMLInputElement;
  private readonly referenceBox: HTMLSpanElement;
  private readonly referenceText: HTMLSpanElement;
  private readonly counts: HTMLSpanElement;
  private readonly message: HTMLDivElement;
  private readonly deleteButton: HTMLButtonElement;
  private readonly restoreButton: HTMLButtonElement;
  private readonly undoButton: HTMLButtonElement;
  private readonly inputs = new Map<string, HTMLInputElement>();
  private filterTimer: number | undefined;
  private reference: number | null = null;

  constructor(
    private readonly events: ToolbarEvents,
    canCurate: boolean,
    initial: SortKey = "identity",
  ) {
    this.sort = h(
      "select",
      { id: "sort-select", name: "ordering", "aria-label": "Sort faces by" },
      ...SORT_OPTIONS.map((option) => h("option", { value: option.key, selected: option.key === initial }, option.label)),
    );
    this.reverse = h("input", { type: "checkbox", id: "sort-reverse" });
    this.deleted = h("input", { type: "checkbox", id: "show-deleted" });
    this.openOnClick = h("input", { type: "checkbox", id: "open-on-click" });
    this.referenceText = h("span", { class: "muted" });
    const useSelected = h("button", { type: "button", class: "btn btn-small", id: "reference-use" }, "Use selected face");
    const clearReference = h("button", { type: "button", class: "btn btn-small", id: "reference-clear" }, "Set centre");
    useSelected.addEventListener("click", () => {
      const id = this.events.pickReference();
      if (id === null) {
        this.showMessage("Select one face first: the grid then puts faces least like it first.", "error");
        return;
      }
      this.reference = id;
      this.emit();
    });
    clearReference.addEventListener("click", () => {
      this.reference = null;
      this.emit();
    });
    this.referenceBox = h("span", { class: "toolbar-group reference" }, "Compare with ", this.referenceText, useSelected, clearReference);
    this.counts = h("span", { class: "face-counts", id: "face-counts", role: "status", "aria-live": "polite" });
    this.actionSlot = h("span", { class: "toolbar-group curation-actions" });
    this.panelSlot = h("div", { class: "curation-panels" });
    this.message = h("div", { class: "toolbar-message messages", role: "status", "aria-live": "polite", hidden: true });

    const button = (id: string, label: string, handler: () => void, extra: Record<string, string> = {}): HTMLButtonElement => {
      const el = h("button", { type: "button", class: "btn btn-small", id, ...extra }, label);
      el.addEventListener("click", handler);
      return el;
    };
    this.deleteButton = button("delete-selected", "Delete selected", () => this.events.deleteSelected(), {
      class: "btn btn-small btn-danger",
      title: "Soft delete (Delete key); restorable from the deleted view or with Undo",
    });
    this.restoreButton = button("restore-selected", "Restore selected", () => this.events.restoreSelected());
    this.undoButton = button("undo-last", "Undo", () => this.events.undo(), { title: "Undo the latest delete or restore (Ctrl+Z)" });

    for (const [el, handler] of [
      [this.sort, () => this.emit()],
      [this.reverse, () => this.emit()],
      [this.deleted, () => this.emit()],
    ] as const) {
      el.addEventListener("change", handler);
    }

    const filters = h(
      "div",
      { class: "toolbar-row filters" },
      ...RANGE_FILTERS.map((filter) => this.rangeInputs(filter.key, filter.label, filter.step)),
      button("filters-clear", "Clear filters", () => this.clearFilters()),
    );

    this.el = h(
      "div",
      { class: "grid-toolbar" },
      h(
        "div",
        { class: "toolbar-row" },
        h("label", { class: "toolbar-group" }, "Sort", this.sort),
        h("label", { class: "check" }, this.reverse, "reverse"),
        this.referenceBox,
        h("label", { class: "check" }, this.deleted, "show deleted"),
        h("label", { class: "check", title: "Open the face panel on a single click" }, this.openOnClick, "details on click"),
        this.counts,
      ),
      filters,
      h(
        "div",
        { class: "toolbar-row actions" },
        button("select-all", "Select all matching", () => this.events.selectAll(), { title: "Ctrl+A" }),
        button("select-none", "Clear selection", () => this.events.clearSelection(), { title: "Escape" }),
        canCurate ? h("span", { class: "toolbar-sep", "aria-hidden": "true" }) : null,
        canCurate ? this.deleteButton : null,
        canCurate ? this.restoreButton : null,
        canCurate ? this.undoButton : null,
        canCurate ? this.actionSlot : null,
        h("span", { class: "muted toolbar-hint" }, "click · ctrl-click · shift-click range · arrows · Enter opens · Esc clears"),
      ),
      canCurate ? this.panelSlot : null,
      this.message,
    );
    this.syncChrome();
  }

  private rangeInputs(key: RangeKey, label: string, step: string): HTMLElement {
    const make = (bound: "min" | "max"): HTMLInputElement => {
      const input = h("input", { type: "number", step, name: `${bound}_${key}`, placeholder: bound, "aria-label": `${label} ${bound}`, class: "range-input" });
      input.addEventListener("input", () => {
        window.clearTimeout(this.filterTimer);
        this.filterTimer = window.setTimeout(() => this.emit(), FILTER_DEBOUNCE_MS);
      });
      input.addEventListener("change", () => {
        window.clearTimeout(this.filterTimer);
        this.emit();
      });
      this.inputs.set(`${bound}_${key}`, input);
      return input;
    };
    return h("span", { class: "range-filter" }, h("span", { class: "range-label" }, label), make("min"), "–", make("max"));
  }

  private clearFilters(): void {
    for (const input of this.inputs.values()) input.value = "";
    this.emit();
  }

  get query(): FaceQuery {
    const ranges: FaceQuery["ranges"] = {};
    for (const filter of RANGE_FILTERS) {
      const read = (bound: string): number | null => {
        const raw = this.inputs.get(`${bound}_${filter.key}`)?.value.trim() ?? "";
        const value = raw === "" ? NaN : Number(raw);
        return Number.isFinite(value) ? value : null;
      };
      const min = read("min");
      const max = read("max");
      if (min !== null || max !== null) ranges[filter.key] = { min, max };
    }
    return {
      ordering: this.sort.value as SortKey,
      reverse: this.reverse.checked,
      reference: this.reference,
      deleted: this.deleted.checked,
      ranges,
    };
  }

  setSort(key: SortKey): void {
    this.sort.value = key;
    this.emit();
  }

  private emit(): void {
    this.syncChrome();
    this.events.queryChanged(this.query);
  }

  private syncChrome(): void {
    this.referenceBox.hidden = this.sort.value !== "identity";
    setText(this.referenceText, this.reference === null ? "the set's centre" : `face #${this.reference}`);
    this.deleteButton.hidden = this.deleted.checked;
    this.restoreButton.hidden = !this.deleted.checked;
  }

  /** "1,234 faces · 12 selected"; null count while the first page loads. */
  setCounts(count: number | null, selected: number): void {
    const deleted = this.deleted.checked;
    const faces = count === null ? "… faces" : `${count.toLocaleString()} ${deleted ? "deleted " : ""}face${count === 1 ? "" : "s"}`;
    setText(this.counts, `${faces} · ${selected.toLocaleString()} selected`);
    setAttr(this.counts, "data-count", count === null ? null : String(count));
    setAttr(this.counts, "data-selected", String(selected));
    this.deleteButton.disabled = selected === 0;
    this.restoreButton.disabled = selected === 0;
  }

  setUndoAvailable(available: boolean, title: string): void {
    this.undoButton.disabled = !available;
    this.undoButton.title = title;
  }

  showMessage(text: string | null, kind: "error" | "info" = "info"): void {
    this.message.hidden = text === null;
    this.message.replaceChildren(...(text ? [h("div", { class: `message ${kind}` }, text)] : []));
  }
}

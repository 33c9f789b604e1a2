// Faceset grid controller: ties the toolbar (query), the FaceList model (pages
// on demand), the Selection and the VirtualGrid view together, and runs the
// curation actions: delete, restore, undo, with keyboard shortcuts.
import { ApiError } from "../api/client";
import type { CurationEvent, Face, FaceQuery, FacesetApi, SortKey } from "../api/facesets";
import { FaceList } from "./grid/faceList";
import { Selection } from "./grid/selection";
import { GridToolbar } from "./grid/toolbar";
import { VirtualGrid } from "./grid/virtualGrid";
import { h } from "../shared/dom";

export interface FaceGridOptions {
  canCurate: boolean;
  initialSort?: SortKey;
  /** Open the face panel. */
  open(faceId: number): void;
  /** After any change to the faces (counts, charts, history need a refresh). */
  changed(): void;
  /** Undo the latest delete/restore; resolves to the inverse event, or null when nothing to undo. */
  undo(): Promise<CurationEvent | null>;
}

function caption(face: Face, key: SortKey): string {
  switch (key) {
    case "blur":
      return face.blur.toFixed(0);
    case "size":
      return `${face.face_size.toFixed(0)}px`;
    case "yaw":
      return `${face.yaw.toFixed(0)}°`;
    case "pitch":
      return `${face.pitch.toFixed(0)}°`;
    case "brightness":
      return face.brightness.toFixed(0);
    case "hue":
      return face.hue.toFixed(0);
    case "confidence":
      return face.confidence.toFixed(2);
    case "frame":
      return `f${face.frame_index}`;
    default:
      return "";
  }
}

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));
}

export class FaceGrid {
  private readonly toolbar: GridToolbar;
  private readonly list: FaceList;
  private readonly selection = new Selection();
  private readonly view: VirtualGrid;
  private readonly emptyEl: HTMLDivElement;
  private focus: number | null = null;
  private busy = false;

  constructor(
    root: HTMLElement,
    private readonly api: FacesetApi,
    private readonly options: FaceGridOptions,
  ) {
    this.toolbar = new GridToolbar(
      {
        queryChanged: (query) => this.setQuery(query),
        selectAll: () => void this.selectAll(),
        clearSelection: () => this.clearSelection(),
        deleteSelected: () => void this.apply("remove"),
        restoreSelected: () => void this.apply("restore"),
        undo: () => void this.undo(),
        pickReference: () => this.selection.anchor?.id ?? null,
      },
      options.canCurate,
      options.initialSort,
    );
    this.list = new FaceList(api, this.toolbar.query, {
      changed: () => this.repaint(),
      failed: (error) => this.toolbar.showMessage(`Could not load faces: ${error.describe()}`, "error"),
    });
    this.view = new VirtualGrid(
      {
        count: () => this.list.count,
        at: (position) => this.list.at(position),
        isSelected: (id) => this.selection.has(id),
        focused: () => this.focus,
        caption: (face) => caption(face, this.list.current.ordering),
      },
      {
        visible: (first, last) => this.list.ensure(first, last),
        click: (position, event) => void this.click(position, event),
        open: (position) => this.openAt(position),
      },
    );
    this.emptyEl = h("div", { class: "empty face-empty", hidden: true });
    root.classList.add("face-grid");
    root.replaceChildren(this.toolbar.el, this.view.viewport, this.emptyEl);
    this.view.viewport.addEventListener("keydown", (event) => this.gridKey(event));
    document.addEventListener("keydown", (event) => this.globalKey(event));
  }

  start(): void {
    this.view.schedule();
    this.updateCounts();
  }

  /** Re-read the same query after faces changed elsewhere (extract finished, undo, another curator). */
  refresh(): void {
    this.list.reset(this.list.current, true);
    this.view.schedule();
  }

  setUndoAvailable(available: boolean, title: string): void {
    this.toolbar.setUndoAvailable(available, title);
  }

  showError(message: string): void {
    this.toolbar.showMessage(message, "error");
  }

  showInfo(message: string | null): void {
    this.toolbar.showMessage(message);
  }

  get actionSlot(): HTMLElement {
    return this.toolbar.actionSlot;
  }

  get panelSlot(): HTMLElement {
    return this.toolbar.panelSlot;
  }

  selectedIds(): number[] {
    return this.selection.values();
  }

  /** Select exactly these faces (a preview of what an action would remove). */
  select(ids: readonly number[]): void {
    this.selection.clear();
    this.selection.all(ids);
    this.repaint();
  }

  /** After an action run elsewhere changed the faces: message, re-read, refresh everything. */
  applied(message: string): void {
    this.selection.clear();
    this.toolbar.showMessage(message);
    this.afterChange();
  }

  private setQuery(query: FaceQuery): void {
    this.list.reset(query);
    this.selection.clear();
    this.focus = null;
    this.view.viewport.scrollTop = 0;
    this.toolbar.showMessage(null);
    this.repaint();
  }

  private repaint(): void {
    this.view.schedule();
    this.updateCounts();
  }

  private updateCounts(): void {
    this.toolbar.setCounts(this.list.count, this.selection.size);
    const empty = this.list.count === 0;
    this.emptyEl.hidden = !empty;
    this.view.viewport.classList.toggle("is-empty", empty);
    if (empty) {
      const query = this.list.current;
      const filtered = Object.keys(query.ranges).length > 0;
      this.emptyEl.textContent = query.deleted
        ? "No deleted faces. Deleted faces land here and can be restored."
        : filtered
          ? "No faces match these filters; widen or clear them."
          : "No faces yet. Extract faces from the project's videos and photos above.";
    }
  }

  private async click(position: number, event: MouseEvent): Promise<void> {
    const additive = event.ctrlKey || event.metaKey;
    const anchor = this.selection.anchor;
    if (event.shiftKey && anchor) {
      try {
        this.selection.range(await this.list.idsBetween(anchor.position, position), additive);
      } catch (err) {
        this.showError(err instanceof ApiError ? err.describe() : "Could not select the range.");
        return;
      }
      this.focus = position;
    } else {
      const face = this.list.at(position);
      if (!face) return; // still loading
      if (additive) this.selection.toggle(face.id, position);
      else this.selection.only(face.id, position);
      this.focus = position;
      if (!additive && this.toolbar.openOnClick.checked) this.options.open(face.id);
    }
    this.view.viewport.focus({ preventScroll: true });
    this.repaint();
  }

  private openAt(position: number): void {
    const face = this.list.at(position);
    if (!face) return;
    this.selection.only(face.id, position);
    this.focus = position;
    this.repaint();
    this.options.open(face.id);
  }

  private async selectAll(): Promise<void> {
    try {
      this.selection.all(await this.list.ids());
      this.repaint();
    } catch (err) {
      this.showError(err instanceof ApiError ? err.describe() : "Could not select all faces.");
    }
  }

  private clearSelection(): void {
    this.selection.clear();
    this.repaint();
  }

  /** Arrow keys move the focus (shift extends the range), Enter opens, Ctrl+A selects all. */
  private gridKey(event: KeyboardEvent): void {
    const count = this.list.count ?? 0;
    const columns = this.view.columnCount;
    const steps: Record<string, number> = {
      ArrowLeft: -1,
      ArrowRight: 1,
      ArrowUp: -columns,
      ArrowDown: columns,
      PageUp: -columns * 5,
      PageDown: columns * 5,
    };
    const step = steps[event.key];
    if (step !== undefined && count > 0) {
      event.preventDefault();
      const from = this.focus ?? this.selection.anchor?.position ?? -step;
      const to = Math.min(count - 1, Math.max(0, from + step));
      this.view.scrollTo(to);
      const face = this.list.at(to);
      this.focus = to;
      if (event.shiftKey && this.selection.anchor) {
        void this.list.idsBetween(this.selection.anchor.position, to).then((ids) => {
          this.selection.range(ids, false);
          this.repaint();
        });
      } else if (face) {
        this.selection.only(face.id, to);
      }
      this.repaint();
    } else if (event.key === "Enter" && this.focus !== null) {
      event.preventDefault();
      this.openAt(this.focus);
    } else if (event.key.toLowerCase() === "a" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void this.selectAll();
    }
  }

  /** Escape, Delete and Ctrl+Z work anywhere on the page except while typing. */
  private globalKey(event: KeyboardEvent): void {
    if (isTyping(event.target)) return;
    if (event.key === "Escape" && this.selection.size) {
      this.clearSelection();
    } else if ((event.key === "Delete" || event.key === "Backspace") && this.options.canCurate && this.selection.size) {
      event.preventDefault();
      void this.apply(this.list.current.deleted ? "restore" : "remove");
    } else if (event.key.toLowerCase() === "z" && (event.ctrlKey || event.metaKey) && !event.shiftKey && this.options.canCurate) {
      event.preventDefault();
      void this.undo();
    }
  }

  private async apply(action: "remove" | "restore"): Promise<void> {
    const ids = this.selection.values();
    if (!ids.length || this.busy) return;
    this.busy = true;
    try {
      const event = action === "remove" ? await this.api.remove(ids) : await this.api.restore(ids);
      const verb = action === "remove" ? "Deleted" : "Restored";
      const skipped = ids.length - event.face_count;
      this.toolbar.showMessage(
        `${verb} ${event.face_count.toLocaleString()} face${event.face_count === 1 ? "" : "s"}` +
          (skipped > 0 ? ` (${skipped} already changed by someone else)` : "") +
          (action === "remove" ? ". Ctrl+Z undoes." : "."),
      );
      this.selection.drop(ids);
      this.afterChange();
    } catch (err) {
      this.showError(err instanceof ApiError ? err.describe() : `Could not ${action} the faces.`);
    } finally {
      this.busy = false;
    }
  }

  private async undo(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const inverse = await this.options.undo();
      if (inverse === null) {
        this.toolbar.showMessage("Nothing to undo.");
      } else {
        const verb = inverse.action === "restore" ? "restored" : inverse.action === "move" ? "moved back" : "deleted again";
        this.toolbar.showMessage(`Undone: ${inverse.face_count.toLocaleString()} face${inverse.face_count === 1 ? "" : "s"} ${verb}.`);
        this.selection.clear();
        this.afterChange();
      }
    } catch (err) {
      this.showError(err instanceof ApiError ? err.describe() : "Could not undo.");
    } finally {
      this.busy = false;
    }
  }

  private afterChange(): void {
    this.focus = null;
    this.refresh();
    this.updateCounts();
    this.options.changed();
  }
}

// The view of the face grid: a scroll viewport over a tall canvas in which only
// the rows in sight (plus a few rows of overscan) exist as DOM nodes. Cells are
// fixed-size and recycled, so 20,000 faces cost as much as the ~100 on screen.
import type { Face } from "../../api/facesets";
import { h, setAttr } from "../../shared/dom";

/** Cell pitch in px: a 96 px thumbnail plus a 4 px frame on each side. */
export const CELL = 104;
const OVERSCAN_ROWS = 3;

export interface GridSource {
  /** Number of positions; null while unknown. */
  count(): number | null;
  at(position: number): Face | undefined;
  isSelected(id: number): boolean;
  /** Position with keyboard focus, or null. */
  focused(): number | null;
  /** Short text over the thumbnail, e.g. the value sorted by. */
  caption(face: Face): string;
}

export interface GridEvents {
  /** The positions the view shows now; the model loads their pages. */
  visible(first: number, last: number): void;
  click(position: number, event: MouseEvent): void;
  open(position: number): void;
}

export class VirtualGrid {
  readonly viewport: HTMLDivElement;
  private readonly canvas: HTMLDivElement;
  private readonly cells = new Map<number, HTMLDivElement>();
  private readonly pool: HTMLDivElement[] = [];
  private columns = 1;
  private frame = 0;

  constructor(
    private readonly source: GridSource,
    private readonly events: GridEvents,
  ) {
    this.canvas = h("div", { class: "face-canvas" });
    this.viewport = h(
      "div",
      { class: "face-viewport", tabindex: 0, role: "listbox", "aria-multiselectable": "true", "aria-label": "Faces" },
      this.canvas,
    );
    this.viewport.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
    this.canvas.addEventListener("click", (event) => {
      const position = this.positionFrom(event);
      if (position !== null) this.events.click(position, event);
    });
    this.canvas.addEventListener("dblclick", (event) => {
      const position = this.positionFrom(event);
      if (position !== null) this.events.open(position);
    });
    // Shift-click must not select the page's text.
    this.canvas.addEventListener("mousedown", (event) => {
      if (event.shiftKey) event.preventDefault();
    });
  }

  get columnCount(): number {
    return this.columns;
  }

  /** Repaint on the next animation frame (coalesces bursts of scroll and data events). */
  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Brings `position` into view (keyboard navigation, after a reset). */
  scrollTo(position: number): void {
    const row = Math.floor(position / this.columns);
    const top = row * CELL;
    const bottom = top + CELL;
    if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
    else if (bottom > this.viewport.scrollTop + this.viewport.clientHeight) {
      this.viewport.scrollTop = bottom - this.viewport.clientHeight;
    }
  }

  render(): void {
    const width = this.viewport.clientWidth;
    this.columns = Math.max(1, Math.floor(width / CELL));
    const count = this.source.count();
    const total = count ?? 0;
    const rows = Math.ceil(total / this.columns);
    this.canvas.style.height = `${rows * CELL}px`;
    // Centre the columns: the spare width goes to both sides.
    const inset = Math.max(0, Math.floor((width - this.columns * CELL) / 2));

    const scrollTop = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || CELL * 6;
    const firstRow = Math.max(0, Math.floor(scrollTop / CELL) - OVERSCAN_ROWS);
    const lastRow = Math.min(Math.max(0, rows - 1), Math.ceil((scrollTop + height) / CELL) + OVERSCAN_ROWS);
    const first = firstRow * this.columns;
    const last = count === null ? this.columns * (lastRow + 1) - 1 : Math.min(total - 1, (lastRow + 1) * this.columns - 1);
    this.events.visible(first, Math.max(first, last));

    for (const [position, cell] of this.cells) {
      if (position < first || position > last) {
        cell.remove();
        this.cells.delete(position);
        this.pool.push(cell);
      }
    }
    const focused = this.source.focused();
    for (let position = first; position <= last && position < total; position += 1) {
      let cell = this.cells.get(position);
      if (!cell) {
        cell = this.pool.pop() ?? this.makeCell();
        this.cells.set(position, cell);
        this.canvas.appendChild(cell);
      }
      const column = position % this.columns;
      const row = Math.floor(position / this.columns);
      cell.style.transform = `translate(${inset + column * CELL}px, ${row * CELL}px)`;
      this.fill(cell, position, this.source.at(position), position === focused);
    }
  }

  private makeCell(): HTMLDivElement {
    const img = h("img", { alt: "", width: 96, height: 96, decoding: "async", draggable: "false" });
    return h("div", { class: "face-cell", role: "option" }, img, h("span", { class: "face-caption" }));
  }

  private fill(cell: HTMLDivElement, position: number, face: Face | undefined, focused: boolean): void {
    const img = cell.firstElementChild as HTMLImageElement;
    const caption = cell.lastElementChild as HTMLSpanElement;
    setAttr(cell, "data-position", String(position));
    setAttr(cell, "data-face-id", face ? String(face.id) : null);
    cell.classList.toggle("loading", !face);
    cell.classList.toggle("focused", focused);
    const selected = face ? this.source.isSelected(face.id) : false;
    cell.classList.toggle("selected", selected);
    setAttr(cell, "aria-selected", selected ? "true" : "false");
    cell.classList.toggle("deleted", Boolean(face?.deleted_at));
    if (face) {
      if (img.getAttribute("src") !== face.thumb_url) img.src = face.thumb_url;
      img.hidden = false;
      const text = this.source.caption(face);
      if (caption.textContent !== text) caption.textContent = text;
      caption.hidden = !text;
      setAttr(cell, "title", `Face ${face.id}${face.media_name ? ` · ${face.media_name} frame ${face.frame_index}` : ""}`);
    } else {
      img.removeAttribute("src");
      img.hidden = true;
      caption.hidden = true;
      setAttr(cell, "title", null);
    }
  }

  private positionFrom(event: MouseEvent): number | null {
    const cell = (event.target as Element | null)?.closest<HTMLElement>(".face-cell");
    const raw = cell?.dataset.position;
    return raw === undefined ? null : Number(raw);
  }
}

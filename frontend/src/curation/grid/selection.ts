// Selected faces by id, plus the anchor (a position in the ordered list) that
// shift-click ranges start from. Pure state: the grid controller resolves
// positions to ids and tells the view to repaint.

export class Selection {
  private ids = new Set<number>();
  /** Position and id of the face last clicked without shift. */
  anchor: { position: number; id: number } | null = null;

  get size(): number {
    return this.ids.size;
  }

  has(id: number): boolean {
    return this.ids.has(id);
  }

  values(): number[] {
    return [...this.ids];
  }

  /** Click: only this face. */
  only(id: number, position: number): void {
    this.ids = new Set([id]);
    this.anchor = { position, id };
  }

  /** Ctrl/Cmd-click: flip this face, keep the rest. */
  toggle(id: number, position: number): void {
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.anchor = { position, id };
  }

  /** Shift-click: the range's ids, added to the selection when `add` (ctrl+shift). */
  range(ids: readonly number[], add: boolean): void {
    if (!add) this.ids = new Set();
    for (const id of ids) this.ids.add(id);
  }

  all(ids: readonly number[]): void {
    this.ids = new Set(ids);
  }

  clear(): void {
    this.ids = new Set();
    this.anchor = null;
  }

  /** Forget ids that left the list (deleted or restored by an action). */
  drop(ids: readonly number[]): void {
    for (const id of ids) this.ids.delete(id);
    if (this.anchor && ids.includes(this.anchor.id)) this.anchor = null;
  }
}

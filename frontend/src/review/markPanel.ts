// Marks panel: every visible mark of the video in frame order, and an editor for the
// selected one. Saving names the version it was loaded at; when someone else saved
// first the server answers 409 with their version, which replaces ours on screen.
import { ApiError } from "../api/client";
import { deleteMark, type Mark, type MarkInput, updateMark } from "../api/review";
import { h } from "../shared/dom";
import { formatRelative, formatTimecode } from "../shared/format";
import type { TimelineModel } from "./timeline/model";

export interface MarkPanelOptions {
  root: HTMLElement;
  model: TimelineModel;
  markUrl(id: number): string;
  username: string;
  canCurate: boolean;
  canAnnotate: boolean;
  seek(frame: number): void;
  notify(text: string, tone?: "ok" | "error" | "warn"): void;
}

export class MarkPanel {
  private conflict: { markId: number; message: string } | null = null;

  constructor(private readonly options: MarkPanelOptions) {
    const { model } = options;
    model.onChange((reason) => {
      if (reason === "marks" || reason === "selection") this.render();
    });
    this.render();
  }

  canEdit(mark: Mark): boolean {
    return this.options.canAnnotate && (this.options.canCurate || mark.created_by === this.options.username);
  }

  render(): void {
    const { model, root } = this.options;
    const count = h("p", { class: "muted small", "data-count": model.marks.length },
      model.marks.length ? `${model.marks.length} mark(s). Click one to jump to it; n / p step through them.`
        : "No marks yet. Press [ at the first frame of an artifact and ] at its last, or drag a box on the picture.");
    const rows = model.marks.map((mark) => this.row(mark));
    root.replaceChildren(count, h("ol", { class: "mark-list" }, ...rows));
  }

  private row(mark: Mark): HTMLElement {
    const { model } = this.options;
    const kind = model.kind(mark.kind);
    const selected = mark.id === model.selectedMarkId;
    const fps = model.fps;
    const item = h(
      "li",
      { class: `mark-row${selected ? " selected" : ""}`, "data-mark-id": mark.id, "data-kind": mark.kind },
      h(
        "button",
        { type: "button", class: "mark-summary", "aria-expanded": selected ? "true" : "false" },
        h("span", { class: "swatch", style: `background:${kind?.color ?? "#888"}` }),
        h("span", { class: "mark-kind" }, kind?.label ?? mark.kind),
        h("span", { class: "mark-range mono" },
          mark.start_frame === mark.end_frame ? `frame ${mark.start_frame}` : `frames ${mark.start_frame}–${mark.end_frame}`,
          h("span", { class: "muted" }, ` · ${formatTimecode(mark.start_frame / fps)}`)),
        mark.region ? h("span", { class: "badge", title: "Has a region box" }, "region") : null,
        h("span", { class: "muted small mark-author" }, `${mark.created_by ?? "?"} · ${formatRelative(mark.updated_at)}`),
      ),
      mark.note && !selected ? h("p", { class: "mark-note" }, mark.note) : null,
    );
    item.querySelector(".mark-summary")?.addEventListener("click", () => {
      model.select(selected ? null : mark.id);
      if (!selected) this.options.seek(mark.start_frame);
    });
    if (selected) item.append(this.editor(mark));
    return item;
  }

  private editor(mark: Mark): HTMLElement {
    const { model } = this.options;
    const editable = this.canEdit(mark);
    const kind = h("select", { name: "kind", disabled: !editable },
      ...model.kinds.map((k) => h("option", { value: k.slug, selected: k.slug === mark.kind }, k.label)));
    const start = h("input", { type: "number", name: "start_frame", min: 0, max: model.frameCount - 1, value: mark.start_frame, disabled: !editable });
    const end = h("input", { type: "number", name: "end_frame", min: 0, max: model.frameCount - 1, value: mark.end_frame, disabled: !editable });
    const note = h("textarea", { name: "note", rows: 2, placeholder: "What do you see?", disabled: !editable }, mark.note);
    const hereStart = h("button", { type: "button", class: "btn btn-small", disabled: !editable, title: "Start at the frame on screen" }, "← current");
    const hereEnd = h("button", { type: "button", class: "btn btn-small", disabled: !editable, title: "End at the frame on screen" }, "← current");
    hereStart.addEventListener("click", () => { start.value = String(model.frame); });
    hereEnd.addEventListener("click", () => { end.value = String(model.frame); });
    let region = mark.region;
    const regionText = h("span", { class: "muted small" });
    const describeRegion = (): void => {
      regionText.textContent = region
        ? `box ${Math.round((region[2] - region[0]) * 100)}% × ${Math.round((region[3] - region[1]) * 100)}% of the frame`
        : "none (drag on the picture to add one)";
    };
    describeRegion();
    const clearRegion = h("button", { type: "button", class: "btn btn-small", disabled: !editable || !region }, "Clear region");
    // The page owns the picture: it takes the next drag as this mark's new box.
    const redraw = h("button", { type: "button", class: "btn btn-small", disabled: !editable, "data-action": "redraw-region" }, region ? "Redraw region" : "Draw region");
    clearRegion.addEventListener("click", () => {
      region = null;
      describeRegion();
      clearRegion.disabled = true;
    });
    const save = h("button", { type: "submit", class: "btn btn-primary btn-small", disabled: !editable }, "Save");
    const remove = h("button", { type: "button", class: "btn btn-danger btn-small", disabled: !editable }, "Delete");
    const conflict = this.conflict?.markId === mark.id
      ? h("div", { class: "message warning", role: "alert" }, this.conflict.message) : null;
    const form = h(
      "form",
      { class: "mark-editor" },
      conflict,
      h("label", {}, "Kind ", kind),
      h("div", { class: "range-inputs" },
        h("label", {}, "From ", start, hereStart),
        h("label", {}, "to ", end, hereEnd)),
      h("div", { class: "region-line" }, h("span", {}, "Region: "), regionText, redraw, clearRegion),
      h("label", {}, "Note", note),
      h("div", { class: "row-actions" }, save, remove,
        editable ? null : h("span", { class: "muted small" }, "Only its author or a curator can change this mark.")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.save(mark, {
        kind: kind.value,
        start_frame: Number(start.value),
        end_frame: Number(end.value),
        region,
        note: note.value,
      });
    });
    remove.addEventListener("click", () => void this.remove(mark));
    return form;
  }

  /** Saves `changes` to `mark` from the version on screen. */
  async save(mark: Mark, changes: Partial<MarkInput>): Promise<boolean> {
    try {
      const saved = await updateMark(this.options.markUrl(mark.id), mark.version, changes);
      this.conflict = null;
      this.options.model.upsertMark(saved);
      this.options.notify(`Mark saved (version ${saved.version}).`, "ok");
      return true;
    } catch (err) {
      this.handleError(mark, err);
      return false;
    }
  }

  async remove(mark: Mark): Promise<void> {
    try {
      await deleteMark(this.options.markUrl(mark.id), mark.version);
      this.conflict = null;
      this.options.model.removeMark(mark.id);
      this.options.notify("Mark deleted.", "ok");
    } catch (err) {
      this.handleError(mark, err);
    }
  }

  private handleError(mark: Mark, err: unknown): void {
    if (err instanceof ApiError && err.status === 409 && err.details.current) {
      const current = err.details.current as Mark;
      this.conflict = {
        markId: mark.id,
        message: `${current.updated_by ?? "Someone"} changed this mark while you were editing it. Their version is shown now; apply your change again if it still holds.`,
      };
      this.options.model.upsertMark(current);
      this.options.notify("Not saved: the mark was changed by someone else.", "warn");
    } else if (err instanceof ApiError && (err.status === 404 || err.status === 410)) {
      this.options.model.removeMark(mark.id);
      this.options.notify("This mark was deleted by someone else.", "warn");
    } else {
      this.options.notify(err instanceof ApiError ? err.describe() : String(err), "error");
    }
  }
}

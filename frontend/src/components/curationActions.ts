// Curator actions beyond delete/restore, in the grid toolbar: move the
// selection to another faceset, merge another faceset in, remove
// near-duplicates and keep the best N. Dedupe and best N preview first (a dry
// run that selects the faces they would remove), then apply.
import { ApiError } from "../api/client";
import type { CurationEvent, DropPreview, Faceset, FacesetApi } from "../api/facesets";
import { h, setText } from "./dom";

/** What the actions need from the grid. */
export interface ActionGrid {
  selectedIds(): number[];
  select(ids: readonly number[]): void;
  applied(message: string): void;
  showError(message: string): void;
  showInfo(message: string | null): void;
}

type PanelKey = "move" | "merge" | "dedupe" | "best";

const plural = (n: number): string => `${n.toLocaleString()} face${n === 1 ? "" : "s"}`;
const describe = (err: unknown, fallback: string): string => (err instanceof ApiError ? err.describe() : fallback);

export class CurationActions {
  private readonly panels = new Map<PanelKey, HTMLElement>();
  private readonly toggles = new Map<PanelKey, HTMLButtonElement>();
  private readonly moveSelect: HTMLSelectElement;
  private readonly mergeSelect: HTMLSelectElement;
  private others: Faceset[] = [];
  private busy = false;

  constructor(
    slot: HTMLElement,
    panelHost: HTMLElement,
    private readonly api: FacesetApi,
    private readonly facesetId: number,
    private readonly grid: ActionGrid,
  ) {
    this.moveSelect = h("select", { id: "move-target", "aria-label": "Faceset to move the selected faces to" });
    this.mergeSelect = h("select", { id: "merge-source", "aria-label": "Faceset whose faces to bring in" });

    const moveButton = this.button("move-apply", "Move selected", () => void this.move(), "btn btn-small btn-primary");
    this.panel("move", "Move to…", "Move the selected faces to another faceset of this project.", [
      h("label", { class: "toolbar-group" }, "Target", this.moveSelect),
      moveButton,
    ]);

    const mergeButton = this.button("merge-apply", "Merge…", () => void this.merge(), "btn btn-small btn-primary");
    this.panel("merge", "Merge…", "Bring every live face of another faceset into this one.", [
      h("label", { class: "toolbar-group" }, "From", this.mergeSelect),
      mergeButton,
    ]);

    const maxDistance = this.number("dedupe-distance", "0.06", "0.01", "0");
    const maxAngle = this.number("dedupe-angle", "5", "0.5", "0");
    this.dropPanel(
      "dedupe",
      "Remove near-duplicates…",
      "Same person (embedding distance) and same head angle: keep the sharpest of each group.",
      [
        h("label", { class: "toolbar-group" }, "Max distance", maxDistance),
        h("label", { class: "toolbar-group" }, "Max angle °", maxAngle),
      ],
      () => this.api.dedupePreview(Number(maxDistance.value), Number(maxAngle.value)),
      () => this.api.dedupe(Number(maxDistance.value), Number(maxAngle.value)),
    );

    const count = this.number("best-count", "200", "1", "1");
    this.dropPanel(
      "best",
      "Best N…",
      "Keep N faces covering yaw/pitch evenly (sharpest per angle bin); soft-delete the rest.",
      [h("label", { class: "toolbar-group" }, "Keep N", count)],
      () => this.api.bestPreview(Number(count.value)),
      () => this.api.best(Number(count.value)),
    );

    slot.replaceChildren(h("span", { class: "toolbar-sep", "aria-hidden": "true" }), ...this.toggles.values());
    panelHost.replaceChildren(...this.panels.values());
  }

  private button(id: string, label: string, handler: () => void, cls = "btn btn-small"): HTMLButtonElement {
    const el = h("button", { type: "button", class: cls, id }, label);
    el.addEventListener("click", handler);
    return el;
  }

  private number(id: string, value: string, step: string, min: string): HTMLInputElement {
    return h("input", { type: "number", id, value, step, min, class: "range-input" });
  }

  private panel(key: PanelKey, label: string, help: string, body: HTMLElement[]): HTMLElement {
    const panel = h(
      "div",
      { class: "curation-panel toolbar-row", id: `${key}-panel`, hidden: true, role: "group", "aria-label": label },
      h("strong", {}, label.replace("…", "")),
      ...body,
      h("span", { class: "muted" }, help),
      this.button(`${key}-close`, "Close", () => this.open(null)),
    );
    this.panels.set(key, panel);
    this.toggles.set(key, this.button(`${key}-open`, label, () => this.open(panel.hidden ? key : null)));
    return panel;
  }

  /** A panel with parameters, Preview (dry run, selects the faces) and Apply. */
  private dropPanel(
    key: PanelKey,
    label: string,
    help: string,
    inputs: HTMLElement[],
    preview: () => Promise<DropPreview>,
    apply: () => Promise<CurationEvent>,
  ): void {
    const result = h("span", { class: "curation-result", id: `${key}-result`, role: "status", "aria-live": "polite" });
    const previewButton = this.button(`${key}-preview`, "Preview", () =>
      void this.run(async () => {
        const answer = await preview();
        this.grid.select(answer.face_ids);
        setText(result, answer.count ? `${plural(answer.count)} would be removed (selected in the grid).` : "Nothing would be removed.");
        result.dataset.count = String(answer.count);
      }, "Could not preview."),
    );
    const applyButton = this.button(
      `${key}-apply`,
      "Apply",
      () =>
        void this.run(async () => {
          const event = await apply();
          setText(result, "");
          delete result.dataset.count;
          this.grid.applied(`Removed ${plural(event.face_count)}. Ctrl+Z undoes.`);
        }, "Could not apply."),
      "btn btn-small btn-danger",
    );
    this.panel(key, label, help, [...inputs, previewButton, applyButton, result]);
  }

  private open(key: PanelKey | null): void {
    for (const [name, panel] of this.panels) {
      panel.hidden = name !== key;
      this.toggles.get(name)?.setAttribute("aria-expanded", String(name === key));
    }
    if (key === "move" || key === "merge") void this.loadFacesets();
  }

  private async loadFacesets(): Promise<void> {
    try {
      this.others = (await this.api.facesets()).filter((faceset) => faceset.id !== this.facesetId);
    } catch (err) {
      this.grid.showError(describe(err, "Could not load the project's facesets."));
      return;
    }
    for (const select of [this.moveSelect, this.mergeSelect]) {
      const keep = select.value;
      select.replaceChildren(
        ...(this.others.length
          ? this.others.map((faceset) =>
              h("option", { value: faceset.id, selected: String(faceset.id) === keep }, `${faceset.name} (${plural(faceset.face_count)})`),
            )
          : [h("option", { value: "", disabled: true, selected: true }, "No other faceset in this project")]),
      );
    }
  }

  private async run(work: () => Promise<void>, fallback: string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.grid.showInfo(null);
    try {
      await work();
    } catch (err) {
      this.grid.showError(describe(err, fallback));
    } finally {
      this.busy = false;
    }
  }

  private async move(): Promise<void> {
    const ids = this.grid.selectedIds();
    const target = this.others.find((faceset) => String(faceset.id) === this.moveSelect.value);
    if (!ids.length) return this.grid.showError("Select the faces to move first.");
    if (!target) return this.grid.showError("Choose the faceset to move them to.");
    await this.run(async () => {
      const event = await this.api.move(ids, target.id);
      this.grid.applied(`Moved ${plural(event.face_count)} to ${target.name}. Ctrl+Z undoes.`);
      void this.loadFacesets();
    }, "Could not move the faces.");
  }

  private async merge(): Promise<void> {
    const source = this.others.find((faceset) => String(faceset.id) === this.mergeSelect.value);
    if (!source) return this.grid.showError("Choose the faceset to merge in.");
    if (!window.confirm(`Move all ${plural(source.face_count)} of “${source.name}” into this faceset?`)) return;
    await this.run(async () => {
      const event = await this.api.merge(source.id);
      this.grid.applied(`Merged ${plural(event.face_count)} from ${source.name}. Ctrl+Z undoes.`);
      void this.loadFacesets();
    }, "Could not merge.");
  }
}

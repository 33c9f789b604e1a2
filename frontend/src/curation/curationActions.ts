// Curator actions beyond delete/restore, in the grid toolbar: move the
// selection to another faceset, merge another faceset in, remove
// near-duplicates, keep the best N, split by track or person, and keep one
// person. Each rule previews first (a dry run that selects the faces it would
// remove, or lists the facesets a split would make), then applies.
import { ApiError } from "../api/client";
import type { CurationEvent, DropPreview, Faceset, FacesetApi, SplitBy, SplitPart } from "../api/facesets";
import { h, setText } from "../shared/dom";

/** What the actions need from the grid. */
export interface ActionGrid {
  selectedIds(): number[];
  select(ids: readonly number[]): void;
  applied(message: string): void;
  showError(message: string): void;
  showInfo(message: string | null): void;
}

type PanelKey = "move" | "merge" | "dedupe" | "best" | "split" | "keep";

const plural = (n: number): string => `${n.toLocaleString()} face${n === 1 ? "" : "s"}`;
const describe = (err: unknown, fallback: string): string => (err instanceof ApiError ? err.describe() : fallback);

export class CurationActions {
  private readonly panels = new Map<PanelKey, HTMLElement>();
  private readonly toggles = new Map<PanelKey, HTMLButtonElement>();
  private readonly moveSelect: HTMLSelectElement;
  private readonly mergeSelect: HTMLSelectElement;
  private others: Faceset[] = [];
  private busy = false;
  private keepFace: number | null = null;
  private readonly keepWho: HTMLElement;

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

    this.splitPanel();
    this.keepWho = h("span", { id: "keep-who" }, "No face chosen");
    this.keepPanel();

    const toggles = [...this.toggles.entries()].filter(([key]) => key !== "keep").map(([, button]) => button);
    slot.replaceChildren(h("span", { class: "toolbar-sep", "aria-hidden": "true" }), ...toggles);
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

  /** Split: preview lists the parts with sample faces; the largest part stays here. */
  private splitPanel(): void {
    const by = h(
      "select",
      { id: "split-by", "aria-label": "Split by" },
      h("option", { value: "track" }, "track (one person in one clip)"),
      h("option", { value: "identity" }, "person (identity clusters)"),
    );
    const threshold = this.number("split-threshold", "0.36", "0.01", "0.01");
    const thresholdLabel = h("label", { class: "toolbar-group", hidden: true }, "Max distance", threshold);
    by.addEventListener("change", () => {
      thresholdLabel.hidden = by.value !== "identity";
      parts.replaceChildren();
    });
    const parts = h("div", { class: "split-parts", id: "split-parts", role: "status", "aria-live": "polite" });
    const chosen = (): [SplitBy, number] => [by.value as SplitBy, Number(threshold.value)];
    const preview = this.button("split-preview", "Preview", () =>
      void this.run(async () => this.showParts(parts, await this.api.splitPreview(...chosen())), "Could not preview the split."),
    );
    const apply = this.button(
      "split-apply",
      "Split",
      () =>
        void this.run(async () => {
          const event = await this.api.split(...chosen());
          parts.replaceChildren();
          const made = Array.isArray(event.details.parts) ? event.details.parts.length : 0;
          this.grid.applied(`Split ${plural(event.face_count)} into ${made} new faceset${made === 1 ? "" : "s"}. Ctrl+Z undoes.`);
        }, "Could not split."),
      "btn btn-small btn-primary",
    );
    this.panel("split", "Split…", "The largest part stays; every other part becomes a new faceset.", [
      h("label", { class: "toolbar-group" }, "By", by),
      thresholdLabel,
      preview,
      apply,
      parts,
    ]);
  }

  private showParts(host: HTMLElement, parts: SplitPart[]): void {
    host.dataset.parts = String(parts.length);
    if (parts.length < 2) {
      host.replaceChildren(h("p", { class: "muted" }, "Nothing to split: all faces are one part."));
      return;
    }
    host.replaceChildren(
      ...parts.map((part, index) =>
        h(
          "div",
          { class: "split-part", "data-count": part.count },
          h(
            "div",
            { class: "split-part-head" },
            h("strong", {}, part.label),
            h("span", { class: "muted" }, ` ${plural(part.count)} · ${index === 0 ? "stays here" : "new faceset"}`),
          ),
          h(
            "div",
            { class: "split-samples" },
            ...part.samples.map((sample) => h("img", { src: sample.thumb_url, alt: `face ${sample.id}`, width: 48, height: 48, loading: "lazy" })),
          ),
        ),
      ),
    );
  }

  /** Keep one person: opened from the face panel with the face that was clicked. */
  private keepPanel(): void {
    const identity = h("input", { type: "checkbox", id: "keep-identity", checked: true });
    const result = h("span", { class: "curation-result", id: "keep-result", role: "status", "aria-live": "polite" });
    const preview = this.button("keep-preview", "Preview", () =>
      void this.run(async () => {
        if (this.keepFace === null) return;
        const answer = await this.api.keepPersonPreview(this.keepFace, identity.checked);
        this.grid.select(answer.face_ids);
        result.dataset.count = String(answer.count);
        setText(
          result,
          `Keeps ${plural(answer.kept_count)} in ${answer.track_count} track${answer.track_count === 1 ? "" : "s"}; ` +
            (answer.count ? `${plural(answer.count)} of other people would be removed (selected).` : "nothing to remove."),
        );
      }, "Could not preview."),
    );
    const apply = this.button(
      "keep-apply",
      "Keep this person",
      () =>
        void this.run(async () => {
          if (this.keepFace === null) return;
          const event = await this.api.keepPerson(this.keepFace, identity.checked);
          setText(result, "");
          this.grid.applied(`Removed ${plural(event.face_count)} of other people. Ctrl+Z undoes.`);
        }, "Could not apply."),
      "btn btn-small btn-danger",
    );
    this.panel("keep", "Keep one person…", "The clicked face's whole track stays; other people are soft-deleted.", [
      this.keepWho,
      h("label", { class: "check" }, identity, "also this person's other tracks"),
      preview,
      apply,
      result,
    ]);
  }

  /** Open the keep panel for a face and preview straight away. */
  keepPerson(faceId: number): void {
    this.keepFace = faceId;
    setText(this.keepWho, `Person of face #${faceId}`);
    this.open("keep");
    document.getElementById("keep-preview")?.click();
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

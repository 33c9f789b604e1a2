// Region layer: a box over the video picture. Shows the regions of the marks at the
// current frame and lets the reviewer drag a new box. Coordinates are fractions of
// the picture (0..1), so they do not depend on the player's size or letterboxing.
import { h } from "../shared/dom";
import type { Mark, Region } from "../api/review";

const MIN_SIZE = 0.01; // a drag smaller than 1% of the picture is a click, not a box

export interface RegionLayerOptions {
  video: HTMLVideoElement;
  enabled: boolean;
  /** Called with the new box when a drag ends. */
  onDraw(region: Region): void;
  onSelect(markId: number): void;
  colorOf(kind: string): string;
  labelOf(kind: string): string;
}

export class RegionLayer {
  readonly el: HTMLDivElement;
  private draft: HTMLDivElement | null = null;

  constructor(private readonly options: RegionLayerOptions) {
    this.el = h("div", { class: "region-layer", "data-testid": "region-layer" });
    if (options.enabled) {
      this.el.classList.add("can-draw");
      this.el.title = "Drag to mark a region on this frame";
      this.el.addEventListener("pointerdown", (event) => this.start(event));
    }
    options.video.addEventListener("loadedmetadata", () => this.fit());
    new ResizeObserver(() => this.fit()).observe(options.video);
  }

  /** Places the layer over the picture itself (the video element letterboxes it). */
  fit(): void {
    const video = this.options.video;
    const box = video.getBoundingClientRect();
    const parent = this.el.parentElement?.getBoundingClientRect();
    if (!parent || !video.videoWidth || !video.videoHeight) return;
    const scale = Math.min(box.width / video.videoWidth, box.height / video.videoHeight);
    const w = video.videoWidth * scale;
    const hgt = video.videoHeight * scale;
    Object.assign(this.el.style, {
      left: `${box.left - parent.left + (box.width - w) / 2}px`,
      top: `${box.top - parent.top + (box.height - hgt) / 2}px`,
      width: `${w}px`,
      height: `${hgt}px`,
    });
  }

  /** Shows the regions of `marks` (those on screen now); `selected` is drawn bold. */
  show(marks: readonly Mark[], selected: number | null): void {
    const boxes = marks
      .filter((m) => m.region)
      .map((m) => {
        const [x0, y0, x1, y1] = m.region as Region;
        const box = h(
          "div",
          {
            class: `region-box${m.id === selected ? " selected" : ""}`,
            "data-mark-id": m.id,
            title: `${this.options.labelOf(m.kind)} (frames ${m.start_frame}–${m.end_frame})`,
          },
          h("span", { class: "region-label" }, this.options.labelOf(m.kind)),
        );
        Object.assign(box.style, {
          left: `${x0 * 100}%`,
          top: `${y0 * 100}%`,
          width: `${(x1 - x0) * 100}%`,
          height: `${(y1 - y0) * 100}%`,
          borderColor: this.options.colorOf(m.kind),
        });
        box.addEventListener("pointerdown", (event) => {
          event.stopPropagation();
          this.options.onSelect(m.id);
        });
        return box;
      });
    this.el.replaceChildren(...boxes, ...(this.draft ? [this.draft] : []));
  }

  private start(event: PointerEvent): void {
    if (event.button !== 0) return;
    event.preventDefault();
    const rect = this.el.getBoundingClientRect();
    const at = (e: PointerEvent): [number, number] => [
      Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width)),
      Math.min(1, Math.max(0, (e.clientY - rect.top) / rect.height)),
    ];
    const [sx, sy] = at(event);
    const draft = h("div", { class: "region-box drafting" });
    this.draft = draft;
    this.el.append(draft);
    let region: Region = [sx, sy, sx, sy];
    const move = (e: PointerEvent): void => {
      const [x, y] = at(e);
      region = [Math.min(sx, x), Math.min(sy, y), Math.max(sx, x), Math.max(sy, y)];
      Object.assign(draft.style, {
        left: `${region[0] * 100}%`,
        top: `${region[1] * 100}%`,
        width: `${(region[2] - region[0]) * 100}%`,
        height: `${(region[3] - region[1]) * 100}%`,
      });
    };
    const end = (): void => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", end);
      draft.remove();
      this.draft = null;
      if (region[2] - region[0] >= MIN_SIZE && region[3] - region[1] >= MIN_SIZE) {
        this.options.onDraw(region.map((v) => Math.round(v * 10000) / 10000) as Region);
      }
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", end);
  }
}

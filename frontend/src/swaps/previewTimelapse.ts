// Training previews of a swap model: the selected preview grid large, a range
// slider over every saved preview (the timelapse of training) and Play, which
// steps through them. New previews are followed while the slider is at the end.
import type { SwapPreview } from "../api/swaps";
import { h, setAttr, setText } from "../shared/dom";

const STEP_MS = 650;

export class PreviewTimelapse {
  private previews: SwapPreview[] = [];
  private index = -1;
  private followLatest = true;
  private playing = false;
  private timer: number | undefined;
  private readonly image: HTMLImageElement;
  private readonly frame: HTMLDivElement;
  private readonly empty: HTMLDivElement;
  private readonly slider: HTMLInputElement;
  private readonly play: HTMLButtonElement;
  private readonly caption: HTMLSpanElement;
  private readonly count: HTMLSpanElement;
  private readonly controls: HTMLDivElement;
  private readonly open: HTMLAnchorElement;
  private readonly loaded = new Map<string, Promise<void>>();

  constructor(root: HTMLElement) {
    this.image = h("img", { class: "preview-image", id: "preview-image", alt: "Training preview grid" });
    this.open = h("a", { class: "preview-open", target: "_blank", rel: "noopener", title: "Open full size" }, this.image);
    this.frame = h("div", { class: "preview-frame" }, this.open);
    this.empty = h(
      "div",
      { class: "empty preview-empty" },
      "No previews yet. While training, the model saves a preview grid (faces of A and B, their reconstructions and the swaps) every few hundred iterations.",
    );
    this.slider = h("input", { type: "range", min: 0, max: 0, step: 1, value: 0, id: "preview-slider", class: "preview-slider", "aria-label": "Preview by iteration" });
    this.play = h("button", { type: "button", class: "btn btn-small", id: "preview-play", "aria-pressed": "false" }, "▶ Play");
    this.caption = h("span", { class: "preview-caption", id: "preview-caption", "aria-live": "polite" });
    this.count = h("span", { class: "muted preview-count" });
    this.controls = h("div", { class: "preview-controls" }, this.play, this.slider, h("div", { class: "preview-labels" }, this.caption, this.count));
    root.replaceChildren(this.empty, this.frame, this.controls);
    this.frame.hidden = true;
    this.controls.hidden = true;

    this.slider.addEventListener("input", () => {
      this.stop();
      this.show(Number(this.slider.value));
    });
    this.play.addEventListener("click", () => (this.playing ? this.stop() : this.start()));
  }

  /** New list from the model; keeps the position unless it was following the latest. */
  update(previews: readonly SwapPreview[]): void {
    const sorted = [...previews].sort((a, b) => a.iteration - b.iteration);
    const same = sorted.length === this.previews.length && sorted.every((p, i) => p.url === this.previews[i]?.url);
    if (same) return;
    const current = this.previews[this.index]?.iteration;
    this.previews = sorted;
    const has = sorted.length > 0;
    this.empty.hidden = has;
    this.frame.hidden = !has;
    this.controls.hidden = !has;
    if (!has) return;
    this.slider.max = String(sorted.length - 1);
    this.slider.disabled = sorted.length < 2;
    this.play.disabled = sorted.length < 2;
    let target = sorted.length - 1;
    if (!this.followLatest && current !== undefined) {
      const kept = sorted.findIndex((p) => p.iteration === current);
      if (kept >= 0) target = kept;
    }
    this.show(target, true);
  }

  private show(index: number, force = false): void {
    const preview = this.previews[index];
    if (!preview) return;
    if (index === this.index && !force) return;
    this.index = index;
    this.followLatest = index === this.previews.length - 1;
    if (this.slider.value !== String(index)) this.slider.value = String(index);
    setAttr(this.image, "src", preview.url);
    setAttr(this.open, "href", preview.url);
    this.image.alt = `Training preview at iteration ${preview.iteration.toLocaleString()}`;
    this.frame.dataset.iteration = String(preview.iteration);
    setText(this.caption, `Iteration ${preview.iteration.toLocaleString()}${this.followLatest ? " · latest" : ""}`);
    setText(this.count, `${index + 1} of ${this.previews.length}`);
    setAttr(this.slider, "aria-valuetext", `iteration ${preview.iteration}`);
  }

  private load(url: string): Promise<void> {
    let promise = this.loaded.get(url);
    if (!promise) {
      const img = new Image();
      img.src = url;
      promise = img.decode().catch(() => undefined);
      this.loaded.set(url, promise);
    }
    return promise;
  }

  private start(): void {
    if (this.previews.length < 2) return;
    this.playing = true;
    this.play.textContent = "❚❚ Pause";
    this.play.setAttribute("aria-pressed", "true");
    // From the start when at the end, so Play always shows the whole run.
    if (this.index >= this.previews.length - 1) this.show(0);
    void Promise.all(this.previews.slice(this.index, this.index + 4).map((p) => this.load(p.url)));
    this.tick();
  }

  private tick(): void {
    this.timer = window.setTimeout(() => {
      if (!this.playing) return;
      const next = this.index + 1;
      const preview = this.previews[next];
      if (!preview) {
        this.stop();
        return;
      }
      // Wait for the image (and the one after) so the timelapse does not flicker.
      const ahead = this.previews[next + 1];
      if (ahead) void this.load(ahead.url);
      void this.load(preview.url).then(() => {
        if (!this.playing) return;
        this.show(next);
        if (next >= this.previews.length - 1) this.stop();
        else this.tick();
      });
    }, STEP_MS);
  }

  stop(): void {
    window.clearTimeout(this.timer);
    if (!this.playing) return;
    this.playing = false;
    this.play.textContent = "▶ Play";
    this.play.setAttribute("aria-pressed", "false");
  }
}

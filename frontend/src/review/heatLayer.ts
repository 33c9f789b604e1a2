// Heat layer: the detector's manipulation map over the video picture, for the
// current frame (the nearest analysed frame with a map, within a sixth of a second).
// A canvas placed over the picture itself (the video element letterboxes it), under
// the region boxes and never catching the pointer, so drawing regions still works.
import type { FaceMap } from "../api/detection";
import { DEFAULT_CROP_MARGIN, drawFaceMaps, nearestMap } from "./heatMap";

export interface HeatLayerOptions {
  video: HTMLVideoElement;
  /** Analysed frame (as a string) -> its faces' maps. */
  maps: Record<string, FaceMap[]>;
  cropMargin: number | null | undefined;
  /** The source video's size: the maps' boxes are in its pixels. */
  sourceWidth: number;
  sourceHeight: number;
  /** Frames away from an analysed frame its map is still shown. */
  reach: number;
}

export class HeatLayer {
  readonly el: HTMLCanvasElement;
  visible = false;
  /** The analysed frame drawn now, or null. */
  shownFrame: number | null = null;
  private frame = 0;

  constructor(private readonly options: HeatLayerOptions) {
    this.el = document.createElement("canvas");
    this.el.className = "heat-layer";
    this.el.dataset.testid = "heat-layer";
    this.el.setAttribute("aria-hidden", "true");
    this.el.hidden = true;
    options.video.addEventListener("loadedmetadata", () => this.draw());
    new ResizeObserver(() => this.draw()).observe(options.video);
  }

  get hasMaps(): boolean {
    return Object.keys(this.options.maps).length > 0;
  }

  setVisible(on: boolean): void {
    this.visible = on && this.hasMaps;
    this.el.hidden = !this.visible;
    this.draw();
  }

  show(frame: number): void {
    this.frame = frame;
    if (this.visible) this.draw();
  }

  /** The map frame for `frame`, whether or not the layer is visible. */
  mapFor(frame: number): { frame: number; faces: FaceMap[] } | null {
    return nearestMap(this.options.maps, frame, this.options.reach);
  }

  private draw(): void {
    const video = this.options.video;
    const parent = this.el.parentElement?.getBoundingClientRect();
    const box = video.getBoundingClientRect();
    if (!parent || !box.width || !box.height) return;
    const aspectW = video.videoWidth || this.options.sourceWidth;
    const aspectH = video.videoHeight || this.options.sourceHeight;
    if (!aspectW || !aspectH) return;
    const scale = Math.min(box.width / aspectW, box.height / aspectH);
    const w = aspectW * scale;
    const hgt = aspectH * scale;
    Object.assign(this.el.style, {
      left: `${box.left - parent.left + (box.width - w) / 2}px`,
      top: `${box.top - parent.top + (box.height - hgt) / 2}px`,
      width: `${w}px`,
      height: `${hgt}px`,
    });
    const ratio = window.devicePixelRatio || 1;
    const pw = Math.max(1, Math.round(w * ratio));
    const ph = Math.max(1, Math.round(hgt * ratio));
    if (this.el.width !== pw || this.el.height !== ph) {
      this.el.width = pw;
      this.el.height = ph;
    }
    const ctx = this.el.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, pw, ph);
    this.shownFrame = null;
    if (!this.visible) {
      this.el.dataset.frame = "";
      return;
    }
    const hit = this.mapFor(this.frame);
    this.el.dataset.frame = hit ? String(hit.frame) : "";
    if (!hit) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    // Boxes are in the source video's pixels; the playback copy may be smaller.
    const sw = this.options.sourceWidth || aspectW;
    const sh = this.options.sourceHeight || aspectH;
    drawFaceMaps(ctx, hit.faces, this.options.cropMargin ?? DEFAULT_CROP_MARGIN, { left: 0, top: 0, scaleX: w / sw, scaleY: hgt / sh }, { outline: true });
    this.shownFrame = hit.frame;
  }
}

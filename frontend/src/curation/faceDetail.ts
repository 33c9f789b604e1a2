// Face detail panel: the aligned crop with its mask overlaid, every metric,
// and the source frame with the box and the 68 landmarks drawn on a canvas.
import { ApiError } from "../api/client";
import type { FaceDetail, FacesetApi } from "../api/facesets";
import { h, setText } from "../shared/dom";
import { formatTimecode } from "../shared/format";

/** Index ranges of the 68-point (iBUG 300-W) landmark groups; `closed` joins the last point to the first. */
const LANDMARK_GROUPS: readonly { from: number; to: number; closed: boolean; color: string }[] = [
  { from: 0, to: 16, closed: false, color: "#facc15" }, // jaw
  { from: 17, to: 21, closed: false, color: "#fb923c" }, // right brow
  { from: 22, to: 26, closed: false, color: "#fb923c" }, // left brow
  { from: 27, to: 30, closed: false, color: "#38bdf8" }, // nose bridge
  { from: 31, to: 35, closed: false, color: "#38bdf8" }, // nostrils
  { from: 36, to: 41, closed: true, color: "#4ade80" }, // right eye
  { from: 42, to: 47, closed: true, color: "#4ade80" }, // left eye
  { from: 48, to: 59, closed: true, color: "#f472b6" }, // outer lip
  { from: 60, to: 67, closed: true, color: "#f472b6" }, // inner lip
];
const CROP_PX = 200;
const FRAME_PX = 300;

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.decoding = "async";
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`Could not load ${url}`));
    img.src = url;
  });
}

/** The mask's white area as a translucent tint, same size as the crop canvas. */
async function tintedMask(url: string, size: number): Promise<HTMLCanvasElement> {
  const mask = await loadImage(url);
  const canvas = h("canvas", { width: size, height: size });
  const ctx = canvas.getContext("2d")!;
  ctx.drawImage(mask, 0, 0, size, size);
  const pixels = ctx.getImageData(0, 0, size, size);
  const data = pixels.data;
  for (let i = 0; i < data.length; i += 4) {
    const coverage = data[i] ?? 0; // grey mask: red channel = value
    data[i] = 236;
    data[i + 1] = 72;
    data[i + 2] = 153;
    data[i + 3] = Math.round(coverage * 0.35);
  }
  ctx.putImageData(pixels, 0, 0);
  return canvas;
}

export class FaceDetailPanel {
  private readonly body: HTMLDivElement;
  private current: FaceDetail | null = null;
  private request: AbortController | null = null;
  private mask = "components";
  private wholeFrame = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly api: FacesetApi,
    private readonly mediaUrl: (mediaId: number) => string,
    /** Curators only: keep this face's person and drop the others. */
    private readonly keepPerson?: (faceId: number) => void,
  ) {
    this.body = h("div", { class: "face-detail-body" });
    root.replaceChildren(
      h("div", { class: "face-detail-head" }, h("h2", {}, "Face"), this.closeButton()),
      this.body,
    );
    this.showEmpty();
  }

  get faceId(): number | null {
    return this.current?.id ?? null;
  }

  private closeButton(): HTMLButtonElement {
    const button = h("button", { type: "button", class: "btn btn-small", "aria-label": "Close the face panel" }, "Close");
    button.addEventListener("click", () => this.showEmpty());
    return button;
  }

  showEmpty(): void {
    this.request?.abort();
    this.current = null;
    this.root.dataset.faceId = "";
    this.body.replaceChildren(
      h("p", { class: "empty" }, "Double-click a face, or select one and press Enter, to see its crop, mask, landmarks and metrics."),
    );
  }

  async show(id: number): Promise<void> {
    this.request?.abort();
    const controller = new AbortController();
    this.request = controller;
    this.body.setAttribute("aria-busy", "true");
    try {
      const face = await this.api.face(id, controller.signal);
      if (controller.signal.aborted) return;
      this.current = face;
      this.root.dataset.faceId = String(face.id);
      this.render(face);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") return;
      this.body.replaceChildren(
        h("div", { class: "message error" }, err instanceof ApiError ? err.describe() : "Could not load the face."),
      );
    } finally {
      this.body.setAttribute("aria-busy", "false");
    }
  }

  private render(face: FaceDetail): void {
    const cropCanvas = h("canvas", { width: CROP_PX, height: CROP_PX, class: "face-crop-canvas" });
    const overlay = h("canvas", { width: CROP_PX, height: CROP_PX, class: "face-mask-canvas" });
    const maskNames = Object.keys(face.mask_urls);
    if (!maskNames.includes(this.mask)) this.mask = maskNames[0] ?? "none";
    const maskPicker = h(
      "div",
      { class: "segmented", role: "radiogroup", "aria-label": "Mask overlay" },
      ...["none", ...maskNames].map((name) => {
        const input = h("input", { type: "radio", name: "face-mask", value: name, checked: name === this.mask });
        input.addEventListener("change", () => {
          this.mask = name;
          void this.drawMask(face, overlay);
        });
        return h("label", {}, input, name);
      }),
    );
    void loadImage(face.crop_url).then(
      (img) => cropCanvas.getContext("2d")!.drawImage(img, 0, 0, CROP_PX, CROP_PX),
      () => undefined,
    );
    void this.drawMask(face, overlay);

    const frameCanvas = h("canvas", { width: FRAME_PX, height: FRAME_PX, class: "face-frame-canvas" });
    const wholeToggle = h("input", { type: "checkbox", checked: this.wholeFrame });
    wholeToggle.addEventListener("change", () => {
      this.wholeFrame = wholeToggle.checked;
      void this.drawFrame(face, frameCanvas);
    });
    void this.drawFrame(face, frameCanvas);

    const where = face.media
      ? h(
          "a",
          { href: `${this.mediaUrl(face.media)}#frame=${face.frame_index}`, class: "face-media-link" },
          `${face.media_name ?? `media ${face.media}`} · frame ${face.frame_index} (${formatTimecode(face.pts_seconds)})`,
        )
      : h("span", { class: "muted" }, "source media removed");

    const metric = (label: string, value: string): HTMLElement[] => [h("dt", {}, label), h("dd", {}, value)];
    const box = face.box.map((v) => Math.round(v)).join(", ");
    this.body.replaceChildren(
      h("div", { class: "face-crop-wrap" }, cropCanvas, overlay),
      maskPicker,
      h("p", { class: "face-where" }, where),
      ...this.keepButton(face),
      h(
        "dl",
        { class: "meta-list face-metrics" },
        ...metric("Face id", String(face.id)),
        ...metric("Blur (sharpness)", face.blur.toFixed(1)),
        ...metric("Face size", `${face.face_size.toFixed(0)} px`),
        ...metric("Yaw / pitch / roll", `${face.yaw.toFixed(1)}° / ${face.pitch.toFixed(1)}° / ${face.roll.toFixed(1)}°`),
        ...metric("Brightness", face.brightness.toFixed(1)),
        ...metric("Hue", face.hue.toFixed(1)),
        ...metric("Confidence", face.confidence.toFixed(3)),
        ...metric("Track", face.track_id >= 0 ? `#${face.track_id} (face ${face.face_index} in frame)` : "—"),
        ...metric("Box", `${box}`),
        ...metric("Embedder", face.embedder),
        ...(face.deleted_at ? metric("Deleted", new Date(face.deleted_at).toLocaleString()) : []),
      ),
      h("div", { class: "face-frame-head" }, h("h3", {}, "Source frame"), h("label", { class: "check" }, wholeToggle, "whole frame")),
      frameCanvas,
    );
  }

  private keepButton(face: FaceDetail): HTMLElement[] {
    const keep = this.keepPerson;
    if (!keep || face.deleted_at) return [];
    const button = h(
      "button",
      { type: "button", class: "btn btn-small", id: "keep-person", title: "Keep this face's whole track (and the same person elsewhere); soft-delete other people" },
      "Keep only this person…",
    );
    button.addEventListener("click", () => keep(face.id));
    return [button];
  }

  private async drawMask(face: FaceDetail, overlay: HTMLCanvasElement): Promise<void> {
    const ctx = overlay.getContext("2d")!;
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    const url = face.mask_urls[this.mask];
    if (!url) return;
    try {
      const tint = await tintedMask(url, CROP_PX);
      if (this.current?.id !== face.id) return;
      ctx.clearRect(0, 0, overlay.width, overlay.height);
      ctx.drawImage(tint, 0, 0);
    } catch {
      // No mask image: the crop alone is still useful.
    }
  }

  private async drawFrame(face: FaceDetail, canvas: HTMLCanvasElement): Promise<void> {
    const ctx = canvas.getContext("2d")!;
    if (!face.frame_url) {
      canvas.hidden = true;
      return;
    }
    let img: HTMLImageElement;
    try {
      img = await loadImage(face.frame_url);
    } catch {
      canvas.replaceWith(h("p", { class: "muted" }, "The source frame could not be decoded."));
      return;
    }
    const [x0, y0, x1, y1] = face.box;
    // Zoomed: the box with generous context, clamped to the frame; else the whole frame.
    let sx = 0;
    let sy = 0;
    let sw = img.naturalWidth;
    let sh = img.naturalHeight;
    if (!this.wholeFrame) {
      const side = Math.min(Math.max(x1 - x0, y1 - y0) * 2.2, Math.max(sw, sh));
      sx = Math.min(Math.max(0, (x0 + x1) / 2 - side / 2), Math.max(0, sw - side));
      sy = Math.min(Math.max(0, (y0 + y1) / 2 - side / 2), Math.max(0, sh - side));
      sw = Math.min(side, sw);
      sh = Math.min(side, sh);
    }
    const scale = FRAME_PX / Math.max(sw, sh);
    canvas.width = Math.round(sw * scale);
    canvas.height = Math.round(sh * scale);
    ctx.drawImage(img, sx, sy, sw, sh, 0, 0, canvas.width, canvas.height);
    const px = (x: number): number => (x - sx) * scale;
    const py = (y: number): number => (y - sy) * scale;
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#22d3ee";
    ctx.strokeRect(px(x0), py(y0), (x1 - x0) * scale, (y1 - y0) * scale);
    const points = face.landmarks68;
    ctx.lineWidth = 1.25;
    for (const group of LANDMARK_GROUPS) {
      ctx.strokeStyle = group.color;
      ctx.fillStyle = group.color;
      ctx.beginPath();
      for (let i = group.from; i <= group.to; i += 1) {
        const point = points[i];
        if (!point) continue;
        if (i === group.from) ctx.moveTo(px(point[0]), py(point[1]));
        else ctx.lineTo(px(point[0]), py(point[1]));
      }
      if (group.closed) ctx.closePath();
      ctx.stroke();
      for (let i = group.from; i <= group.to; i += 1) {
        const point = points[i];
        if (!point) continue;
        ctx.beginPath();
        ctx.arc(px(point[0]), py(point[1]), 1.8, 0, Math.PI * 2);
        ctx.fill();
      }
    }
    setText(canvas, `Source frame ${face.frame_index} with the face box and 68 landmarks`);
  }
}

// Ground truth of a fake made here: which model made it, from which video, and
// which frames changed; "Overlay mask" tints the current frame's mask over the
// video (a canvas laid exactly over the picture, redrawn as the frame changes).
import { ApiError, apiGet, withParams } from "../api/client";
import { type Conversion, directionLabel, listResults, type SwapModel } from "../api/swaps";
import type { Media, Paginated } from "../api/types";
import { formatRanges } from "./conversionList";
import { h, setText } from "../shared/dom";
import { FRAME_EVENT, type FrameClock, type FrameDetail } from "../review/frameClock";

/** Tint of the mask: weight 255 draws at this opacity. */
const TINT: [number, number, number] = [255, 40, 120];
const MAX_ALPHA = 0.45;
const CACHE_SIZE = 12;

export function isManipulated(ranges: readonly (readonly [number, number])[], frame: number): boolean {
  return ranges.some(([first, last]) => frame >= first && frame <= last);
}

/** A grey mask PNG turned into a tinted, alpha-weighted layer (at the mask's size). */
async function tintedLayer(url: string, signal: AbortSignal): Promise<HTMLCanvasElement | null> {
  const response = await fetch(url, { credentials: "same-origin", signal });
  if (response.status === 404) return null; // not manipulated after all
  if (!response.ok) throw new Error(`mask answered ${response.status}`);
  const bitmap = await createImageBitmap(await response.blob());
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (!ctx) return null;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const px = image.data;
  const [r, g, b] = TINT;
  for (let i = 0; i < px.length; i += 4) {
    const weight = px[i] ?? 0; // grey: the red channel is the weight
    px[i] = r;
    px[i + 1] = g;
    px[i + 2] = b;
    px[i + 3] = Math.round(weight * MAX_ALPHA);
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** The canvas over the video: follows the picture's box (letterboxing included). */
class MaskOverlay {
  readonly canvas: HTMLCanvasElement;
  private readonly cache = new Map<number, HTMLCanvasElement | null>();
  private wanted: number | null = null;
  private loading: number | null = null;
  private controller: AbortController | null = null;
  private enabled = false;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly conversion: Conversion,
    private readonly onState: (text: string, error?: boolean) => void,
  ) {
    this.canvas = h("canvas", { class: "mask-overlay", id: "mask-overlay", "aria-hidden": "true" });
    this.canvas.hidden = true;
    const wrap = video.parentElement;
    wrap?.appendChild(this.canvas);
    const place = (): void => this.place();
    video.addEventListener("loadedmetadata", place);
    window.addEventListener("resize", place);
    if (typeof ResizeObserver === "function") new ResizeObserver(place).observe(video);
  }

  setEnabled(enabled: boolean, frame: number): void {
    this.enabled = enabled;
    this.canvas.hidden = !enabled;
    if (enabled) {
      this.place();
      this.show(frame);
    } else {
      this.controller?.abort();
      this.loading = null;
      this.onState("");
    }
  }

  /** Where the picture is drawn inside the <video> box (object-fit: contain). */
  private place(): void {
    const video = this.video;
    const box = { left: video.offsetLeft, top: video.offsetTop, width: video.clientWidth, height: video.clientHeight };
    const vw = video.videoWidth || Number(video.dataset.width) || box.width;
    const vh = video.videoHeight || Number(video.dataset.height) || box.height;
    if (!box.width || !box.height || !vw || !vh) return;
    const scale = Math.min(box.width / vw, box.height / vh);
    const width = vw * scale;
    const height = vh * scale;
    const style = this.canvas.style;
    style.left = `${box.left + (box.width - width) / 2}px`;
    style.top = `${box.top + (box.height - height) / 2}px`;
    style.width = `${width}px`;
    style.height = `${height}px`;
  }

  show(frame: number): void {
    if (!this.enabled) return;
    this.wanted = frame;
    if (!isManipulated(this.conversion.manipulated_ranges, frame)) {
      this.draw(null);
      this.onState(`frame ${frame}: not manipulated`);
      return;
    }
    if (this.cache.has(frame)) {
      const layer = this.cache.get(frame) ?? null;
      // Refresh its place in the LRU order.
      this.cache.delete(frame);
      this.cache.set(frame, layer);
      this.draw(layer);
      this.onState(`frame ${frame}: manipulated`);
      return;
    }
    // One fetch at a time; while playing, only the latest wanted frame is fetched next.
    if (this.loading === null) void this.fetch(frame);
  }

  private async fetch(frame: number): Promise<void> {
    this.loading = frame;
    const controller = new AbortController();
    this.controller = controller;
    const url = `${this.conversion.masks_url.replace(/\/?$/, "/")}${frame}`;
    try {
      const layer = await tintedLayer(url, controller.signal);
      this.cache.set(frame, layer);
      while (this.cache.size > CACHE_SIZE) {
        const oldest = this.cache.keys().next().value;
        if (oldest === undefined) break;
        this.cache.delete(oldest);
      }
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") return;
      this.onState(`Could not load the mask of frame ${frame}.`, true);
    } finally {
      if (this.controller === controller) {
        this.loading = null;
        this.controller = null;
      }
    }
    if (this.wanted !== null && this.enabled) this.show(this.wanted);
  }

  private draw(layer: HTMLCanvasElement | null): void {
    const canvas = this.canvas;
    if (!layer) {
      canvas.getContext("2d")?.clearRect(0, 0, canvas.width, canvas.height);
      canvas.dataset.drawn = "false";
      return;
    }
    if (canvas.width !== layer.width || canvas.height !== layer.height) {
      canvas.width = layer.width;
      canvas.height = layer.height;
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(layer, 0, 0);
    canvas.dataset.drawn = "true";
    this.place();
  }
}

export interface GroundTruthOptions {
  root: HTMLElement;
  video: HTMLVideoElement | null;
  clock: FrameClock | null;
}

/** Looks up the conversion that made this media; shows the card only when there is one. */
export async function mountGroundTruth({ root, video, clock }: GroundTruthOptions): Promise<void> {
  const api = root.dataset.api ?? "";
  const mediaId = root.dataset.mediaId ?? "";
  const mediaTemplate = root.dataset.mediaPageUrl ?? "";
  const modelTemplate = root.dataset.modelPageUrl ?? "";
  const body = root.querySelector<HTMLElement>(".ground-truth-body") ?? root;
  let conversion: Conversion | undefined;
  try {
    const answer = await apiGet<Paginated<Conversion> | Conversion[]>(withParams(api, { output_media: mediaId }));
    conversion = listResults(answer).find((c) => String(c.output_media) === mediaId);
  } catch (err) {
    // A real video has no conversion; only an error worth saying shows the card.
    if (err instanceof ApiError && err.status !== 404) {
      root.hidden = false;
      body.replaceChildren(h("p", { class: "error-text" }, `Could not load the ground truth: ${err.describe()}`));
    }
    return;
  }
  if (!conversion) return;

  const provenance = conversion.provenance as Record<string, unknown>;
  const names = new Map<string, string>();
  const nameOf = (key: string): string | null => {
    const known = names.get(key);
    if (known) return known;
    const value = provenance[key];
    if (typeof value === "string") return value;
    if (value && typeof value === "object" && "name" in value && typeof (value as { name: unknown }).name === "string") {
      return (value as { name: string }).name;
    }
    return null;
  };
  // Names of the facesets and the source video, when they still exist.
  const base = (url: string): string => (url.split("?")[0] ?? "").replace(/\/?$/, "/");
  const [swapModel, sourceMedia] = await Promise.all([
    conversion.swap_model !== null && root.dataset.swapModelsApi
      ? apiGet<SwapModel>(`${base(root.dataset.swapModelsApi)}${conversion.swap_model}/`).catch(() => null)
      : Promise.resolve(null),
    conversion.source_media !== null && root.dataset.mediaApi
      ? apiGet<Media>(`${base(root.dataset.mediaApi)}${conversion.source_media}/`).catch(() => null)
      : Promise.resolve(null),
  ]);
  // The provenance snapshot names what made the fake even after rows are deleted.
  const snapshot = (key: string): string | null => {
    const value = provenance[key];
    return value && typeof value === "object" && typeof (value as { name?: unknown }).name === "string"
      ? (value as { name: string }).name
      : null;
  };
  const [replaced, shown] = [snapshot("identity_replaced"), snapshot("identity_shown")];
  const aToB = conversion.direction === "a-to-b";
  for (const [key, value] of [
    ["faceset_a", aToB ? replaced : shown],
    ["faceset_b", aToB ? shown : replaced],
    ["source_media", snapshot("source")],
  ] as const) {
    if (value) names.set(key, value);
  }
  if (swapModel?.faceset_a_name) names.set("faceset_a", swapModel.faceset_a_name);
  if (swapModel?.faceset_b_name) names.set("faceset_b", swapModel.faceset_b_name);
  if (sourceMedia) names.set("source_media", sourceMedia.name);
  const model =
    conversion.swap_model !== null
      ? h("a", { href: modelTemplate.replace("{id}", String(conversion.swap_model)), id: "ground-truth-model" }, conversion.swap_model_name ?? `model #${conversion.swap_model}`)
      : h("span", { class: "muted", title: "The model was deleted; the provenance below keeps what it was" }, nameOf("model") ?? "a deleted model");
  const source =
    conversion.source_media !== null
      ? h("a", { href: mediaTemplate.replace("{id}", String(conversion.source_media)), id: "ground-truth-source" }, nameOf("source_media") ?? `video #${conversion.source_media}`)
      : h("span", { class: "muted" }, "deleted");
  const share = conversion.frame_count ? Math.round((100 * conversion.manipulated_count) / conversion.frame_count) : 0;
  const modelSnapshot = provenance.model as { iteration?: unknown } | undefined;
  const iteration = modelSnapshot?.iteration ?? provenance.iteration;

  const state = h("span", { class: "muted overlay-state", id: "overlay-state", "aria-live": "polite" });
  const toggle = h("input", { type: "checkbox", id: "overlay-toggle", disabled: video === null });
  const legend = h("span", { class: "overlay-swatch", "aria-hidden": "true" });
  const downloadAll = h("a", { href: conversion.masks_url, class: "btn btn-small", download: true }, "Download masks (zip)");

  body.replaceChildren(
    h(
      "dl",
      { class: "meta-list ground-truth-facts" },
      h("dt", {}, "Made by"),
      h("dd", {}, model, typeof iteration === "number" ? h("span", { class: "muted" }, ` at iteration ${iteration.toLocaleString()}`) : null),
      h("dt", {}, "Direction"),
      h("dd", {}, directionLabel(conversion.direction, nameOf("faceset_a"), nameOf("faceset_b"))),
      h("dt", {}, "Source video"),
      h("dd", {}, source),
      h("dt", {}, "Manipulated"),
      h("dd", { id: "ground-truth-count" }, `${conversion.manipulated_count.toLocaleString()} of ${conversion.frame_count.toLocaleString()} frames (${share}%)`),
      h("dt", {}, "Frames"),
      h("dd", { class: "mono-num", title: formatRanges(conversion.manipulated_ranges, 1000) }, formatRanges(conversion.manipulated_ranges, 8) || "none"),
    ),
    h(
      "div",
      { class: "ground-truth-actions" },
      h("label", { class: "check overlay-check" }, toggle, legend, "Overlay mask"),
      state,
      h("span", { class: "convert-spacer" }),
      downloadAll,
    ),
  );
  root.hidden = false;
  root.dataset.conversionId = String(conversion.id);

  if (!video) return;
  const overlay = new MaskOverlay(video, conversion, (text, error = false) => {
    setText(state, text);
    state.classList.toggle("error-text", error);
  });
  const current = (): number => clock?.current ?? 0;
  toggle.addEventListener("change", () => overlay.setEnabled(toggle.checked, current()));
  video.addEventListener(FRAME_EVENT, (event) => overlay.show((event as CustomEvent<FrameDetail>).detail.frame));
}

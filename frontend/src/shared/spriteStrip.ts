// Sprite strip: one tile per sampled frame, cut from the sprite sheet with
// background-position; clicking a tile seeks the player to that frame.
import { dataNumber, h } from "./dom";
import { FRAME_EVENT, type FrameDetail } from "../review/frameClock";

/** Tiles are drawn at most this tall; larger sheets are scaled down. */
const MAX_TILE_HEIGHT = 72;

export interface SpriteLayout {
  url: string;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  frameIndices: number[];
}

export function readSpriteLayout(el: HTMLElement): SpriteLayout | null {
  const url = el.dataset.spriteUrl;
  const columns = dataNumber(el, "columns");
  const rows = dataNumber(el, "rows");
  const tileWidth = dataNumber(el, "tileWidth");
  const tileHeight = dataNumber(el, "tileHeight");
  if (!url || !columns || !rows || !tileWidth || !tileHeight) return null;
  let frameIndices: number[] = [];
  try {
    const parsed: unknown = JSON.parse(el.dataset.frameIndices ?? "[]");
    if (Array.isArray(parsed)) frameIndices = parsed.filter((v): v is number => typeof v === "number");
  } catch {
    return null;
  }
  return { url, columns, rows, tileWidth, tileHeight, frameIndices };
}

export function mountSpriteStrip(
  el: HTMLElement,
  video: HTMLVideoElement | null,
  seek: (frame: number) => void,
): void {
  const layout = readSpriteLayout(el);
  if (!layout) return;
  const { url, columns, rows, tileWidth, tileHeight, frameIndices } = layout;
  const scale = Math.min(1, MAX_TILE_HEIGHT / tileHeight);
  const w = Math.round(tileWidth * scale);
  const hgt = Math.round(tileHeight * scale);
  const safeUrl = url.replace(/["\\\n]/g, (c) => encodeURIComponent(c));

  const tiles = frameIndices.slice(0, columns * rows).map((frame, k) => {
    const col = k % columns;
    const row = Math.floor(k / columns);
    const tile = h(
      "button",
      { type: "button", class: "sprite-tile", "data-frame": frame, title: `Frame ${frame}`, "aria-label": `Seek to frame ${frame}` },
      h("span", { class: "sprite-frame" }, String(frame)),
    );
    Object.assign(tile.style, {
      width: `${w}px`,
      height: `${hgt}px`,
      backgroundImage: `url("${safeUrl}")`,
      backgroundSize: `${columns * tileWidth * scale}px ${rows * tileHeight * scale}px`,
      backgroundPosition: `${-col * tileWidth * scale}px ${-row * tileHeight * scale}px`,
    });
    tile.addEventListener("click", () => seek(frame));
    return tile;
  });
  el.classList.add("sprite-strip");
  el.replaceChildren(...tiles);

  // Highlight the tile at or before the frame on screen.
  let currentTile: HTMLElement | null = null;
  video?.addEventListener(FRAME_EVENT, (event) => {
    const { frame } = (event as CustomEvent<FrameDetail>).detail;
    let best: HTMLElement | null = null;
    for (let i = 0; i < frameIndices.length && i < tiles.length; i += 1) {
      if ((frameIndices[i] as number) <= frame) best = tiles[i] ?? null;
      else break;
    }
    if (best !== currentTile) {
      currentTile?.classList.remove("is-current");
      best?.classList.add("is-current");
      currentTile = best;
    }
  });
}

// The detector's manipulation map drawn over a picture of the video: each face's
// MAP_SIZE x MAP_SIZE map covers the detector's crop, the square of side
// max(w, h) * (1 + 2 * crop_margin) centred on the face box (source pixels). The map
// is upsampled smoothly and coloured red (weak) to yellow (strong), transparent
// where it shows nothing. Shared by the review workspace and the fact-check report.
import type { FaceMap } from "../api/detection";

/** The pipeline's default crop margin (deepreview_workers ... models.CROP_MARGIN). */
export const DEFAULT_CROP_MARGIN = 0.3;
/** Map values below this are background, not evidence (explain.MAP_FLOOR is 0.3). */
const FLOOR = 0.2;
const MAX_ALPHA = 0.72;

/** Colour of a map value 0..1: [r, g, b, alpha 0..255]. */
export function heatColor(value: number): [number, number, number, number] {
  const v = Math.min(1, Math.max(0, value));
  if (v <= FLOOR) return [255, 0, 0, 0];
  const t = (v - FLOOR) / (1 - FLOOR);
  // Red at the floor through orange to yellow at 1; more opaque as it grows.
  return [255, Math.round(30 + 225 * t), Math.round(40 * t * t), Math.round(255 * MAX_ALPHA * Math.pow(t, 0.7))];
}

/** The crop square in source pixels: top-left corner and side. */
export function cropSquare(box: readonly number[], margin: number): { x: number; y: number; side: number } {
  const [x0 = 0, y0 = 0, x1 = 0, y1 = 0] = box;
  const side = Math.max(x1 - x0, y1 - y0) * (1 + 2 * margin);
  return { x: (x0 + x1) / 2 - side / 2, y: (y0 + y1) / 2 - side / 2, side };
}

/** A small canvas holding the map's colours, one pixel per map cell. */
export function mapImage(map: readonly (readonly number[])[]): HTMLCanvasElement {
  const size = map.length;
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, map[0]?.length ?? size);
  canvas.height = Math.max(1, size);
  const ctx = canvas.getContext("2d");
  if (!ctx || !size) return canvas;
  const image = ctx.createImageData(canvas.width, canvas.height);
  map.forEach((row, y) => {
    row.forEach((value, x) => {
      const [r, g, b, a] = heatColor(value);
      const i = (y * canvas.width + x) * 4;
      image.data[i] = r;
      image.data[i + 1] = g;
      image.data[i + 2] = b;
      image.data[i + 3] = a;
    });
  });
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** Where the picture lies on the drawing surface: source pixel (sx, sy) is drawn at
 * (left + sx * scaleX, top + sy * scaleY). */
export interface Placement {
  left: number;
  top: number;
  scaleX: number;
  scaleY: number;
}

export interface DrawOptions {
  /** Outline the crop square and name the score and region (the workspace does). */
  outline?: boolean;
}

/** Draws each face's map over the picture; returns how many faces were drawn. */
export function drawFaceMaps(ctx: CanvasRenderingContext2D, faces: readonly FaceMap[], margin: number, at: Placement, options: DrawOptions = {}): number {
  let drawn = 0;
  for (const face of faces) {
    if (!face.map?.length || face.box?.length !== 4) continue;
    const square = cropSquare(face.box, margin);
    const x = at.left + square.x * at.scaleX;
    const y = at.top + square.y * at.scaleY;
    const w = square.side * at.scaleX;
    const hgt = square.side * at.scaleY;
    ctx.save();
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(mapImage(face.map), x, y, w, hgt);
    if (options.outline) {
      ctx.strokeStyle = "rgba(253, 224, 71, 0.85)";
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 3]);
      ctx.strokeRect(Math.round(x) + 0.5, Math.round(y) + 0.5, Math.round(w), Math.round(hgt));
      ctx.setLineDash([]);
      const label = [face.score !== null && face.score !== undefined ? face.score.toFixed(2) : null, face.region].filter(Boolean).join(" · ");
      if (label) {
        ctx.font = "600 11px system-ui, sans-serif";
        const width = ctx.measureText(label).width + 8;
        const ly = Math.max(0, y - 16);
        ctx.fillStyle = "rgba(13, 17, 23, 0.78)";
        ctx.fillRect(Math.max(0, x), ly, width, 15);
        ctx.fillStyle = "#fde047";
        ctx.fillText(label, Math.max(0, x) + 4, ly + 11);
      }
    }
    ctx.restore();
    drawn += 1;
  }
  return drawn;
}

/** The analysed frame with a map nearest `frame`, within `within` frames; null if none. */
export function nearestMap(maps: Record<string, FaceMap[]> | null | undefined, frame: number, within: number): { frame: number; faces: FaceMap[] } | null {
  if (!maps) return null;
  let best: { frame: number; faces: FaceMap[] } | null = null;
  for (const [key, faces] of Object.entries(maps)) {
    const f = Number(key);
    if (!Number.isFinite(f) || !faces?.length || Math.abs(f - frame) > within) continue;
    if (!best || Math.abs(f - frame) < Math.abs(best.frame - frame) || (Math.abs(f - frame) === Math.abs(best.frame - frame) && f < best.frame)) {
      best = { frame: f, faces };
    }
  }
  return best;
}

/** How far from an analysed frame its map still stands for the picture: a sixth of a second, at least two frames. */
export function mapReach(fps: number | null | undefined): number {
  return Math.max(2, Math.round((fps && fps > 0 ? fps : 25) / 6));
}

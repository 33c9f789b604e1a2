// Shapes and calls of the faceset API: facesets, faces in curation order,
// bulk remove/restore, history with undo, and the chart statistics.
import { apiGet, apiPost, sameOriginPath, withParams } from "./client";
import type { Job, Paginated, Schemas } from "./types";
import type { OptionValue } from "../shared/optionFields";

export type Faceset = Schemas["FacesetRead"];

export interface Face {
  id: number;
  media: number | null;
  media_name: string | null;
  frame_index: number;
  pts_seconds: number;
  face_index: number;
  track_id: number;
  /** [x0, y0, x1, y1] in source pixels. */
  box: [number, number, number, number];
  crop_size: number;
  blur: number;
  face_size: number;
  brightness: number;
  hue: number;
  yaw: number;
  pitch: number;
  roll: number;
  confidence: number;
  embedder: string;
  deleted_at: string | null;
  crop_url: string;
  thumb_url: string;
  frame_url: string | null;
  mask_urls: Record<string, string>;
}

export interface FaceDetail extends Face {
  points5: [number, number][];
  landmarks68: [number, number][];
  /** 2×3 similarity transform, source → aligned crop. */
  matrix: [number, number, number][];
  histogram: number[];
}

export type CurationAction = "extract" | "delete" | "restore" | "move" | "split" | "undo";

export interface CurationEvent {
  id: number;
  action: CurationAction;
  user: string | null;
  face_ids: number[];
  face_count: number;
  details: Record<string, unknown>;
  undone_by: number | null;
  created_at: string;
}

export interface Histogram {
  counts: number[];
  edges: number[];
}

export interface FacesetStats {
  face_count: number;
  pose: {
    yaw_edges: number[];
    pitch_edges: number[];
    /** rows: pitch bins, columns: yaw bins */
    counts: number[][];
    empty_bins: number;
  };
  blur: Histogram;
  size: Histogram;
}

export type SortKey =
  | "identity" | "blur" | "size" | "yaw" | "pitch" | "brightness" | "hue" | "hist" | "confidence"
  | "frame" | "created";

/** Sort keys in menu order, with what each puts first. */
export const SORT_OPTIONS: readonly { key: SortKey; label: string }[] = [
  { key: "identity", label: "Identity (odd ones first)" },
  { key: "blur", label: "Blur (blurriest first)" },
  { key: "size", label: "Face size (smallest first)" },
  { key: "yaw", label: "Yaw (left to right)" },
  { key: "pitch", label: "Pitch (down to up)" },
  { key: "brightness", label: "Brightness (darkest first)" },
  { key: "hue", label: "Hue" },
  { key: "hist", label: "Colour histogram (outliers first)" },
  { key: "confidence", label: "Detector confidence (lowest first)" },
  { key: "frame", label: "Frame in video" },
  { key: "created", label: "Extraction order" },
];

export type RangeKey = "blur" | "size" | "yaw" | "pitch" | "confidence";

export const RANGE_FILTERS: readonly { key: RangeKey; label: string; step: string }[] = [
  { key: "blur", label: "Blur", step: "1" },
  { key: "size", label: "Size px", step: "1" },
  { key: "yaw", label: "Yaw °", step: "1" },
  { key: "pitch", label: "Pitch °", step: "1" },
  { key: "confidence", label: "Confidence", step: "0.01" },
];

/** What the grid shows: one ordering, optional ranges, live or deleted faces. */
export interface FaceQuery {
  ordering: SortKey;
  reverse: boolean;
  /** Face id that identity ordering measures from; null: the set's centre. */
  reference: number | null;
  deleted: boolean;
  ranges: Partial<Record<RangeKey, { min: number | null; max: number | null }>>;
}

export function queryParams(query: FaceQuery): Record<string, string | number | null> {
  const params: Record<string, string | number | null> = {
    ordering: `${query.reverse ? "-" : ""}${query.ordering}`,
    deleted: query.deleted ? "true" : null,
    reference: query.ordering === "identity" ? query.reference : null,
  };
  for (const [key, range] of Object.entries(query.ranges)) {
    if (!range) continue;
    params[`min_${key}`] = range.min;
    params[`max_${key}`] = range.max;
  }
  return params;
}

/** The API addresses of one faceset, read from the page's data attributes. */
export interface FacesetUrls {
  faceset: string;
  faces: string;
  ids: string;
  remove: string;
  restore: string;
  history: string;
  undo: string;
  stats: string;
  extract: string;
  media: string;
  jobs: string;
  facesets: string;
  move: string;
  merge: string;
  dedupe: string;
  best: string;
  split: string;
  keepPerson: string;
}

export type SplitBy = "track" | "identity";

/** One faceset a split would make; the first part of a plan stays where it is. */
export interface SplitPart {
  label: string;
  count: number;
  face_ids: number[];
  samples: { id: number; thumb_url: string }[];
}

/** What "keep this person" would keep and soft-delete. */
export interface KeepPreview extends DropPreview {
  kept_count: number;
  track_count: number;
}

/** What a dry run of dedupe / best N would soft-delete. */
export interface DropPreview {
  face_ids: number[];
  count: number;
}

export class FacesetApi {
  constructor(readonly urls: FacesetUrls) {}

  faceset(): Promise<Faceset> {
    return apiGet<Faceset>(this.urls.faceset);
  }

  facePage(query: FaceQuery, page: number, pageSize: number, signal?: AbortSignal): Promise<Paginated<Face>> {
    const url = withParams(this.urls.faces, { ...queryParams(query), page: page + 1, page_size: pageSize });
    return apiGet<Paginated<Face>>(url, signal);
  }

  async faceIds(query: FaceQuery, signal?: AbortSignal): Promise<number[]> {
    const answer = await apiGet<{ ids: number[] }>(withParams(this.urls.ids, queryParams(query)), signal);
    return answer.ids;
  }

  face(id: number, signal?: AbortSignal): Promise<FaceDetail> {
    const base = this.urls.faces.split("?")[0] ?? "";
    return apiGet<FaceDetail>(`${base.replace(/\/?$/, "/")}${id}/`, signal);
  }

  remove(ids: number[]): Promise<CurationEvent> {
    return apiPost<CurationEvent>(this.urls.remove, { ids });
  }

  restore(ids: number[]): Promise<CurationEvent> {
    return apiPost<CurationEvent>(this.urls.restore, { ids });
  }

  history(pageSize = 30): Promise<Paginated<CurationEvent>> {
    return apiGet<Paginated<CurationEvent>>(withParams(this.urls.history, { page_size: pageSize }));
  }

  undo(eventId: number): Promise<CurationEvent> {
    return apiPost<CurationEvent>(this.urls.undo, { event: eventId });
  }

  stats(): Promise<FacesetStats> {
    return apiGet<FacesetStats>(this.urls.stats);
  }

  /** Every faceset of the project (all pages). */
  async facesets(): Promise<Faceset[]> {
    const all: Faceset[] = [];
    let url: string | null = withParams(this.urls.facesets, { page_size: 200 });
    while (url) {
      const page: Paginated<Faceset> | Faceset[] = await apiGet<Paginated<Faceset> | Faceset[]>(url);
      if (Array.isArray(page)) return page;
      all.push(...page.results);
      url = page.next ? sameOriginPath(page.next) : null;
    }
    return all;
  }

  move(ids: number[], target: number): Promise<CurationEvent> {
    return apiPost<CurationEvent>(this.urls.move, { ids, target });
  }

  merge(source: number): Promise<CurationEvent> {
    return apiPost<CurationEvent>(this.urls.merge, { source });
  }

  dedupePreview(maxDistance: number, maxAngle: number): Promise<DropPreview> {
    return apiPost<DropPreview>(this.urls.dedupe, { max_distance: maxDistance, max_angle: maxAngle, dry_run: true });
  }

  dedupe(maxDistance: number, maxAngle: number): Promise<CurationEvent> {
    return apiPost<CurationEvent>(this.urls.dedupe, { max_distance: maxDistance, max_angle: maxAngle, dry_run: false });
  }

  bestPreview(count: number): Promise<DropPreview> {
    return apiPost<DropPreview>(this.urls.best, { count, dry_run: true });
  }

  best(count: number): Promise<CurationEvent> {
    return apiPost<CurationEvent>(this.urls.best, { count, dry_run: false });
  }

  async splitPreview(by: SplitBy, threshold: number): Promise<SplitPart[]> {
    const answer = await apiPost<{ parts: SplitPart[] }>(this.urls.split, { by, threshold, dry_run: true });
    return answer.parts;
  }

  split(by: SplitBy, threshold: number): Promise<CurationEvent> {
    return apiPost<CurationEvent>(this.urls.split, { by, threshold, dry_run: false });
  }

  keepPersonPreview(face: number, includeIdentity: boolean): Promise<KeepPreview> {
    return apiPost<KeepPreview>(this.urls.keepPerson, { face, include_identity: includeIdentity, dry_run: true });
  }

  keepPerson(face: number, includeIdentity: boolean): Promise<CurationEvent> {
    return apiPost<CurationEvent>(this.urls.keepPerson, { face, include_identity: includeIdentity, dry_run: false });
  }

  extract(media: number[], options: Record<string, OptionValue>): Promise<Job[]> {
    return apiPost<Job[]>(this.urls.extract, { media, options });
  }
}

/** Events the server can reverse: deletes, restores and moves not undone yet. */
export function isUndoable(event: CurationEvent): boolean {
  const reversible: CurationAction[] = ["delete", "restore", "move", "split"];
  return reversible.includes(event.action) && event.undone_by === null;
}

/**
 * The event Undo (and Ctrl+Z) reverses: the newest undoable one that is not
 * itself an undo, so pressing it twice steps back twice instead of redoing.
 */
export function latestUndoable(events: readonly CurationEvent[]): CurationEvent | null {
  return events.find((event) => isUndoable(event) && !("undoes" in event.details)) ?? null;
}

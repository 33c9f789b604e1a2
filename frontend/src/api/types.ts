// Shapes of the deepreview REST API (Django REST Framework, JSON, session auth).
// Resources come from the OpenAPI schema (schema.d.ts, generated from openapi.json by
// openapi-typescript in the build); only what the schema cannot say is written here.
import type { components } from "./schema";

/** Every schema component, by name. */
export type Schemas = components["schemas"];

/** Every 4xx/5xx answer carries this body. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    fields?: Record<string, string[]>;
    [extra: string]: unknown;
  };
}

/** A page of a paginated list; `next`/`previous` are absolute URLs or null. */
export interface Paginated<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export type MediaKind = Schemas["KindEnum"];
export type MediaStatus = Schemas["MediaStatusEnum"];
export type Origin = Schemas["OriginEnum"];

/** Layout of a media item's sprite sheet: tile k sits at column k % columns, row k / columns. */
export interface MediaSprite {
  columns: number;
  rows: number;
  tile_width: number;
  tile_height: number;
  every_n_frames: number;
  /** Frame index shown by each tile, in tile order. */
  frame_indices: number[];
}

/** A media item; its sprite layout is a JSON object the schema leaves open. */
export type Media = Omit<Schemas["MediaRead"], "sprite"> & { sprite: MediaSprite | null };

export type JobStatus = Schemas["JobStatusEnum"];

export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ["queued", "running"];

export type Job = Schemas["JobRead"];

/** Result of one upload: the stored item, and whether it was already in the project. */
export interface UploadResult {
  media: Media;
  duplicate: boolean;
}

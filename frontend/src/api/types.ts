// Shapes of the deepreview REST API (Django REST Framework, JSON, session auth).

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

export type MediaKind = "video" | "image";
export type MediaStatus = "processing" | "ready" | "failed";
export type Origin = "real" | "fake" | "unknown";

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

export interface Media {
  id: number;
  kind: MediaKind;
  name: string;
  size_bytes: number;
  sha256: string;
  status: MediaStatus;
  duration_seconds: number | null;
  fps: number | null;
  frame_count: number | null;
  width: number;
  height: number;
  codec: string;
  pix_fmt: string;
  has_audio: boolean;
  origin: Origin;
  identity: number | null;
  identity_name: string | null;
  poster_url: string | null;
  sprite_url: string | null;
  sprite: MediaSprite | null;
  playback_url: string | null;
  frame_pts_url: string | null;
  detail_url: string;
  created_at: string;
  uploaded_by: string;
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ["queued", "running"];

export interface Job {
  id: number;
  kind: string;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  message: string;
  eta_seconds: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  worker_host: string;
  device: string;
  params: Record<string, unknown>;
  result: Record<string, unknown>;
  error: string;
  cancel_requested: boolean;
  attempts: number;
  media: number | null;
  media_name: string | null;
  created_by: string | null;
  retry_of: number | null;
}

/** Result of one upload: the stored item, and whether it was already in the project. */
export interface UploadResult {
  media: Media;
  duplicate: boolean;
}

// Shapes and calls of the swap API: consent records, swap models (train, stop,
// convert, preview) and the conversions (fakes with ground truth) they made.
import { ApiError, apiGet, apiPost, apiRequest, csrfToken, errorFromResponse, withParams } from "./client";
import { ACTIVE_JOB_STATUSES, type Job, type Paginated, type Schemas } from "./types";

export type ConsentBasis = Schemas["BasisEnum"];

export const CONSENT_BASES: readonly [ConsentBasis, string][] = [
  ["consent", "Consent of the person shown"],
  ["licence", "Licence of the material"],
  ["public_domain", "Public domain"],
];

export type ConsentRecord = Schemas["ConsentRead"];

export type SwapStatus = Schemas["SwapStatusEnum"];

export interface SwapPreview {
  iteration: number;
  url: string;
}

/** A swap model; its preview list is written here (a JSON column). */
export type SwapModel = Omit<Schemas["SwapModelRead"], "previews"> & { previews: SwapPreview[] };

/** [iteration, loss A, loss B] */
export type LossPoint = [number, number, number];

export interface SwapModelDetail extends SwapModel {
  history: LossPoint[];
}

export type Direction = Schemas["DirectionEnum"];

/** A conversion; `manipulated_ranges` are inclusive [first, last] output frames. */
export type Conversion = Omit<Schemas["ConversionRead"], "manipulated_ranges"> & {
  manipulated_ranges: [number, number][];
};

export const SWAP_ARCHS: readonly [string, string][] = [
  ["original", "original (64 px, fast)"],
  ["medium128", "medium128 (128 px)"],
];

/** Badge class of a model status, in the job status palette. */
export function swapStatusClass(status: SwapStatus): string {
  switch (status) {
    case "training":
      return "status-running";
    case "completed":
      return "status-succeeded";
    case "failed":
      return "status-failed";
    case "stopped":
      return "status-cancelled";
    default:
      return "status-queued";
  }
}

export function isActiveJob(job: Job): boolean {
  return ACTIVE_JOB_STATUSES.includes(job.status);
}

/** Lists answer as pages; accept a bare array too. */
export function listResults<T>(body: Paginated<T> | T[]): T[] {
  return Array.isArray(body) ? body : body.results;
}

/** A loss with enough digits to compare runs: 0.0213, 1.24e-4. */
export function formatLoss(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (value !== 0 && Math.abs(value) < 0.001) return value.toExponential(2);
  return value.toFixed(4);
}

export function directionLabel(direction: string, a: string | null, b: string | null): string {
  const nameA = a ?? "A";
  const nameB = b ?? "B";
  return direction === "b-to-a" ? `${nameB} → ${nameA}` : `${nameA} → ${nameB}`;
}

/**
 * Posts a consent record as multipart (so an evidence file can travel with it).
 * Rejects with ApiError like the JSON calls.
 */
export async function postConsent(url: string, form: FormData): Promise<ConsentRecord> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
  } catch {
    throw new ApiError(0, "network", "Could not reach the server; check your connection.");
  }
  const text = await response.text();
  if (!response.ok) throw errorFromResponse(response.status, response.statusText, text);
  return JSON.parse(text) as ConsentRecord;
}

export function deleteRecord(url: string): Promise<void> {
  return apiRequest<void>(url, { method: "DELETE" });
}

/** Every address the swap model page talks to, read from its data attributes. */
export interface SwapModelUrls {
  detail: string;
  train: string;
  stop: string;
  convert: string;
  preview: string;
  jobs: string;
  media: string;
  conversions: string;
}

export class SwapModelApi {
  constructor(readonly urls: SwapModelUrls) {}

  detail(signal?: AbortSignal): Promise<SwapModelDetail> {
    return apiGet<SwapModelDetail>(this.urls.detail, signal);
  }

  train(iterations: number): Promise<Job> {
    return apiPost<Job>(this.urls.train, { iterations });
  }

  stop(): Promise<Job> {
    return apiPost<Job>(this.urls.stop);
  }

  convert(body: { media: number; direction: Direction; options: Record<string, unknown>; track: null }): Promise<Job> {
    return apiPost<Job>(this.urls.convert, body);
  }

  preview(body: {
    media: number;
    frame: number;
    direction: Direction;
    options: Record<string, unknown>;
    track: null;
  }): Promise<Job> {
    return apiPost<Job>(this.urls.preview, body);
  }

  job(id: number, signal?: AbortSignal): Promise<Job> {
    return apiGet<Job>(`${this.jobsBase()}${id}/`, signal);
  }

  /** The newest jobs of one kind (the API cannot filter by model: callers check params.model_id). */
  async jobs(kind: string, signal?: AbortSignal): Promise<Job[]> {
    const page = await apiGet<Paginated<Job>>(withParams(this.urls.jobs, { kind, page_size: 20 }), signal);
    return page.results;
  }

  async conversions(signal?: AbortSignal): Promise<Conversion[]> {
    const body = await apiGet<Paginated<Conversion> | Conversion[]>(withParams(this.urls.conversions, { page_size: 200 }), signal);
    return listResults(body);
  }

  private jobsBase(): string {
    return (this.urls.jobs.split("?")[0] ?? "").replace(/\/?$/, "/");
  }
}

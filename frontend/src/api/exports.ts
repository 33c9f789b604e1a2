// Shapes and calls of the dataset export API (per project: preview, build, list,
// delete) and the import API (per user: an export zip becomes a new project).
import { ApiError, apiGet, apiList, apiPost, apiRequest, csrfToken, errorFromResponse } from "./client";
import type { JobStatus, Schemas } from "./types";

export type LabelSource = "ground_truth" | "consensus" | "reviewer";
export type Label = "real" | "fake";
export type SplitName = "train" | "validation" | "test";
export const SPLIT_NAMES: readonly SplitName[] = ["train", "validation", "test"];

/** Which videos an export holds (see deepreview/exports/selection.py). Empty lists mean "any". */
export interface ExportSelection {
  label_source: LabelSource;
  reviewer?: string;
  labels: Label[];
  identities: string[];
  methods: string[];
  method_options: Record<string, unknown>;
  created_after?: string;
  created_before?: string;
}

export interface ExportOptions {
  frames_per_video: number;
  crop_size: number;
  margin: number;
  /** Shares for train, validation and test; the server normalises them. */
  ratios: [number, number, number];
  seed: number;
  formats: string[];
  compressions: string[];
}

export interface PreviewSplit {
  videos: number;
  real: number;
  fake: number;
  identities: string[];
}

export interface ExportPreview {
  videos: number;
  labels: Partial<Record<Label, number>>;
  methods: Record<string, number>;
  identities: number;
  splits: Record<SplitName, PreviewSplit>;
  faces_estimate: number;
  with_ground_truth: number;
  options: ExportOptions & { dedupe_distance: number; min_face_size: number };
}

/** What the build job wrote, per split (summary.splits): `real`/`fake` count faces. */
export interface BuiltSplit {
  videos?: number;
  real_videos?: number;
  fake_videos?: number;
  faces?: number;
  real?: number;
  fake?: number;
  identities?: string[];
}

export interface ExportSummary {
  files?: number;
  bytes?: number;
  manifest_sha256?: string;
  splits?: Partial<Record<SplitName, BuiltSplit>>;
  faces?: number;
  duplicates_removed?: number;
  videos_without_faces?: string[];
  videos?: number;
  seconds?: number;
}

/** An export; the schema leaves its JSON columns and the job's status open. */
export type DatasetExport = Omit<Schemas["DatasetExport"], "selection" | "options" | "summary" | "status" | "progress"> & {
  selection: ExportSelection;
  options: ExportOptions;
  summary: ExportSummary;
  status: JobStatus | null;
  progress: number | null;
};

export type DatasetImport = Omit<Schemas["DatasetImport"], "summary" | "status" | "progress"> & {
  summary: Record<string, unknown>;
  status: JobStatus | null;
  progress: number | null;
};

export interface ExportUrls {
  exports: string;
  /** Detail address with `{id}` in place of the export's id. */
  export: string;
  preview: string;
}

export class ExportsApi {
  constructor(private readonly urls: ExportUrls) {}

  preview(selection: ExportSelection, options: ExportOptions, signal?: AbortSignal): Promise<ExportPreview> {
    const init = { method: "POST", json: { selection, options }, ...(signal ? { signal } : {}) };
    return apiRequest<ExportPreview>(this.urls.preview, init);
  }

  async list(signal?: AbortSignal): Promise<DatasetExport[]> {
    return (await apiList<DatasetExport>(this.urls.exports, signal)).results;
  }

  create(name: string, selection: ExportSelection, options: ExportOptions): Promise<DatasetExport> {
    return apiPost<DatasetExport>(this.urls.exports, { name, selection, options });
  }

  get(id: number): Promise<DatasetExport> {
    return apiGet<DatasetExport>(this.detailUrl(id));
  }

  remove(id: number): Promise<void> {
    return apiRequest<void>(this.detailUrl(id), { method: "DELETE" });
  }

  private detailUrl(id: number): string {
    return this.urls.export.replace("{id}", String(id));
  }
}

export async function listImports(url: string, signal?: AbortSignal): Promise<DatasetImport[]> {
  return (await apiList<DatasetImport>(url, signal)).results;
}

/**
 * POSTs an export zip (multipart: file, name) with XMLHttpRequest, for upload
 * progress; resolves to the new import with its project, rejects with ApiError.
 */
export function importExport(
  url: string,
  file: File,
  name: string,
  onProgress: (fraction: number) => void,
): Promise<DatasetImport> {
  return new Promise<DatasetImport>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("name", name);
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.upload.onprogress = (event) => onProgress(event.loaded / (event.lengthComputable ? event.total : file.size || 1));
    xhr.onload = () => {
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(errorFromResponse(xhr.status, xhr.statusText, xhr.responseText));
        return;
      }
      try {
        resolve(JSON.parse(xhr.responseText) as DatasetImport);
      } catch {
        reject(new ApiError(xhr.status, "bad_response", "The server sent an answer that is not JSON."));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "The upload was interrupted; check your connection and the file size, then try again."));
    xhr.send(form);
  });
}

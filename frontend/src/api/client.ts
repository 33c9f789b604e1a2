// Typed fetch client for the deepreview API: same-origin session cookies,
// Django's CSRF header on unsafe methods, and one error type for every failure.
import type { ApiErrorBody, Media, Paginated, UploadResult } from "./types";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** A failed API call. `status` is 0 when the request never got an answer. */
export class ApiError extends Error {
  readonly code: string;
  readonly fields: Record<string, string[]>;
  readonly status: number;
  /** Any other keys of the error body, e.g. `current` (the row as saved) on a 409. */
  readonly details: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    message: string,
    fields: Record<string, string[]> = {},
    details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.details = details;
  }

  /** The message plus any per-field messages, as one readable line. */
  describe(): string {
    const details = Object.entries(this.fields)
      .filter(([field]) => field !== "non_field_errors")
      .map(([field, messages]) => `${field}: ${messages.join(" ")}`);
    return details.length ? `${this.message} (${details.join("; ")})` : this.message;
  }
}

export function getCookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** Django's CSRF token: the cookie, or the hidden form field when the cookie is HttpOnly. */
export function csrfToken(): string {
  const fromCookie = getCookie("csrftoken");
  if (fromCookie) return fromCookie;
  const input = document.querySelector<HTMLInputElement>('input[name="csrfmiddlewaretoken"]');
  return input?.value ?? "";
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === "object" && error !== null && "message" in error;
}

/** Builds an ApiError from an answer's status and (possibly non-JSON) body text. */
export function errorFromResponse(status: number, statusText: string, bodyText: string): ApiError {
  try {
    const body: unknown = JSON.parse(bodyText);
    if (isErrorBody(body)) {
      const { code, message, fields, ...details } = body.error;
      return new ApiError(status, code || `http_${status}`, message, fields ?? {}, details);
    }
  } catch {
    // Not JSON: a proxy error page or a crash before the API's error handler.
  }
  if (status === 413) {
    return new ApiError(status, "too_large", "The file is larger than the server accepts.");
  }
  if (status === 403) {
    return new ApiError(status, "forbidden", "You are not allowed to do this; reload the page and sign in again if your session expired.");
  }
  const label = statusText ? `${status} ${statusText}` : String(status);
  return new ApiError(status, `http_${status}`, `The server answered ${label}. Try again in a moment.`);
}

/**
 * Turns an absolute URL from the API (pagination links) into a path on this
 * origin, so a proxy that makes Django see http:// cannot cause mixed content.
 */
export function sameOriginPath(url: string): string {
  const parsed = new URL(url, window.location.href);
  return parsed.pathname + parsed.search;
}

/** `url` with query parameters added or replaced; undefined/null values are skipped. */
export function withParams(url: string, params: Record<string, string | number | null | undefined>): string {
  const parsed = new URL(url, window.location.href);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") parsed.searchParams.set(key, String(value));
  }
  return parsed.origin === window.location.origin ? parsed.pathname + parsed.search : parsed.toString();
}

export interface RequestOptions {
  method?: string;
  /** Sent as JSON. */
  json?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export async function apiRequest<T>(url: string, options: RequestOptions = {}): Promise<T> {
  const method = (options.method ?? "GET").toUpperCase();
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (!SAFE_METHODS.has(method)) headers["X-CSRFToken"] = csrfToken();
  const init: RequestInit = { method, headers, credentials: "same-origin" };
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.json);
  }
  if (options.signal) init.signal = options.signal;

  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "Could not reach the server; check your connection.");
  }
  const text = await response.text();
  if (!response.ok) throw errorFromResponse(response.status, response.statusText, text);
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(response.status, "bad_response", "The server sent an answer that is not JSON.");
  }
}

export function apiGet<T>(url: string, signal?: AbortSignal): Promise<T> {
  return apiRequest<T>(url, signal ? { signal } : {});
}

export function apiPost<T>(url: string, json?: unknown): Promise<T> {
  return apiRequest<T>(url, { method: "POST", json });
}

export function apiList<T>(url: string, signal?: AbortSignal): Promise<Paginated<T>> {
  return apiGet<Paginated<T>>(url, signal);
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadHandle {
  promise: Promise<UploadResult>;
  abort(): void;
}

/**
 * Uploads one file as multipart (`file` plus extra fields) with XMLHttpRequest,
 * because fetch cannot report upload progress. Rejects with ApiError; an abort
 * rejects with code "aborted".
 */
export function uploadMedia(
  url: string,
  file: File,
  fields: Record<string, string>,
  onProgress: (progress: UploadProgress) => void,
  onSent: () => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<UploadResult>((resolve, reject) => {
    const form = new FormData();
    form.append("file", file, file.name);
    for (const [key, value] of Object.entries(fields)) form.append(key, value);

    xhr.open("POST", url);
    xhr.responseType = "text";
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.upload.onprogress = (event) => {
      onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
    };
    // Body fully sent; the server now probes the file before it answers.
    xhr.upload.onload = () => onSent();
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          const media = JSON.parse(xhr.responseText) as Media;
          const duplicate = (xhr.getResponseHeader("X-Deepreview-Duplicate") ?? "").toLowerCase() === "true";
          resolve({ media, duplicate });
        } catch {
          reject(new ApiError(xhr.status, "bad_response", "The server sent an answer that is not JSON."));
        }
      } else {
        reject(errorFromResponse(xhr.status, xhr.statusText, xhr.responseText));
      }
    };
    xhr.onerror = () => {
      // A server that rejects a too-large body often closes the connection early.
      reject(new ApiError(0, "network", "The upload was interrupted; check your connection and the file size, then try again."));
    };
    xhr.onabort = () => reject(new ApiError(0, "aborted", "Upload cancelled."));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

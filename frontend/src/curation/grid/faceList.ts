// The model behind the virtualised grid: the ordered list of faces for one
// query, fetched a page at a time on demand and cached, never all at once.
//
// A page holds PAGE_SIZE faces; the face at position p lives on page
// floor(p / PAGE_SIZE). Changing the query bumps the generation, which drops
// the cache and makes answers to older requests harmless.
import { ApiError } from "../../api/client";
import type { Face, FaceQuery, FacesetApi } from "../../api/facesets";

export const PAGE_SIZE = 200;
/** Pages fetched at once; more wait their turn so fast scrolling cannot flood the server. */
const MAX_IN_FLIGHT = 3;

export interface FaceListListener {
  /** Called after a page arrived or the count changed. */
  changed(): void;
  failed(error: ApiError): void;
}

export class FaceList {
  /** Faces matching the query; null until the first page answered. */
  count: number | null = null;
  private pages = new Map<number, Face[]>();
  /** Pages of the previous read of the same query, shown until fresh ones replace them (no flicker). */
  private stale = new Map<number, Face[]>();
  private pending = new Set<number>();
  private queue: number[] = [];
  private controllers = new Set<AbortController>();
  private allIds: Promise<number[]> | null = null;
  private generation = 0;

  constructor(
    private readonly api: FacesetApi,
    private query: FaceQuery,
    private readonly listener: FaceListListener,
  ) {}

  get current(): FaceQuery {
    return this.query;
  }

  /**
   * Switch to a new query, dropping everything cached; or, with `refresh`,
   * re-read the same query after a change, painting the old pages until the
   * new ones arrive.
   */
  reset(query: FaceQuery = this.query, refresh = false): void {
    this.query = query;
    this.generation += 1;
    for (const controller of this.controllers) controller.abort();
    this.controllers.clear();
    this.stale = refresh ? new Map([...this.stale, ...this.pages]) : new Map();
    this.pages = new Map();
    this.pending.clear();
    this.queue = [];
    this.allIds = null;
    if (!refresh) this.count = null;
  }

  /** The face at `position` (possibly from a stale page), or undefined while its page is not loaded. */
  at(position: number): Face | undefined {
    const page = Math.floor(position / PAGE_SIZE);
    return (this.pages.get(page) ?? this.stale.get(page))?.[position % PAGE_SIZE];
  }

  /** The face at `position` only from pages of the current read. */
  fresh(position: number): Face | undefined {
    return this.pages.get(Math.floor(position / PAGE_SIZE))?.[position % PAGE_SIZE];
  }

  /** Position of a loaded face, or -1. */
  positionOf(id: number): number {
    for (const [page, faces] of this.pages) {
      const index = faces.findIndex((face) => face.id === id);
      if (index >= 0) return page * PAGE_SIZE + index;
    }
    return -1;
  }

  /** Makes sure the pages covering positions [first, last] are loaded or on their way. */
  ensure(first: number, last: number): void {
    const from = Math.max(0, Math.floor(first / PAGE_SIZE));
    const to = Math.max(from, Math.floor(Math.max(first, last) / PAGE_SIZE));
    // Only pages still wanted stay queued: the view asks again on every scroll.
    this.queue = [];
    for (let page = from; page <= to; page += 1) {
      if (this.count !== null && page * PAGE_SIZE >= this.count && page > 0) break;
      if (!this.pages.has(page) && !this.pending.has(page)) this.queue.push(page);
    }
    this.pump();
  }

  private pump(): void {
    while (this.pending.size < MAX_IN_FLIGHT && this.queue.length) {
      const page = this.queue.shift()!;
      void this.load(page);
    }
  }

  private async load(page: number): Promise<void> {
    const generation = this.generation;
    const controller = new AbortController();
    this.pending.add(page);
    this.controllers.add(controller);
    try {
      const answer = await this.api.facePage(this.query, page, PAGE_SIZE, controller.signal);
      if (generation !== this.generation) return;
      this.pages.set(page, answer.results);
      this.stale.delete(page);
      if (answer.count !== this.count) {
        // The list grew or shrank: stale pages past the new end would show ghosts.
        for (const index of this.stale.keys()) if (index * PAGE_SIZE >= answer.count) this.stale.delete(index);
      }
      this.count = answer.count;
      this.listener.changed();
    } catch (err) {
      if (generation !== this.generation) return;
      if (err instanceof DOMException && err.name === "AbortError") return;
      // A page past the end (the set shrank under us): re-read from the start.
      if (err instanceof ApiError && err.status === 404 && page > 0) {
        this.reset(this.query);
        this.listener.changed();
        return;
      }
      this.listener.failed(err instanceof ApiError ? err : new ApiError(0, "unknown", String(err)));
    } finally {
      this.controllers.delete(controller);
      if (generation === this.generation) {
        this.pending.delete(page);
        this.pump();
      }
    }
  }

  /** Every matching id in order (one request per query, shared by range selection and "select all"). */
  ids(): Promise<number[]> {
    if (!this.allIds) {
      const generation = this.generation;
      const request = this.api.faceIds(this.query);
      this.allIds = request;
      request.catch(() => {
        if (generation === this.generation) this.allIds = null;
      });
    }
    return this.allIds;
  }

  /** Ids at positions [from, to] inclusive: from loaded pages when all are there, else the ids endpoint. */
  async idsBetween(from: number, to: number): Promise<number[]> {
    const lo = Math.max(0, Math.min(from, to));
    const hi = Math.max(from, to);
    const loaded: number[] = [];
    for (let position = lo; position <= hi; position += 1) {
      const face = this.fresh(position);
      if (!face) {
        const all = await this.ids();
        return all.slice(lo, hi + 1);
      }
      loaded.push(face.id);
    }
    return loaded;
  }
}

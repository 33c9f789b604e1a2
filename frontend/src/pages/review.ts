// Review workspace: the annotator for one video. Player with frame-accurate stepping,
// the zoomable frame timeline (thumbnails, detector score, ground truth, comments,
// flagged frames, marks by kind) with the forensic signals under it, region boxes and
// the detector's heat map on the picture, why the frame at hand is flagged, and side
// panels for the verdict, the marks and the comments. Keyboard first.
import { ApiError } from "../api/client";
import {
  createMark,
  getMarkChanges,
  getTimeline,
  listComments,
  type Mark,
  type Region,
  type TimelineData,
} from "../api/review";
import { signalTimeline, type SignalTimeline } from "../shared/charts/plotly";
import { flagWords, regionWords, scoreName } from "../detection/detectionExplain";
import { dataBool, dataUrls, h, onReady } from "../shared/dom";
import { FRAME_EVENT, type FrameDetail, FrameClock } from "../review/frameClock";
import { CommentPanel } from "../review/commentPanel";
import { actionFor, helpOverlay, type KeyAction } from "../review/keys";
import { HeatLayer } from "../review/heatLayer";
import { mapReach } from "../review/heatMap";
import { MarkPanel } from "../review/markPanel";
import { RegionLayer } from "../review/regionLayer";
import { VerdictPanel } from "../review/verdictPanel";
import { bindTimeline } from "../review/timeline/controller";
import { TimelineModel } from "../review/timeline/model";
import { TimelineView } from "../review/timeline/view";

interface Urls {
  timeline: string;
  markChanges: string;
  summary: string;
  marks: string;
  mark: string;
  verdicts: string;
  comments: string;
  comment: string;
  adjudicate: string;
}

function urlsFrom(el: HTMLElement): Urls {
  return dataUrls(el, ["timeline", "markChanges", "summary", "marks", "mark", "verdicts", "comments", "comment", "adjudicate"] as const);
}

/** How often an open workspace asks for other reviewers' mark changes (while visible). */
const MARK_SYNC_MS = 5000;

const SIGNAL_COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];

class Workspace {
  readonly model: TimelineModel;
  private readonly clock: FrameClock;
  private readonly view: TimelineView;
  private readonly regions: RegionLayer;
  private readonly heat: HeatLayer;
  /** Frames from a sample its flag and map still stand for the picture. */
  private readonly reach: number;
  private readonly marks: MarkPanel;
  private readonly verdict: VerdictPanel;
  private readonly comments: CommentPanel;
  private readonly signals: SignalTimeline | null;
  private readonly status: HTMLElement;
  private readonly kindPicker: HTMLSelectElement;
  private readonly help: HTMLElement;
  private activeKind: string;
  /** A box drawn after `[`: it goes with the mark `]` saves. */
  private pendingRegion: Region | null = null;
  /** A mark whose region the next drag replaces ("Redraw region"). */
  private regionTarget: number | null = null;
  /** The last mark change this page holds, and whether others' work is shown. */
  private marksChange: number;
  private revealed: boolean;
  private syncing = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly urls: Urls,
    private readonly data: TimelineData,
  ) {
    const mediaId = data.media.id;
    const canAnnotate = dataBool(root, "canAnnotate");
    const canCurate = dataBool(root, "canCurate");
    const username = root.dataset.username ?? "";
    const model = new TimelineModel(data.media.frame_count, data.media.fps);
    model.kinds = data.kinds;
    model.detection = data.detection;
    model.groundTruth = data.ground_truth;
    model.sprite = data.sprite;
    model.setMarks(data.marks);
    this.model = model;
    this.marksChange = data.marks_change;
    this.revealed = !data.ground_truth_hidden;
    this.activeKind = data.kinds[0]?.slug ?? "";

    const video = root.querySelector<HTMLVideoElement>("#review-video") as HTMLVideoElement;
    const counter = root.querySelector<HTMLElement>("#frame-counter");
    this.status = root.querySelector<HTMLElement>("#review-status") as HTMLElement;
    this.clock = new FrameClock(video, data.media.fps, data.media.frame_count, counter);
    this.clock.start();
    video.addEventListener(FRAME_EVENT, (event) => model.setFrame((event as CustomEvent<FrameDetail>).detail.frame));

    const stage = root.querySelector<HTMLElement>(".player-frame") as HTMLElement;
    this.reach = mapReach(data.media.fps);
    this.heat = new HeatLayer({
      video,
      maps: data.detection?.maps ?? {},
      cropMargin: data.detection?.crop_margin,
      sourceWidth: data.media.width,
      sourceHeight: data.media.height,
      reach: this.reach,
    });
    stage.append(this.heat.el);
    this.regions = new RegionLayer({
      video,
      enabled: canAnnotate,
      onDraw: (region) => void this.regionDrawn(region),
      onSelect: (id) => model.select(id),
      colorOf: (slug) => model.kind(slug)?.color ?? "#888",
      labelOf: (slug) => model.kind(slug)?.label ?? slug,
    });
    stage.append(this.regions.el);

    const timelineBox = root.querySelector<HTMLElement>("#timeline") as HTMLElement;
    this.view = new TimelineView(model, timelineBox);
    this.view.activeKind = this.activeKind;
    bindTimeline(model, this.view, {
      seek: (frame) => this.seek(frame),
      selectMark: (mark) => {
        model.select(mark.id);
        this.showTab("marks");
        if (model.frame < mark.start_frame || model.frame > mark.end_frame) this.seek(mark.start_frame);
      },
    });
    this.signals = this.mountSignals(root.querySelector<HTMLElement>("#signal-chart"));

    this.kindPicker = root.querySelector<HTMLSelectElement>("#kind-picker") as HTMLSelectElement;
    this.kindPicker.replaceChildren(...data.kinds.map((k, i) =>
      h("option", { value: k.slug, title: k.description }, `${i < 9 ? `${i + 1} · ` : ""}${k.label}`)));
    this.kindPicker.addEventListener("change", () => this.pickKind(this.kindPicker.value));
    this.kindPicker.value = this.activeKind;
    this.describeKind();

    const notify = (text: string, tone: "ok" | "error" | "warn" = "ok"): void => this.notify(text, tone);
    this.marks = new MarkPanel({
      root: root.querySelector<HTMLElement>("#marks-panel") as HTMLElement,
      model,
      markUrl: (id) => urls.mark.replace("{id}", String(id)),
      username,
      canCurate,
      canAnnotate,
      seek: (frame) => this.seek(frame),
      notify,
    });
    root.querySelector("#marks-panel")?.addEventListener("click", (event) => {
      if ((event.target as HTMLElement).closest("[data-action=redraw-region]")) this.redrawRegion();
    });
    this.verdict = new VerdictPanel({
      root: root.querySelector<HTMLElement>("#verdict-panel") as HTMLElement,
      othersRoot: root.querySelector<HTMLElement>("#others-panel") as HTMLElement,
      mediaId,
      verdictsUrl: urls.verdicts,
      summaryUrl: urls.summary,
      adjudicateUrl: urls.adjudicate,
      canAnnotate,
      canAdjudicate: dataBool(root, "canAdjudicate"),
      kindLabel: (slug) => model.kind(slug)?.label ?? slug,
      notify,
      onSubmitted: (first) => {
        // Blind review lifts once the reviewer has submitted: reload what it hid.
        if (first && data.blind) void this.reload();
      },
    }, data.own_verdict);
    void this.verdict.refresh();
    this.comments = new CommentPanel({
      root: root.querySelector<HTMLElement>("#comments-panel") as HTMLElement,
      model,
      mediaId,
      commentsUrl: urls.comments,
      commentUrl: (id) => urls.comment.replace("{id}", String(id)),
      username,
      canAnnotate,
      canCurate,
      seek: (frame) => this.seek(frame),
      notify,
      onChange: () => {
        this.view.requestDraw();
        this.countTabs();
      },
    });

    this.help = helpOverlay();
    document.body.append(this.help);
    model.onChange((reason) => this.changed(reason));
    this.bindTransport(video);
    this.bindTabs();
    document.addEventListener("keydown", (event) => this.key(event));
    this.changed("data");

    const seekFromHash = (): void => {
      const match = /^#frame=(\d+)$/.exec(window.location.hash);
      if (match) this.seek(Number(match[1]));
    };
    void this.clock.loadPts(data.media.frame_pts_url ?? undefined).then(() => {
      seekFromHash();
      root.dataset.ready = "true";
      this.notify(canAnnotate ? "Ready. Press ? for the keyboard shortcuts." : "Read-only: viewers see the reviews but do not annotate.", "ok");
    });
    window.addEventListener("hashchange", seekFromHash);
    void this.loadComments();
    this.startMarkSync();
  }

  private mountSignals(el: HTMLElement | null): SignalTimeline | null {
    const d = this.data.detection;
    const signals = Object.entries(d?.signals ?? {});
    if (!el) return null;
    if (!d || !signals.length || !d.frames?.length) {
      el.replaceChildren(h("p", { class: "muted small chart-empty" }, d
        ? d.message || "This detection run measured no signals (no faces?)."
        : "No detection run on this video yet: forensic signals appear here once one has run (Detection page)."));
      return null;
    }
    return signalTimeline(el, {
      lines: signals.map(([name, s], i) => ({
        name: name.replace(/_/g, " "),
        frames: d.frames ?? [],
        values: s.norm,
        color: (s.kind ? this.model.kind(s.kind)?.color : undefined) ?? SIGNAL_COLORS[i % SIGNAL_COLORS.length] ?? "#888",
        description: s.description,
      })),
      frameCount: this.model.frameCount,
      onFrameClick: (frame) => this.seek(frame),
    });
  }

  private changed(reason: string): void {
    const m = this.model;
    this.view.requestDraw();
    if (reason === "window" || reason === "data") this.signals?.setWindow(m.start, m.end);
    if (reason === "frame" || reason === "data") this.signals?.setPlayhead(m.frame);
    this.regions.show(m.marksAt(m.frame), m.selectedMarkId);
    if (reason === "frame" || reason === "data") {
      this.heat.show(m.frame);
      this.showEvidence();
    }
    if (reason === "marks" || reason === "data") this.countTabs();
    const pending = this.root.querySelector<HTMLElement>("#pending-range");
    if (pending) {
      pending.hidden = m.pendingStart === null;
      pending.textContent = m.pendingStart === null ? "" : `Marking from frame ${m.pendingStart}${this.pendingRegion ? " with a box" : ""}: press ] at the last frame, Esc to cancel.`;
    }
  }

  private mapCount(): number {
    return Object.keys(this.data.detection?.maps ?? {}).length;
  }

  /** Under the player: why the frame at hand (or a sample a few frames away) is
   * flagged, and which analysed frame's map the heat layer shows. */
  private showEvidence(): void {
    const el = this.root.querySelector<HTMLElement>("#frame-evidence");
    if (!el) return;
    const m = this.model;
    const near = m.flagNear(m.frame, this.reach);
    const parts: Node[] = [];
    if (near) {
      parts.push(h("span", { class: `frame-flag frame-flag-${near.flag.by}`, id: "frame-flag", "data-frame": near.frame },
        flagWords(near.flag), near.frame !== m.frame ? h("span", { class: "muted" }, ` (frame ${near.frame})`) : null));
    }
    if (this.heat.visible) {
      const hit = this.heat.mapFor(m.frame);
      const top = hit?.faces.reduce((a, b) => ((b.score ?? -1) > (a.score ?? -1) ? b : a));
      const scoreText = top && top.score !== null ? `${scoreName(m.detection?.calibrated).toLowerCase()} ${top.score.toFixed(2)}` : "";
      parts.push(h("span", { class: "heat-status muted", id: "heat-status" }, hit
        ? `Heat map of frame ${hit.frame}${scoreText ? `: ${scoreText}` : ""}${top?.region ? `, strongest ${regionWords(top.region)}` : ""}`
        : `Heat map: no analysed frame with a map within ${this.reach} frames`));
    }
    el.replaceChildren(...parts.flatMap((p, i) => (i ? [" · ", p] : [p])));
    const line = this.root.querySelector<HTMLElement>("#evidence-line");
    if (line) line.hidden = parts.length === 0 && !this.heat.hasMaps;
  }

  private countTabs(): void {
    const set = (id: string, n: number): void => {
      const el = this.root.querySelector<HTMLElement>(`#${id}`);
      if (el) el.textContent = n ? ` (${n})` : "";
    };
    set("marks-count", this.model.marks.length);
    set("comments-count", this.model.comments.filter((c) => c.parent === null).length);
  }

  seek(frame: number): void {
    this.clock.seekToFrame(frame);
  }

  notify(text: string, tone: "ok" | "error" | "warn"): void {
    this.status.textContent = text;
    this.status.dataset.tone = tone;
  }

  private pickKind(slug: string): void {
    if (!this.model.kind(slug)) return;
    this.activeKind = slug;
    this.kindPicker.value = slug;
    this.view.activeKind = slug;
    this.describeKind();
    this.view.requestDraw();
  }

  private describeKind(): void {
    const hint = this.root.querySelector<HTMLElement>("#kind-hint");
    if (hint) hint.textContent = this.model.kind(this.activeKind)?.description ?? "";
  }

  private async createMark(start: number, end: number, region: Region | null): Promise<Mark | null> {
    try {
      const mark = await createMark(this.urls.marks, this.data.media.id, {
        kind: this.activeKind,
        start_frame: Math.min(start, end),
        end_frame: Math.max(start, end),
        region,
        note: "",
      });
      this.model.upsertMark(mark);
      this.model.select(mark.id);
      const label = this.model.kind(mark.kind)?.label ?? mark.kind;
      this.notify(`Marked ${label}, frames ${mark.start_frame}–${mark.end_frame}${region ? " with a region" : ""}. Add a note in Marks.`, "ok");
      return mark;
    } catch (err) {
      this.notify(err instanceof ApiError ? err.describe() : String(err), "error");
      return null;
    }
  }

  private async regionDrawn(region: Region): Promise<void> {
    const m = this.model;
    if (this.regionTarget !== null) {
      const mark = m.marks.find((x) => x.id === this.regionTarget);
      this.regionTarget = null;
      this.root.classList.remove("redrawing-region");
      if (mark) {
        await this.marks.save(mark, { region });
        return;
      }
    }
    if (m.pendingStart !== null) {
      this.pendingRegion = region;
      this.changed("selection");
      this.notify("Box kept for the mark you started: press ] at its last frame.", "ok");
      return;
    }
    await this.createMark(m.frame, m.frame, region);
  }

  private redrawRegion(): void {
    const mark = this.model.selectedMark;
    if (!mark) return;
    this.regionTarget = mark.id;
    this.root.classList.add("redrawing-region");
    this.notify(`Drag a new box on the picture for this ${this.model.kind(mark.kind)?.label ?? "mark"}.`, "ok");
  }

  /** Other reviewers' marks appear without a reload: every few seconds while the page is
   * visible (and at once when it becomes visible) ask for the changes after the last
   * one held. A failed request is retried next time; nothing is lost meanwhile. */
  private startMarkSync(): void {
    const sync = (): void => {
      if (document.visibilityState === "visible") void this.syncMarks();
    };
    window.setInterval(sync, MARK_SYNC_MS);
    document.addEventListener("visibilitychange", sync);
  }

  private async syncMarks(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const changes = await getMarkChanges(this.urls.markChanges, this.marksChange);
      if (changes.revealed !== this.revealed) {
        await this.reload();
        return;
      }
      this.model.applyMarkChanges(changes.marks, changes.deleted);
      this.marksChange = Math.max(this.marksChange, changes.last_change);
    } catch {
      // Offline or a restart: the next tick asks again from the same change.
    } finally {
      this.syncing = false;
    }
  }

  private async reload(): Promise<void> {
    try {
      const data = await getTimeline(this.urls.timeline);
      this.model.groundTruth = data.ground_truth;
      this.model.setMarks(data.marks);
      this.marksChange = data.marks_change;
      this.revealed = !data.ground_truth_hidden;
      await this.loadComments();
      this.root.querySelector<HTMLElement>("#truth-toggle")?.toggleAttribute("hidden", !data.ground_truth);
      this.root.querySelector("#blind-banner")?.remove();
      this.notify("Verdict submitted: other reviewers' work is shown now.", "ok");
    } catch (err) {
      this.notify(err instanceof ApiError ? err.describe() : String(err), "error");
    }
  }

  private async loadComments(): Promise<void> {
    try {
      this.model.comments = await listComments(this.urls.comments, this.data.media.id);
      this.comments.render();
      this.countTabs();
      this.view.requestDraw();
    } catch (err) {
      this.notify(err instanceof ApiError ? err.describe() : String(err), "error");
    }
  }

  private bindTransport(video: HTMLVideoElement): void {
    const on = (id: string, handler: () => void): void => {
      this.root.querySelector(`#${id}`)?.addEventListener("click", handler);
    };
    on("btn-back-10", () => this.clock.step(-10));
    on("btn-back-1", () => this.clock.step(-1));
    on("btn-play", () => this.togglePlay(video));
    on("btn-forward-1", () => this.clock.step(1));
    on("btn-forward-10", () => this.clock.step(10));
    on("btn-zoom-in", () => this.model.zoom(0.5));
    on("btn-zoom-out", () => this.model.zoom(2));
    on("btn-zoom-fit", () => this.model.fit());
    on("btn-prev-mark", () => this.act("prev-mark"));
    on("btn-next-mark", () => this.act("next-mark"));
    on("btn-next-high", () => this.act("next-high"));
    on("btn-help", () => { this.help.hidden = !this.help.hidden; });
    on("truth-toggle", () => this.act("toggle-truth"));
    on("btn-heat", () => this.act("toggle-map"));
    const heatButton = this.root.querySelector<HTMLButtonElement>("#btn-heat");
    if (heatButton && this.heat.hasMaps) {
      heatButton.hidden = false;
      heatButton.title = `The detector's heat map on the picture: ${this.mapCount()} analysed frames have one (m)`;
    }
    const play = this.root.querySelector<HTMLButtonElement>("#btn-play");
    const showPlaying = (): void => {
      if (play) play.textContent = video.paused ? "▶ Play" : "❚❚ Pause";
    };
    video.addEventListener("play", showPlaying);
    video.addEventListener("pause", showPlaying);
    const rate = this.root.querySelector<HTMLSelectElement>("#playback-rate");
    rate?.addEventListener("change", () => { video.playbackRate = Number(rate.value); });
    this.root.querySelector("#truth-toggle")?.toggleAttribute("hidden", !this.model.groundTruth);
  }

  private togglePlay(video: HTMLVideoElement): void {
    if (video.paused) void video.play();
    else video.pause();
  }

  private bindTabs(): void {
    for (const tab of this.root.querySelectorAll<HTMLButtonElement>("[data-tab]")) {
      tab.addEventListener("click", () => this.showTab(tab.dataset.tab ?? "verdict"));
    }
  }

  showTab(name: string): void {
    for (const tab of this.root.querySelectorAll<HTMLButtonElement>("[data-tab]")) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      const panel = this.root.querySelector<HTMLElement>(`#tab-${tab.dataset.tab}`);
      if (panel) panel.hidden = !on;
    }
  }

  private key(event: KeyboardEvent): void {
    const hit = actionFor(event);
    if (!hit) return;
    event.preventDefault();
    if (hit.action === "kind") {
      const kind = this.data.kinds[hit.digit - 1];
      if (kind) {
        this.pickKind(kind.slug);
        this.notify(`New marks: ${kind.label}.`, "ok");
      }
      return;
    }
    this.act(hit.action);
  }

  act(action: KeyAction): void {
    const m = this.model;
    const video = this.root.querySelector<HTMLVideoElement>("#review-video") as HTMLVideoElement;
    switch (action) {
      case "prev-frame": return this.clock.step(-1);
      case "next-frame": return this.clock.step(1);
      case "back-10": return this.clock.step(-10);
      case "forward-10": return this.clock.step(10);
      case "play": return this.togglePlay(video);
      case "range-start":
        m.pendingStart = m.frame;
        this.pendingRegion = null;
        this.notify(`Mark starts at frame ${m.frame}: step to its last frame and press ].`, "ok");
        return this.changed("selection");
      case "range-end": {
        const start = m.pendingStart ?? m.frame;
        const region = this.pendingRegion;
        m.pendingStart = null;
        this.pendingRegion = null;
        this.changed("selection");
        void this.createMark(start, m.frame, region);
        return;
      }
      case "verdict-real": return this.verdict.choose("real");
      case "verdict-fake": return this.verdict.choose("fake");
      case "verdict-uncertain": return this.verdict.choose("uncertain");
      case "next-mark":
      case "prev-mark": {
        const mark = m.adjacentMark(action === "next-mark" ? 1 : -1);
        if (!mark) return this.notify("No more marks that way.", "warn");
        m.select(mark.id);
        return this.seek(mark.start_frame);
      }
      case "next-high":
      case "prev-high": {
        const frame = m.adjacentHighFrame(action === "next-high" ? 1 : -1);
        if (frame === null) return this.notify(m.detection ? "No more high-score frames that way." : "No detection run on this video yet.", "warn");
        return this.seek(frame);
      }
      case "toggle-map":
        if (!this.heat.hasMaps) {
          return this.notify(m.detection ? "This detection run has no manipulation maps (its detector draws none, or it measured the signals only)." : "No detection run on this video yet.", "warn");
        }
        this.heat.setVisible(!this.heat.visible);
        this.root.querySelector("#btn-heat")?.setAttribute("aria-pressed", String(this.heat.visible));
        this.showEvidence();
        return this.notify(this.heat.visible ? `Heat map on: shown within ${this.reach} frames of an analysed frame with a map (m hides it).` : "Heat map off.", "ok");
      case "toggle-truth":
        if (!m.groundTruth) return this.notify(this.data.ground_truth_hidden ? "Ground truth is hidden until you submit your verdict." : "This video has no ground truth (it is not a fake made here).", "warn");
        m.showGroundTruth = !m.showGroundTruth;
        this.root.querySelector("#truth-toggle")?.setAttribute("aria-pressed", String(m.showGroundTruth));
        return this.view.requestDraw();
      case "delete-mark": {
        const mark = m.selectedMark;
        if (mark && this.marks.canEdit(mark)) void this.marks.remove(mark);
        return;
      }
      case "zoom-in": return m.zoom(0.5);
      case "zoom-out": return m.zoom(2);
      case "zoom-fit": return m.fit();
      case "comment":
        this.showTab("comments");
        return this.comments.focus();
      case "help":
        this.help.hidden = !this.help.hidden;
        return;
      case "escape":
        this.help.hidden = true;
        m.pendingStart = null;
        this.pendingRegion = null;
        this.regionTarget = null;
        this.root.classList.remove("redrawing-region");
        if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
        m.select(null);
        return this.changed("selection");
    }
  }
}

onReady(() => {
  const root = document.getElementById("review-workspace");
  if (!root) return;
  const urls = urlsFrom(root);
  const status = root.querySelector<HTMLElement>("#review-status");
  getTimeline(urls.timeline)
    .then((data) => {
      const workspace = new Workspace(root, urls, data);
      (window as unknown as { deepreviewWorkspace: Workspace }).deepreviewWorkspace = workspace;
    })
    .catch((err: unknown) => {
      if (status) {
        status.textContent = err instanceof ApiError ? err.describe() : "The review data could not be loaded; reload the page.";
        status.dataset.tone = "error";
      }
    });
});

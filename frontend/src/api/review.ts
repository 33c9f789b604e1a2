// Review API: marks, verdicts, comments, the timeline payload, summaries and agreement.
// Changes to marks, verdicts and consensus name the version they were made from; a
// 409 carries the current row in ApiError.details.current.
import { apiGet, apiList, apiPost, apiRequest, withParams } from "./client";
import type { FaceMap, FrameFlag, MapSummary, SignalReference } from "./detection";
import type { Paginated, Schemas } from "./types";

export type ReviewLabel = Schemas["ReviewLabelEnum"];
export type ReviewState = "unreviewed" | "undecided" | "decided";

export type ArtifactKind = Schemas["Kind"];

/** Region as fractions of the frame: [x0, y0, x1, y1]. */
export type Region = [number, number, number, number];

/** A mark; its region is the [x0, y0, x1, y1] the schema gives as four numbers. */
export type Mark = Omit<Schemas["MarkRead"], "region"> & { region: Region | null };

export interface MarkInput {
  kind: string;
  start_frame: number;
  end_frame: number;
  region: Region | null;
  note: string;
}

export type Verdict = Schemas["VerdictRead"];

export type Consensus = Schemas["ConsensusRead"];

export type Comment = Schemas["CommentRead"];

export interface SignalSeries {
  kind: string | null;
  description: string;
  unit: string;
  higher_is_suspicious: boolean | null;
  /** 0..1 per sampled frame, 0.5 = the video's typical value; null where unmeasured. */
  norm: (number | null)[];
  raw: (number | null)[];
}

export interface DetectionSeries {
  run: number;
  detector: string;
  status: string;
  message: string;
  score_mean: number | null;
  score_confident: number | null;
  threshold: number | null;
  label: "real" | "fake" | null;
  created_at: string;
  /** Sampled frame indices; `score` and every signal's arrays align with them. */
  frames?: number[];
  /** Analysed frames have a score; landmark-only samples between them have null. */
  score?: (number | null)[];
  signals?: Record<string, SignalSeries>;
  /** The score is a calibrated probability (absent on runs recorded before). */
  calibrated?: boolean;
  /** Share of held-out real videos the threshold flags. */
  threshold_fpr?: number | null;
  /** The detector's crop margin: each side of the face box grows by this share. */
  crop_margin?: number | null;
  /** Per sampled frame: why it is flagged, or null. */
  flags?: (FrameFlag | null)[];
  /** Analysed frame index (as a string) -> each face's manipulation map. */
  maps?: Record<string, FaceMap[]>;
  map_summary?: MapSummary | null;
  signal_reference?: SignalReference | null;
}

export interface SpriteInfo {
  url: string;
  columns: number;
  rows: number;
  tile_width: number;
  tile_height: number;
  frame_indices: number[];
}

export interface GroundTruth {
  conversion: number;
  /** Inclusive frame ranges that were manipulated. */
  manipulated_ranges: [number, number][];
  manipulated_count: number;
  /** Mask PNG of one frame: replace {frame}. */
  mask_url: string;
}

export interface TimelineData {
  media: {
    id: number;
    name: string;
    fps: number | null;
    frame_count: number;
    width: number;
    height: number;
    duration_seconds: number | null;
    origin: string | null;
    playback_url: string;
    frame_pts_url: string | null;
  };
  sprite: SpriteInfo | null;
  detection: DetectionSeries | null;
  ground_truth: GroundTruth | null;
  ground_truth_hidden: boolean;
  blind: boolean;
  marks: Mark[];
  /** The number of the last change to the marks this payload counts: ask for changes after it. */
  marks_change: number;
  kinds: ArtifactKind[];
  own_verdict: Verdict | null;
}

/** The visible marks written after a change number (as they are now) and the ids of deleted ones. */
export interface MarkChanges {
  last_change: number;
  revealed: boolean;
  marks: Mark[];
  deleted: number[];
}

export interface VideoAgreement {
  verdicts: number;
  labels: Partial<Record<ReviewLabel, number>>;
  pairwise_agreement: number | null;
  mark_overlap: Record<string, number>;
  disagreement: boolean;
  split_verdicts: boolean;
  low_overlap_kinds: string[];
}

export interface EffectiveLabel {
  label: ReviewLabel | null;
  source: "consensus" | "reviewers" | "detector" | null;
}

export interface VideoSummary {
  media: number;
  blind: boolean;
  revealed: boolean;
  state: ReviewState;
  verdicts: Verdict[];
  own_verdict: Verdict | null;
  consensus: Consensus | null;
  detector: { label: string; score: number | null; threshold: number | null; detector: string; run: number } | null;
  effective: EffectiveLabel;
  agreement: VideoAgreement | null;
  gold: { label: string } | null;
  can_adjudicate: boolean;
}

export function getTimeline(url: string): Promise<TimelineData> {
  return apiGet<TimelineData>(url);
}

export function getMarkChanges(url: string, since: number): Promise<MarkChanges> {
  return apiGet<MarkChanges>(withParams(url, { since }));
}

export function getSummary(url: string): Promise<VideoSummary> {
  return apiGet<VideoSummary>(url);
}

export function listMarks(marksUrl: string, mediaId: number): Promise<Mark[]> {
  return apiGet<Mark[]>(withParams(marksUrl, { media: mediaId }));
}

export function createMark(marksUrl: string, mediaId: number, input: MarkInput): Promise<Mark> {
  return apiRequest<Mark>(marksUrl, { method: "POST", json: { media: mediaId, ...input } });
}

export function updateMark(markUrl: string, version: number, changes: Partial<MarkInput>): Promise<Mark> {
  return apiRequest<Mark>(markUrl, { method: "PATCH", json: { ...changes, version } });
}

export function deleteMark(markUrl: string, version: number): Promise<void> {
  return apiRequest<void>(markUrl, { method: "DELETE", headers: { "If-Match": `"${version}"` } });
}

export function submitVerdict(
  verdictsUrl: string,
  mediaId: number,
  input: { label: ReviewLabel; confidence: number; rationale: string },
  version: number | null,
): Promise<Verdict> {
  return apiRequest<Verdict>(verdictsUrl, { method: "POST", json: { media: mediaId, ...input, version } });
}

export function adjudicate(url: string, label: ReviewLabel, note: string, version: number | null): Promise<Consensus> {
  return apiRequest<Consensus>(url, { method: "POST", json: { label, note, version } });
}

export function listComments(commentsUrl: string, mediaId: number): Promise<Comment[]> {
  return apiGet<Comment[]>(withParams(commentsUrl, { media: mediaId }));
}

export function createComment(
  commentsUrl: string,
  mediaId: number,
  frame: number,
  body: string,
  parent: number | null,
): Promise<Comment> {
  return apiRequest<Comment>(commentsUrl, { method: "POST", json: { media: mediaId, frame, body, parent } });
}

export function deleteComment(commentUrl: string): Promise<void> {
  return apiRequest<void>(commentUrl, { method: "DELETE" });
}

// ---- project review page: queue, inbox, assignments, gold videos, agreement ----

/** The newest detection run's call on a video, beside the reviewers' label. */
export interface DetectorSuggestion {
  label: string;
  score: number | null;
  detector: string;
}

/** One row of the review queue (review-list). */
export interface ReviewQueueRow {
  id: number;
  name: string;
  status: string;
  frame_count: number | null;
  duration_seconds: number | null;
  poster_url: string | null;
  /** Null while blind review hides it from this reviewer. */
  origin: string | null;
  identity: string | null;
  state: ReviewState;
  labels: Partial<Record<ReviewLabel, number>>;
  own_verdict: ReviewLabel | null;
  consensus: ReviewLabel | null;
  detector: DetectorSuggestion | null;
  effective: EffectiveLabel;
  /** Usernames of the reviewers the video is assigned to. */
  assigned: string[];
  /** Curators and owners only: the gold label of a hidden check video. */
  gold: "real" | "fake" | null;
}

export interface ReviewQueueFilters {
  state?: ReviewState | "";
  assigned?: "me" | "";
  disagreement?: boolean;
  page?: number;
  page_size?: number;
}

export function listReviewQueue(url: string, filters: ReviewQueueFilters, signal?: AbortSignal): Promise<Paginated<ReviewQueueRow>> {
  const params = {
    state: filters.state || null,
    assigned: filters.assigned || null,
    disagreement: filters.disagreement ? "true" : null,
    page: filters.page ?? null,
    page_size: filters.page_size ?? null,
  };
  return apiList<ReviewQueueRow>(withParams(url, params), signal);
}

/** A reviewer's own progress on an assigned video: "undecided" = they said uncertain. */
export type InboxState = "unreviewed" | "undecided" | "done";

export interface InboxRow {
  id: number;
  media: number;
  media_name: string;
  reviewer: string;
  reviewer_id: number;
  assigned_by: string | null;
  created_at: string;
  state: InboxState;
  /** The reviewer's own marks on the video. */
  marks: number;
  verdict: Verdict | null;
  frame_count: number | null;
  duration_seconds: number | null;
}

export interface Inbox {
  total: number;
  counts: Record<InboxState, number>;
  results: InboxRow[];
}

export function getInbox(url: string): Promise<Inbox> {
  return apiGet<Inbox>(url);
}

export interface AssignResult {
  created: number;
  existing: number;
}

/** Puts every video in every reviewer's inbox; pairs already there are kept. */
export function createAssignments(url: string, media: number[], reviewers: number[]): Promise<AssignResult> {
  return apiPost<AssignResult>(url, { media, reviewers });
}

/** Makes a video a hidden gold check; `label` null takes its known origin. */
export function setGold(url: string, label: "real" | "fake" | null): Promise<{ media: number; label: "real" | "fake" }> {
  return apiPost<{ media: number; label: "real" | "fake" }>(url, { label });
}

export function clearGold(url: string): Promise<void> {
  return apiRequest<void>(url, { method: "DELETE" });
}

export interface KindOverlap {
  kind: string;
  label: string;
  /** Videos where at least one pair of reviewers marked the kind. */
  videos: number;
  /** Mean pairwise frame IoU, 0..1. */
  mean_iou: number;
}

export interface Disagreement {
  media: number;
  name: string;
  labels: Partial<Record<ReviewLabel, number>>;
  pairwise_agreement: number | null;
  low_overlap_kinds: string[];
  consensus: ReviewLabel | null;
}

export interface GoldAccuracy {
  answered: number;
  correct: number;
  uncertain: number;
  accuracy: number | null;
}

export interface ReviewerStats {
  reviewer: number;
  username: string;
  verdicts: number;
  labels: Partial<Record<ReviewLabel, number>>;
  marks: number;
  /** Curators and owners only. */
  gold?: GoldAccuracy;
}

export interface ProjectAgreement {
  videos: number;
  states: Record<ReviewState, number>;
  videos_with_two_or_more: number;
  verdicts: number;
  /** Nominal Krippendorff's alpha over videos x reviewers; null when undefined. */
  krippendorff_alpha: number | null;
  mark_overlap: KindOverlap[];
  disagreements: Disagreement[];
  reviewers: ReviewerStats[];
  gold_videos: number | null;
  blind: boolean;
}

export function getAgreement(url: string): Promise<ProjectAgreement> {
  return apiGet<ProjectAgreement>(url);
}

export type ProjectMember = Schemas["MembershipRead"];

export function listMembers(url: string): Promise<ProjectMember[]> {
  return apiGet<ProjectMember[]>(url);
}

/** An owner turns the project's blind review on or off (PATCH project-detail). */
export function setBlindReview(projectUrl: string, on: boolean): Promise<{ blind_review: boolean }> {
  return apiRequest<{ blind_review: boolean }>(projectUrl, { method: "PATCH", json: { blind_review: on } });
}

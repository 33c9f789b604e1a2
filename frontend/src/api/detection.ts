// Shapes and calls of the detection API: learned detectors (create, train,
// evaluate), the "what gets caught" matrix, and detection runs on videos.
import { apiGet, apiList, apiPost, withParams } from "./client";
import type { Job, Media, Schemas } from "./types";
import type { OptionValue } from "../shared/optionFields";

export type DetectorStatus = Schemas["DetectorReadStatusEnum"];

/** Metrics of one labeled set of scores (the trainer's per-epoch validation, an evaluation). */
export interface BinaryMetrics {
  count: number;
  auc: number | null;
  log_loss: number;
  accuracy: number;
  eer: number | null;
  eer_threshold: number | null;
  confusion: Confusion;
}

/** Counts at one threshold: tp = fakes called fake, tn = reals called real. */
export interface Confusion {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  accuracy: number;
}

/** One epoch of training, as the training job stores it in Detector.history. */
export interface EpochMetrics {
  epoch: number;
  train_loss: number;
  val: BinaryMetrics;
  learning_rate: number;
  seconds: number;
}

/**
 * Platt scaling fitted on the kept epoch's validation faces (absent on detectors
 * trained before): `calibration` is null when the detector was left uncalibrated, and
 * `threshold_fpr` the share of the `real_videos` validation real videos its threshold flags.
 */
export interface DetectorCalibration {
  calibration: { method: string; a: number; b: number } | null;
  threshold_fpr: number | null;
  log_loss: number | null;
  log_loss_uncalibrated: number | null;
  real_videos: number | null;
}

/** A detector; its JSON columns' shapes are written here (the schema leaves them open). */
export type Detector = Omit<Schemas["DetectorRead"], "options" | "history" | "best" | "training_set"> & {
  options: Record<string, number>;
  history: EpochMetrics[];
  /** The kept epoch (lowest validation log loss) and its calibration, or {} until trained. */
  best: Partial<EpochMetrics & DetectorCalibration>;
  training_set: {
    videos?: number;
    faces?: number;
    split?: Record<string, Record<string, number>>;
    dataset?: Record<string, unknown>;
  };
};

export interface EvaluatedVideo {
  media: number;
  name: string;
  /** 1 = fake, 0 = real. */
  label: 0 | 1;
  score: number;
}

export interface Evaluation {
  detector: number;
  threshold: number | null;
  videos: EvaluatedVideo[];
  /** Labeled videos this detector has not run on yet. */
  not_run: number[];
  /** Labeled videos whose latest run found no faces (no score). */
  no_faces: number[];
  /** Present when the scored videos do not hold both labels. */
  message?: string;
  metrics?: BinaryMetrics;
  roc?: { fpr: number[]; tpr: number[]; thresholds: (number | null)[] };
}

export interface Rate {
  caught: number;
  of: number;
  rate: number | null;
}

export interface CaughtRow {
  settings: {
    model: string;
    mask: string | null;
    feather_px: number | null;
    color_transfer: string | null;
    seamless_clone: boolean | null;
  };
  videos: number;
  detectors: Record<string, Rate>;
  signals: Record<string, Rate>;
}

export interface CaughtMatrix {
  rows: CaughtRow[];
  detectors: string[];
  signal_threshold_z: number;
}

/** One forensic signal's video-level summary in a detection run. */
export interface SignalSummary {
  name: string;
  kind: string;
  description: string;
  unit: string;
  higher_is_suspicious: boolean | null;
  temporal: boolean;
  scale: { method?: string; centre?: number | null; spread?: number | null; count?: number };
  summary: {
    count?: number;
    mean?: number | null;
    median?: number | null;
    p90?: number | null;
    max?: number | null;
    blinks?: number;
    observed_seconds?: number;
    blinks_per_minute?: number | null;
    sample_fps?: number | null;
  };
}

export type RunStatus = "ok" | "no_faces";

/** The video's map summary: which region the flagged faces' manipulation maps point at. */
export interface MapSummary {
  region: "face boundary" | "eyes" | "mouth" | "whole face" | null;
  flagged_faces: number;
  counts: Record<string, number>;
  /** One sentence, e.g. "Most flagged faces (5 of 7) show manipulation at the mouth." */
  text: string;
}

/** The video's signals against real videos: each signal's percentile (0..1) among the
 * reference set's video-level statistic, and the fusion of them into a probability. */
export interface SignalReference {
  statistic: string;
  reference_videos: number;
  source?: string;
  signals: Record<string, { value: number | null; percentile: number | null }>;
  fusion_probability: number | null;
  /** What the bench measured for the fusion on other tools' clips (built-in reference). */
  fusion_external?: ExternalCheck | null;
}

/** What bench/detect_external.py measured on other tools' clips for a shipped score:
 * video AUC overall and per kind of fake, and the sentence the pages show. */
export interface ExternalCheck {
  measured: string;
  clips: number;
  reals: number;
  fakes: number;
  auc: number;
  by_kind?: Record<string, { fakes: number; auc: number }>;
  text: string;
  /** The kinds of fake a low score does not clear, in a sentence; null when none. */
  warning: string | null;
}

/** Why a sampled frame is flagged: the detector at or above its threshold (and where
 * its map points), or a suspicious signal far above the video's normal. */
export type FrameFlag =
  | { by: "detector"; score: number; region: string | null }
  | { by: "signal"; signal: string; z: number };

/** One face's manipulation map on an analysed frame. */
export interface FaceMap {
  /** Face box in source pixels [x0, y0, x1, y1]. */
  box: [number, number, number, number];
  /** MAP_SIZE x MAP_SIZE values in 0..1 over the detector's crop square (rows top to bottom). */
  map: number[][];
  score: number | null;
  region: string | null;
}

/**
 * What a run's score means, from the run's stored series (the web page view
 * `detection-explanations-page`). `calibrated` is null for runs recorded before
 * calibration was recorded: say nothing about them.
 */
export interface RunExplanation {
  calibrated: boolean | null;
  threshold: number | null;
  /** Share (0..1) of held-out real videos the threshold flags. */
  threshold_fpr: number | null;
  /** The built-in detector's figures on other tools' clips; null for other detectors. */
  external_check?: ExternalCheck | null;
  map_summary: MapSummary | null;
  signal_reference: SignalReference | null;
  flagged_frames: number;
  map_frames: number;
}

/** A detection run; its per-signal summaries are written here (a JSON column). */
export type DetectionRun = Omit<Schemas["DetectionRun"], "signals" | "options"> & {
  signals: Record<string, SignalSummary>;
  options: Record<string, unknown>;
};

/** What the detection page's forms may send, rendered by the view (json_script). */
export interface DetectionFormSpec {
  archs: string[];
  min_videos_per_label: number;
}

/** Every address the detection page talks to; `{id}` stands for a detector's id. */
export interface DetectionUrls {
  detectors: string;
  detector: string;
  train: string;
  evaluation: string;
  caught: string;
  detections: string;
  explanations: string;
  media: string;
  jobs: string;
}

export const ARCH_LABELS: Record<string, string> = {
  meso4: "meso4 (MesoNet, fast on CPU)",
  efficientnet_b0: "efficientnet_b0 (EfficientNet-B0, GPU)",
  efficientnet_lite0: "efficientnet_lite0 (fine-tunes the built-in detector)",
  efficientnet_lite2: "efficientnet_lite2 (EfficientNet-Lite2)",
};

/** Badge class of a detector status, in the job status palette. */
export function detectorStatusClass(status: DetectorStatus): string {
  switch (status) {
    case "training":
      return "status-running";
    case "ready":
      return "status-succeeded";
    case "failed":
      return "status-failed";
    default:
      return "status-queued";
  }
}

/**
 * A signal's 90th percentile as a robust z-score in its suspicious direction,
 * the figure the "what gets caught" matrix counts (null when it has none).
 */
export function signalP90z(signal: SignalSummary): number | null {
  const p90 = signal.summary.p90;
  const centre = signal.scale.centre;
  const spread = signal.scale.spread;
  if (p90 === null || p90 === undefined || centre === null || centre === undefined || !spread) return null;
  const z = (p90 - centre) / spread;
  return signal.higher_is_suspicious === false ? -z : z;
}

/** Explanations of some runs, by run id (as a string); {} when there is nothing to ask. */
export async function fetchExplanations(url: string, runIds: number[], signal?: AbortSignal): Promise<Record<string, RunExplanation>> {
  if (!runIds.length) return {};
  const answer = await apiGet<{ runs: Record<string, RunExplanation> }>(withParams(url, { runs: runIds.join(",") }), signal);
  return answer.runs ?? {};
}

function fill(template: string, id: number): string {
  return template.replace("{id}", String(id));
}

export class DetectionApi {
  constructor(readonly urls: DetectionUrls) {}

  async detectors(signal?: AbortSignal): Promise<Detector[]> {
    const page = await apiList<Detector>(withParams(this.urls.detectors, { page_size: 200 }), signal);
    return page.results;
  }

  createDetector(body: { name: string; arch: string; options: Record<string, OptionValue> }): Promise<Detector> {
    return apiPost<Detector>(this.urls.detectors, body);
  }

  train(id: number): Promise<Job> {
    return apiPost<Job>(fill(this.urls.train, id));
  }

  evaluation(id: number, params: { media: number[] | null; threshold: number | null }, signal?: AbortSignal): Promise<Evaluation> {
    const url = withParams(fill(this.urls.evaluation, id), {
      media: params.media && params.media.length ? params.media.join(",") : null,
      threshold: params.threshold,
    });
    return apiGet<Evaluation>(url, signal);
  }

  caught(signal?: AbortSignal): Promise<CaughtMatrix> {
    return apiGet<CaughtMatrix>(this.urls.caught, signal);
  }

  async runs(params: { media?: number; pageSize?: number } = {}, signal?: AbortSignal): Promise<{ runs: DetectionRun[]; count: number }> {
    const page = await apiList<DetectionRun>(withParams(this.urls.detections, { media: params.media, page_size: params.pageSize ?? 50 }), signal);
    return { runs: page.results, count: page.count };
  }

  /** `detector` null runs the built-in detector; `signals_only` the forensic signals alone. */
  detect(body: { media: number[]; detector: number | null; signals_only: boolean; options: Record<string, OptionValue> }): Promise<Job[]> {
    return apiPost<Job[]>(this.urls.detections, body);
  }

  explanations(runIds: number[], signal?: AbortSignal): Promise<Record<string, RunExplanation>> {
    return fetchExplanations(this.urls.explanations, runIds, signal);
  }

  /** The project's ready videos (detection runs on these). */
  async videos(signal?: AbortSignal): Promise<Media[]> {
    const page = await apiList<Media>(withParams(this.urls.media, { kind: "video", status: "ready", ordering: "name", page_size: 200 }), signal);
    return page.results;
  }
}

// What a detection score means, in words: a calibrated probability or an uncalibrated
// score, what its threshold flags among real videos, where the detector's maps point,
// the forensic signals' second opinion and where each signal ranks among real videos,
// and why a frame is flagged. Shared by the video page's card, the detection runs
// table and the review workspace; the fact-check report says the same server-side.
import type { FrameFlag, RunExplanation, SignalReference } from "../api/detection";
import { signalLabel } from "./caughtMatrix";
import { h } from "../shared/dom";
import { humanize } from "../shared/format";

/** A share 0..1 as a percentage: "3%", "0.4%" under one percent. */
export function percent(share: number): string {
  const value = share * 100;
  if (value > 0 && value < 1) return `${value.toFixed(1)}%`;
  return `${Math.round(value)}%`;
}

/** "10 validation real videos", "1 validation real video", "the validation real videos". */
export function realVideos(count: number | null | undefined): string {
  return count === null || count === undefined ? "the validation real videos" : `${count} validation real video${count === 1 ? "" : "s"}`;
}

/** What to call a run's score: a probability only when the detector is calibrated. */
export function scoreName(calibrated: boolean | null | undefined): string {
  if (calibrated === true) return "Fake probability";
  if (calibrated === false) return "Uncalibrated score";
  return "Score";
}

/** "threshold 0.50 flags 3% of real videos" (without the rate when it is unknown). */
export function thresholdWords(threshold: number | null | undefined, fpr: number | null | undefined): string {
  if (threshold === null || threshold === undefined) return "";
  const base = `threshold ${threshold.toFixed(2)}`;
  return fpr === null || fpr === undefined ? base : `${base} flags ${percent(fpr)} of real videos`;
}

/** "higher than 97% of real videos" / "lower than 88% of real videos". */
export function percentileWords(share: number): string {
  return share >= 0.5 ? `higher than ${percent(share)} of real videos` : `lower than ${percent(1 - share)} of real videos`;
}

/** Signals with a percentile, the most unusual first (furthest from the middle). */
export function rankedPercentiles(reference: SignalReference | null | undefined): { name: string; percentile: number }[] {
  if (!reference) return [];
  return Object.entries(reference.signals ?? {})
    .filter((entry): entry is [string, { value: number | null; percentile: number }] => typeof entry[1]?.percentile === "number")
    .map(([name, value]) => ({ name, percentile: value.percentile }))
    .sort((a, b) => Math.abs(b.percentile - 0.5) - Math.abs(a.percentile - 0.5) || a.name.localeCompare(b.name));
}

/** "at the mouth", "over the whole face". */
export function regionWords(region: string | null | undefined): string {
  if (!region) return "";
  return region === "whole face" ? "over the whole face" : `at the ${region}`;
}

/** "Flagged: detector 0.91 at the mouth" / "Flagged: face blur z 4.1". */
export function flagWords(flag: FrameFlag | null | undefined): string {
  if (!flag) return "";
  if (flag.by === "detector") {
    const where = regionWords(flag.region);
    return `Flagged: detector ${flag.score.toFixed(2)}${where ? ` ${where}` : ""}`;
  }
  return `Flagged: ${humanize(flag.signal)} z ${flag.z.toFixed(1)}`;
}

/** Whether an explanation has anything to show beyond the score itself. */
export function hasEvidence(expl: RunExplanation | null | undefined): boolean {
  if (!expl) return false;
  return Boolean(expl.map_summary?.text) || Boolean(expl.external_check?.text) || rankedPercentiles(expl.signal_reference).length > 0 || typeof expl.signal_reference?.fusion_probability === "number";
}

/** "second opinion (signals): fake probability 0.34", or "" without a fusion; with what
 * the bench measured for the fusion when the reference carries it ("weak: video AUC 0.55 ..."). */
export function secondOpinionWords(reference: SignalReference | null | undefined, alone = false): string {
  const p = reference?.fusion_probability;
  if (typeof p !== "number") return "";
  const words = alone ? `Signals' fake probability ${p.toFixed(2)}` : `Second opinion (signals): fake probability ${p.toFixed(2)}`;
  const measured = reference?.fusion_external?.text;
  return measured ? `${words} (${measured})` : words;
}

/**
 * The evidence block of the video page's card: the map summary, the signals' second
 * opinion and each signal's percentile among real videos. `alone`: no detector ran,
 * so the signals' fusion is the run's only probability.
 */
export function evidenceBlock(expl: RunExplanation, alone: boolean): HTMLElement | null {
  if (!hasEvidence(expl)) return null;
  const ranked = rankedPercentiles(expl.signal_reference);
  const ref = expl.signal_reference;
  const opinion = secondOpinionWords(ref, alone);
  const external = expl.external_check?.text;
  return h(
    "div",
    { class: "detection-evidence", id: "detection-evidence" },
    external && !alone
      ? h(
          "p",
          { class: "detection-external-check", id: "detection-external-check", title: `Measured ${expl.external_check?.measured} by bench/detect_external.py on clips nobody trained on: the chance that a fake of that kind scores above a real clip` },
          `${external} `,
          expl.external_check?.warning ? h("strong", {}, expl.external_check.warning) : null,
        )
      : null,
    expl.map_summary?.text ? h("p", { class: "detection-map-summary", id: "detection-map-summary" }, expl.map_summary.text) : null,
    opinion
      ? h(
          "p",
          { class: "detection-second-opinion", id: "detection-second-opinion", title: "A logistic regression over the signals' percentiles among real videos: an independent check on the detector" },
          opinion,
        )
      : null,
    ranked.length
      ? h(
          "div",
          { class: "signal-percentiles-block" },
          h(
            "p",
            { class: "muted small signal-percentiles-head" },
            `Signals against ${ref?.reference_videos ? `${ref.reference_videos} ` : ""}real videos (each signal's ${ref?.statistic ?? "p90"} over this video):`,
          ),
          h(
            "ul",
            { class: "signal-percentiles", id: "signal-percentiles" },
            ...ranked.map(({ name, percentile }) =>
              h(
                "li",
                { "data-signal": name, "data-percentile": percentile.toFixed(4), class: percentile >= 0.95 || percentile <= 0.05 ? "percentile-unusual" : null },
                h("span", { class: "signal-percentile-name" }, signalLabel(name)),
                ": ",
                percentileWords(percentile),
              ),
            ),
          ),
        )
      : null,
  );
}

/** One line for the runs table: probability and threshold meaning, map, second opinion, top signals. */
export function evidenceLine(expl: RunExplanation, scored: boolean): string {
  const parts: string[] = [];
  // An uncalibrated score says so in its own cell; a probability's threshold gets its meaning here.
  if (scored && expl.calibrated) {
    const threshold = thresholdWords(expl.threshold, expl.threshold_fpr);
    parts.push(`calibrated probability${threshold ? `, ${threshold}` : ""}`);
  }
  const mapText = expl.map_summary?.flagged_faces ? expl.map_summary.text.replace(/\.$/, "") : "";
  if (mapText) parts.push(parts.length ? mapText.charAt(0).toLowerCase() + mapText.slice(1) : mapText);
  const opinion = secondOpinionWords(expl.signal_reference, !scored);
  if (opinion) parts.push(scored ? opinion.replace(/^Second/, "second") : opinion);
  const top = rankedPercentiles(expl.signal_reference)
    .filter((s) => s.percentile >= 0.9 || s.percentile <= 0.1)
    .slice(0, 3)
    .map((s) => `${humanize(s.name)} ${percentileWords(s.percentile)}`);
  if (top.length) parts.push(top.join(", "));
  return parts.join(" · ");
}

// What a detection run is asked to use, wherever one is started (the video page's
// detection card, the detection page's run form): the built-in detector by default
// (it needs no training; the API takes `detector: null` for it), then the project's
// trained detectors, then the forensic signals alone (`signals_only: true`).
import type { Detector } from "../api/detection";
import { h } from "../shared/dom";

export const BUILTIN_VALUE = "builtin";
export const SIGNALS_ONLY_VALUE = "signals";
/** The run's detector_name for the built-in detector (deepreview_workers ... builtin.BUILTIN_NAME). */
export const BUILTIN_NAME = "Built-in detector";

export interface DetectorChoice {
  detector: number | null;
  signals_only: boolean;
}

/** The options of a detector <select>: built-in first, trained ones, signals only last. */
export function detectorOptions(detectors: readonly Detector[]): HTMLOptionElement[] {
  const trained = detectors.filter((d) => d.threshold !== null);
  return [
    h("option", { value: BUILTIN_VALUE, title: "Ships with deepreview: no training needed; calibrated, with a manipulation map" }, `${BUILTIN_NAME} + signals`),
    ...trained.map((d) => h("option", { value: d.id }, `${d.name} (${d.arch}) + signals`)),
    h("option", { value: SIGNALS_ONLY_VALUE, title: "No detector: the forensic signals alone" }, "Forensic signals only"),
  ];
}

/** Fills `select` with the choices, keeping the current one when it is still offered. */
export function fillDetectorSelect(select: HTMLSelectElement, detectors: readonly Detector[]): void {
  const current = select.value;
  select.replaceChildren(...detectorOptions(detectors));
  select.value = [...select.options].some((o) => o.value === current) ? current : BUILTIN_VALUE;
}

/** What the API is sent for a <select> value. */
export function detectorChoice(value: string): DetectorChoice {
  if (value === SIGNALS_ONLY_VALUE) return { detector: null, signals_only: true };
  const id = Number(value);
  if (value && value !== BUILTIN_VALUE && Number.isInteger(id)) return { detector: id, signals_only: false };
  return { detector: null, signals_only: false };
}

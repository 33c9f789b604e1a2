// The annotator's keyboard map and its help overlay (press ?). One table drives both,
// so the overlay can never disagree with what the keys do.
import { h } from "../shared/dom";

export type KeyAction =
  | "prev-frame"
  | "next-frame"
  | "back-10"
  | "forward-10"
  | "play"
  | "range-start"
  | "range-end"
  | "kind"
  | "verdict-real"
  | "verdict-fake"
  | "verdict-uncertain"
  | "next-mark"
  | "prev-mark"
  | "next-high"
  | "prev-high"
  | "toggle-truth"
  | "toggle-map"
  | "delete-mark"
  | "zoom-in"
  | "zoom-out"
  | "zoom-fit"
  | "comment"
  | "help"
  | "escape";

interface Binding {
  keys: string[];
  action: KeyAction;
  help: string;
  shift?: boolean;
}

export const BINDINGS: Binding[] = [
  { keys: ["ArrowLeft", ","], action: "prev-frame", help: "Previous frame" },
  { keys: ["ArrowRight", "."], action: "next-frame", help: "Next frame" },
  { keys: ["ArrowLeft", "<"], action: "back-10", help: "10 frames back", shift: true },
  { keys: ["ArrowRight", ">"], action: "forward-10", help: "10 frames forward", shift: true },
  { keys: [" ", "k"], action: "play", help: "Play / pause" },
  { keys: ["["], action: "range-start", help: "Start a mark at this frame" },
  { keys: ["]"], action: "range-end", help: "End the mark here and save it (a box drawn meanwhile is kept)" },
  { keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9"], action: "kind", help: "Pick artifact kind 1–9 for new marks" },
  { keys: ["r"], action: "verdict-real", help: "Verdict: real (saves)" },
  { keys: ["f"], action: "verdict-fake", help: "Verdict: fake (saves)" },
  { keys: ["u"], action: "verdict-uncertain", help: "Verdict: uncertain (saves)" },
  { keys: ["n"], action: "next-mark", help: "Jump to the next mark" },
  { keys: ["p"], action: "prev-mark", help: "Jump to the previous mark" },
  { keys: ["h"], action: "next-high", help: "Jump to the next high-score frame" },
  { keys: ["H"], action: "prev-high", help: "Jump to the previous high-score frame", shift: true },
  { keys: ["g"], action: "toggle-truth", help: "Show / hide ground truth (known fakes, not in blind review)" },
  { keys: ["m"], action: "toggle-map", help: "Show / hide the detector's heat map on the picture (analysed frames)" },
  { keys: ["Delete", "Backspace"], action: "delete-mark", help: "Delete the selected mark" },
  { keys: ["+", "="], action: "zoom-in", help: "Zoom the timeline in" },
  { keys: ["-"], action: "zoom-out", help: "Zoom the timeline out" },
  { keys: ["z"], action: "zoom-fit", help: "Show the whole video on the timeline" },
  { keys: ["c"], action: "comment", help: "Comment on this frame" },
  { keys: ["?"], action: "help", help: "Show / hide this help" },
  { keys: ["Escape"], action: "escape", help: "Cancel a started mark, deselect, close help" },
];

const LABELS: Record<string, string> = { ArrowLeft: "←", ArrowRight: "→", " ": "Space", Escape: "Esc" };

/** The action for a key press, or null. Typing in a field is never a shortcut. */
export function actionFor(event: KeyboardEvent): { action: KeyAction; digit: number } | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const target = event.target;
  const typing = target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  if (typing && event.key !== "Escape") return null;
  const arrow = event.key === "ArrowLeft" || event.key === "ArrowRight";
  for (const binding of BINDINGS) {
    if (!binding.keys.includes(event.key)) continue;
    // Shift picks the ±10 arrows; other shifted characters (<, >, ?, H) are their own keys.
    if (arrow && Boolean(binding.shift) !== event.shiftKey) continue;
    return { action: binding.action, digit: binding.action === "kind" ? Number(event.key) : 0 };
  }
  return null;
}

export function helpOverlay(): HTMLElement {
  const rows = BINDINGS.map((b) => {
    const keys = b.keys.filter((k) => !(b.action === "kind" && k !== "1" && k !== "9"));
    const shown = b.action === "kind" ? ["1", "…", "9"] : keys.map((k) => `${b.shift && k.startsWith("Arrow") ? "Shift+" : ""}${LABELS[k] ?? k}`);
    return h("tr", {}, h("td", {}, ...shown.flatMap((k, i) => [i ? " " : "", h("kbd", {}, k)])), h("td", {}, b.help));
  });
  const close = h("button", { type: "button", class: "btn btn-small" }, "Close");
  const overlay = h("div", { class: "key-help", role: "dialog", "aria-label": "Keyboard shortcuts", hidden: true },
    h("div", { class: "key-help-card" },
      h("h2", {}, "Keyboard"),
      h("table", {}, h("tbody", {}, ...rows)),
      h("p", { class: "muted small" }, "Drag on the picture to mark a region; scroll on the timeline to zoom, drag it to pan."),
      close));
  close.addEventListener("click", () => { overlay.hidden = true; });
  overlay.addEventListener("click", (event) => {
    if (event.target === overlay) overlay.hidden = true;
  });
  return overlay;
}

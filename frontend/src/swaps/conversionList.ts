// The fakes a swap model made: each links to the fake's video page (where its
// ground truth overlays the video), with its source and manipulated frames.
import type { Conversion } from "../api/swaps";
import { directionLabel } from "../api/swaps";
import type { Media } from "../api/types";
import { h } from "../shared/dom";
import { formatAbsolute, formatRelative } from "../shared/format";

/** [[3, 9], [12, 12]] → "3–9, 12"; long lists are cut after `max` ranges. */
export function formatRanges(ranges: readonly (readonly [number, number])[], max = 6): string {
  const parts = ranges.slice(0, max).map(([first, last]) => (first === last ? String(first) : `${first}–${last}`));
  if (ranges.length > max) parts.push(`… (${ranges.length} ranges)`);
  return parts.join(", ");
}

export class ConversionList {
  constructor(
    private readonly root: HTMLElement,
    private readonly mediaUrl: (id: number) => string,
    private readonly names: { a: string | null; b: string | null },
  ) {
    root.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  }

  render(conversions: Conversion[], media: Map<number, Media>): void {
    this.root.dataset.count = String(conversions.length);
    if (!conversions.length) {
      this.root.replaceChildren(
        h("p", { class: "muted" }, "No fakes yet. Converted videos arrive as new media marked fake, each with per-frame ground-truth masks."),
      );
      return;
    }
    const link = (id: number | null, fallback: string): Node => {
      if (id === null) return h("span", { class: "muted" }, fallback);
      return h("a", { href: this.mediaUrl(id) }, media.get(id)?.name ?? `video #${id}`);
    };
    this.root.replaceChildren(
      h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { class: "data conversion-table", id: "conversion-table" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "Fake"),
              h("th", { scope: "col" }, "Source"),
              h("th", { scope: "col" }, "Direction"),
              h("th", { scope: "col", class: "num" }, "Manipulated frames"),
              h("th", { scope: "col" }, "Ranges"),
              h("th", { scope: "col" }, "Made"),
            ),
          ),
          h(
            "tbody",
            {},
            ...conversions.map((c) => {
              const share = c.frame_count ? Math.round((100 * c.manipulated_count) / c.frame_count) : 0;
              return h(
                "tr",
                { "data-conversion-id": c.id, "data-output-media": c.output_media },
                h("td", {}, h("span", { class: "badge badge-fake" }, "fake"), " ", link(c.output_media, "deleted")),
                h("td", {}, link(c.source_media, "deleted")),
                h("td", {}, directionLabel(c.direction, this.names.a, this.names.b)),
                h("td", { class: "num" }, `${c.manipulated_count.toLocaleString()} of ${c.frame_count.toLocaleString()}`, h("span", { class: "muted" }, ` (${share}%)`)),
                h("td", { class: "mono-num conversion-ranges", title: formatRanges(c.manipulated_ranges, 1000) }, formatRanges(c.manipulated_ranges)),
                h(
                  "td",
                  { class: "muted" },
                  c.created_at ? h("time", { datetime: c.created_at, title: formatAbsolute(c.created_at), class: "relative" }, formatRelative(c.created_at)) : "—",
                ),
              );
            }),
          ),
        ),
      ),
    );
  }

  showError(message: string): void {
    this.root.replaceChildren(h("p", { class: "error-text" }, message));
  }
}

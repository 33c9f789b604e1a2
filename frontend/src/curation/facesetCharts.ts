// Faceset charts: pose coverage (which head angles are missing), blur and face
// size histograms, drawn from the stats endpoint and redrawn after each action.
import { ApiError } from "../api/client";
import type { FacesetApi } from "../api/facesets";
import { heatmap, histogram } from "../shared/charts/plotly";
import { h, setText } from "../shared/dom";

export class FacesetCharts {
  private readonly pose: HTMLDivElement;
  private readonly blur: HTMLDivElement;
  private readonly size: HTMLDivElement;
  private readonly summary: HTMLParagraphElement;
  private timer: number | undefined;

  constructor(
    root: HTMLElement,
    private readonly api: FacesetApi,
  ) {
    this.pose = h("div", { class: "chart chart-pose", id: "chart-pose" });
    this.blur = h("div", { class: "chart", id: "chart-blur" });
    this.size = h("div", { class: "chart", id: "chart-size" });
    this.summary = h("p", { class: "muted chart-summary", role: "status" });
    root.replaceChildren(this.summary, h("div", { class: "chart-row" }, this.pose, this.blur, this.size));
  }

  /** Debounced refresh: actions come in bursts (delete, then undo). */
  schedule(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refresh(), 250);
  }

  async refresh(): Promise<void> {
    try {
      const stats = await this.api.stats();
      const cells = stats.pose.counts.length * (stats.pose.counts[0]?.length ?? 0);
      setText(
        this.summary,
        stats.face_count
          ? `${stats.face_count.toLocaleString()} faces cover ${cells - stats.pose.empty_bins} of ${cells} yaw/pitch cells; ` +
              `red cells are missing angles.`
          : "No faces yet: extract some to see pose coverage and quality.",
      );
      heatmap(this.pose, {
        title: "Pose coverage (missing angles in red)",
        xEdges: stats.pose.yaw_edges,
        yEdges: stats.pose.pitch_edges,
        counts: stats.pose.counts,
        xTitle: "yaw °",
        yTitle: "pitch °",
        emptyLabel: "missing angle",
      });
      histogram(this.blur, {
        title: "Sharpness (variance of Laplacian)",
        counts: stats.blur.counts,
        edges: stats.blur.edges,
        xTitle: "blur score (low = blurry)",
        color: "#0f766e",
      });
      histogram(this.size, {
        title: "Face size in source",
        counts: stats.size.counts,
        edges: stats.size.edges,
        xTitle: "px",
        color: "#7c3aed",
      });
      this.summary.classList.remove("error-text");
    } catch (err) {
      setText(this.summary, `Could not load the charts: ${err instanceof ApiError ? err.describe() : String(err)}`);
      this.summary.classList.add("error-text");
    }
  }
}

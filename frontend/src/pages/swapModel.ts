// Swap model page: live training figures and controls, the loss curve, the
// preview timelapse, the convert card (curators) and the fakes the model made.
//
// While a training job of this model is queued or running the page re-reads the
// model every few seconds; otherwise every half minute, and at once whenever a
// jobs panel reports a change.
import { ApiError, apiList, withParams } from "../api/client";
import {
  isActiveJob,
  type LossPoint,
  SwapModelApi,
  type SwapModelDetail,
  type SwapModelUrls,
  swapStatusClass,
} from "../api/swaps";
import type { Job, Media } from "../api/types";
import { lineChart } from "../shared/charts/plotly";
import { ConversionList } from "../swaps/conversionList";
import { ConvertForm } from "../swaps/convertForm";
import { dataBool, dataNumber, dataUrls, onReady, setAttr, setText } from "../shared/dom";
import { startRelativeTimes } from "../shared/format";
import { JOBS_CHANGED_EVENT, type JobsChangedDetail, JobsPanel } from "../shared/jobs";
import { PreviewTimelapse } from "../swaps/previewTimelapse";
import { TrainingPanel } from "../swaps/swapTraining";

const ACTIVE_POLL_MS = 3_000;
const IDLE_POLL_MS = 30_000;
const LOSS_A_COLOUR = "#4f46e5";
const LOSS_B_COLOUR = "#0f766e";

function readUrls(root: HTMLElement): SwapModelUrls {
  return dataUrls(root, ["detail", "train", "stop", "convert", "preview", "jobs", "media", "conversions"] as const);
}

function mountPanel(id: string): JobsPanel | null {
  const root = document.getElementById(id);
  if (!root) return null;
  const panel = new JobsPanel(root);
  panel.start();
  return panel;
}

class LossChart {
  private key = "";

  constructor(private readonly root: HTMLElement) {}

  update(model: SwapModelDetail): void {
    const history: LossPoint[] = model.history ?? [];
    const last = history[history.length - 1];
    const key = `${history.length}:${last?.join(",") ?? ""}:${model.faceset_a_name}:${model.faceset_b_name}`;
    if (key === this.key) return;
    this.key = key;
    const x = history.map((p) => p[0]);
    lineChart(this.root, {
      title: "",
      xTitle: "iteration",
      yTitle: "loss (log scale)",
      logY: true,
      emptyLabel: "No loss points yet: start training to draw the curve.",
      series: [
        { name: `A · ${model.faceset_a_name ?? "faceset A"}`, x, y: history.map((p) => p[1]), color: LOSS_A_COLOUR },
        { name: `B · ${model.faceset_b_name ?? "faceset B"}`, x, y: history.map((p) => p[2]), color: LOSS_B_COLOUR },
      ],
    });
    this.root.dataset.points = String(history.length);
  }
}

onReady(() => {
  const page = document.getElementById("swap-model-page");
  if (!page) return;
  const api = new SwapModelApi(readUrls(page));
  const modelId = dataNumber(page, "modelId") ?? 0;
  const canCurate = dataBool(page, "canCurate");
  const mediaTemplate = page.dataset.mediaPageUrl ?? "";
  const artifactTemplate = page.dataset.artifactUrl ?? "";
  const mediaUrl = (id: number): string => mediaTemplate.replace("{id}", String(id));
  const artifactUrl = (id: number): string => artifactTemplate.replace("{id}", String(id));

  const statusBadge = document.getElementById("swap-status");
  const loadError = document.getElementById("swap-load-error");
  const trainJobs = mountPanel("train-jobs");
  const convertJobs = mountPanel("convert-jobs");

  let poll: number | undefined;
  let inFlight: AbortController | null = null;
  let model: SwapModelDetail | null = null;
  let videos = new Map<number, Media>();

  const facesetPages = {
    A: document.getElementById("faceset-a-link")?.getAttribute("href") ?? null,
    B: document.getElementById("faceset-b-link")?.getAttribute("href") ?? null,
  };
  const training = new TrainingPanel(
    document.getElementById("training-root")!,
    api,
    canCurate,
    () => {
      void refresh();
      void trainJobs?.refresh();
    },
    facesetPages,
  );
  const lossRoot = document.getElementById("loss-chart");
  const chart = lossRoot ? new LossChart(lossRoot) : null;
  const previewRoot = document.getElementById("preview-root");
  const previews = previewRoot ? new PreviewTimelapse(previewRoot) : null;
  const convertRoot = document.getElementById("convert-root");
  const convert = convertRoot && canCurate ? new ConvertForm(convertRoot, api, artifactUrl, () => void convertJobs?.refresh()) : null;
  const conversionRoot = document.getElementById("conversion-list");
  const names = { a: page.dataset.facesetAName ?? null, b: page.dataset.facesetBName ?? null };
  const conversions = conversionRoot ? new ConversionList(conversionRoot, mediaUrl, names) : null;

  const showLoadError = (message: string | null): void => {
    if (!loadError) return;
    loadError.hidden = message === null;
    setText(loadError, message ?? "");
  };

  async function refresh(): Promise<void> {
    window.clearTimeout(poll);
    inFlight?.abort();
    const controller = new AbortController();
    inFlight = controller;
    let active: Job | null = null;
    try {
      const [detail, jobs] = await Promise.all([api.detail(controller.signal), api.jobs("swap_train", controller.signal)]);
      model = detail;
      active = jobs.find((job) => Number(job.params.model_id) === modelId && isActiveJob(job)) ?? null;
      render(detail, active);
      showLoadError(null);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") return;
      showLoadError(`Could not refresh the model: ${err instanceof ApiError ? err.describe() : String(err)}`);
    } finally {
      if (inFlight === controller) {
        inFlight = null;
        if (document.visibilityState !== "hidden") {
          poll = window.setTimeout(() => void refresh(), active || model?.status === "training" ? ACTIVE_POLL_MS : IDLE_POLL_MS);
        }
      }
    }
  }

  function render(detail: SwapModelDetail, active: Job | null): void {
    page!.dataset.status = detail.status;
    page!.dataset.training = active ? "true" : "false";
    if (statusBadge) {
      setText(statusBadge, detail.status_label);
      statusBadge.className = `badge ${swapStatusClass(detail.status)}`;
      setAttr(statusBadge, "data-status", detail.status);
    }
    names.a = detail.faceset_a_name;
    names.b = detail.faceset_b_name;
    training.update(detail, active);
    chart?.update(detail);
    previews?.update(detail.previews);
    convert?.updateModel(detail);
  }

  async function loadVideos(): Promise<void> {
    try {
      const page = await apiList<Media>(withParams(api.urls.media, { kind: "video", page_size: 200, ordering: "name" }));
      videos = new Map(page.results.map((m) => [m.id, m]));
      convert?.setVideos(page.results);
    } catch (err) {
      convert?.setVideos([]);
      conversions?.showError(`Could not load the project's videos: ${err instanceof ApiError ? err.describe() : String(err)}`);
    }
  }

  async function loadConversions(): Promise<void> {
    if (!conversions) return;
    try {
      const all = await api.conversions();
      conversions.render(
        all.filter((c) => c.swap_model === modelId),
        videos,
      );
    } catch (err) {
      conversions.showError(`Could not load the fakes: ${err instanceof ApiError ? err.describe() : String(err)}`);
    }
  }

  document.addEventListener(JOBS_CHANGED_EVENT, (event) => {
    const changed = (event as CustomEvent<JobsChangedDetail>).detail.jobs;
    if (changed.some((job) => job.kind === "swap_train")) void refresh();
    if (changed.some((job) => job.kind === "swap_convert" && job.status === "succeeded")) {
      void loadVideos().then(loadConversions);
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refresh();
  });

  void refresh();
  void loadVideos().then(loadConversions);
  startRelativeTimes();
});

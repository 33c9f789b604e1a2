// Detection page of a project: detectors (create, train, metrics), the training
// history of one, the evaluation with a threshold slider, what gets caught, and
// detection runs (run form for curators, latest runs for everyone).
//
// Training and detection are jobs: the two jobs panels poll them, and when one
// changes status the page reloads what that job changes.
import { ApiError } from "../api/client";
import { DetectionApi, type DetectionFormSpec, type DetectionRun, type DetectionUrls, type Detector } from "../api/detection";
import type { Media } from "../api/types";
import { CaughtMatrixView } from "../detection/caughtMatrix";
import { DetectionEvaluation } from "../detection/detectionEvaluation";
import { RunForm, RunList } from "../detection/detectionRuns";
import { DetectorHistory } from "../detection/detectorHistory";
import { DetectorTable } from "../detection/detectorTable";
import { dataBool, dataUrls, onReady, setText } from "../shared/dom";
import { startRelativeTimes } from "../shared/format";
import { JOBS_CHANGED_EVENT, type JobsChangedDetail, JobsPanel } from "../shared/jobs";

const RUNS_SHOWN = 20;

function readUrls(root: HTMLElement): DetectionUrls {
  return dataUrls(root, ["detectors", "detector", "train", "evaluation", "caught", "detections", "explanations", "media", "jobs"] as const);
}

function readSpec(): DetectionFormSpec {
  const text = document.getElementById("detection-form-spec")?.textContent ?? "";
  return JSON.parse(text) as DetectionFormSpec;
}

function mountPanel(id: string): JobsPanel | null {
  const root = document.getElementById(id);
  if (!root) return null;
  const panel = new JobsPanel(root);
  panel.start();
  return panel;
}

function describe(err: unknown): string {
  return err instanceof ApiError ? err.describe() : String(err);
}

onReady(() => {
  const page = document.getElementById("detection-page");
  if (!page) return;
  const api = new DetectionApi(readUrls(page));
  const spec = readSpec();
  const canCurate = dataBool(page, "canCurate");
  const mediaTemplate = page.dataset.mediaPageUrl ?? "";
  const mediaUrl = (id: number): string => mediaTemplate.replace("{id}", String(id));
  const loadError = document.getElementById("detection-load-error");
  const showLoadError = (message: string | null): void => {
    if (!loadError) return;
    loadError.hidden = message === null;
    setText(loadError, message ?? "");
  };

  const trainJobs = mountPanel("train-jobs");
  const detectJobs = mountPanel("detect-jobs");

  let detectors: Detector[] = [];
  let videos: Media[] = [];
  let selected: number | null = null;
  const descriptions = new Map<string, string>();

  const select = (id: number): void => {
    selected = id;
    renderDetectors();
  };
  const table = new DetectorTable(document.getElementById("detector-root")!, api, spec, canCurate, {
    select: (id) => {
      select(id);
      document.getElementById("history")?.scrollIntoView({ behavior: "smooth", block: "start" });
    },
    changed: () => {
      void loadDetectors();
      void trainJobs?.refresh();
    },
  });
  const history = new DetectorHistory(document.getElementById("history-root")!, select);
  const evaluation = new DetectionEvaluation(document.getElementById("evaluation-root")!, api, mediaUrl);
  const caught = new CaughtMatrixView(document.getElementById("caught-root")!);
  const runFormRoot = document.getElementById("run-form-root");
  const runForm = runFormRoot && canCurate ? new RunForm(runFormRoot, api, () => void detectJobs?.refresh()) : null;
  const runList = new RunList(document.getElementById("run-list-root")!, mediaUrl, (ids, signal) => api.explanations(ids, signal));

  function renderDetectors(): void {
    if (selected === null || !detectors.some((d) => d.id === selected && d.history.length)) {
      selected = detectors.find((d) => d.history.length > 0)?.id ?? null;
    }
    table.render(detectors, selected);
    history.update(detectors, selected);
  }

  async function loadDetectors(): Promise<void> {
    try {
      detectors = await api.detectors();
      renderDetectors();
      runForm?.setDetectors(detectors);
      showLoadError(null);
    } catch (err) {
      table.showError(`Could not load the detectors: ${describe(err)}`);
    }
  }

  async function loadVideos(): Promise<void> {
    try {
      videos = await api.videos();
      runForm?.setVideos(videos);
    } catch (err) {
      showLoadError(`Could not load the project's videos: ${describe(err)}`);
    }
  }

  function learnDescriptions(runs: DetectionRun[]): void {
    for (const run of runs) {
      for (const [name, signal] of Object.entries(run.signals)) {
        if (signal.description && !descriptions.has(name)) descriptions.set(name, signal.description);
      }
    }
  }

  async function loadRuns(): Promise<void> {
    try {
      const { runs, count } = await api.runs({ pageSize: RUNS_SHOWN });
      learnDescriptions(runs);
      runList.render(runs, count, new Map(videos.map((v) => [v.id, v])));
    } catch (err) {
      runList.showError(`Could not load the detection runs: ${describe(err)}`);
    }
  }

  async function loadCaught(): Promise<void> {
    try {
      caught.render(await api.caught(), descriptions);
    } catch (err) {
      caught.showError(`Could not load what gets caught: ${describe(err)}`);
    }
  }

  document.addEventListener(JOBS_CHANGED_EVENT, (event) => {
    const changed = (event as CustomEvent<JobsChangedDetail>).detail.jobs;
    if (changed.some((job) => job.kind === "detector_train")) {
      void loadDetectors().then(() => evaluation.update(detectors, videos));
    }
    if (changed.some((job) => job.kind === "detect" && job.status === "succeeded")) {
      void loadRuns().then(loadCaught);
      evaluation.update(detectors, videos);
    }
  });

  void Promise.all([loadVideos(), loadDetectors()]).then(() => {
    evaluation.update(detectors, videos);
    return loadRuns().then(loadCaught);
  });
  startRelativeTimes();
});

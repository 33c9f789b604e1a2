// Faceset page: extract card with its jobs, the virtualised face grid with
// curation actions, the face detail panel, pose/quality charts and history.
import { FacesetApi, type CurationEvent, type FacesetUrls, latestUndoable, type SortKey } from "../api/facesets";
import { ApiError } from "../api/client";
import { mountConsentCard } from "../curation/consents";
import { CurationActions } from "../curation/curationActions";
import { CurationHistory } from "../curation/curationHistory";
import { dataBool, dataUrls, onReady, setText } from "../shared/dom";
import { ExtractForm } from "../curation/extractForm";
import { FaceDetailPanel } from "../curation/faceDetail";
import { FaceGrid } from "../curation/faceGrid";
import { FacesetCharts } from "../curation/facesetCharts";
import { ImportFacesForm } from "../curation/importFacesForm";
import { startRelativeTimes } from "../shared/format";
import { JOBS_CHANGED_EVENT, JobsPanel, type JobsChangedDetail, mountJobsPanel } from "../shared/jobs";

function readUrls(root: HTMLElement): FacesetUrls {
  return dataUrls(root, ["faceset", "faces", "ids", "remove", "restore", "history", "undo", "stats", "extract", "media", "jobs", "facesets", "move", "merge", "dedupe", "best", "split", "keepPerson"] as const);
}

onReady(() => {
  const page = document.getElementById("faceset-page");
  if (!page) return;
  const api = new FacesetApi(readUrls(page));
  const canCurate = dataBool(page, "canCurate");
  const mediaTemplate = page.dataset.mediaPageUrl ?? "";
  const mediaUrl = (id: number): string => mediaTemplate.replace("{id}", String(id));

  const detailRoot = document.getElementById("face-detail");
  let actions: CurationActions | null = null;
  const keepPerson = canCurate ? (faceId: number): void => actions?.keepPerson(faceId) : undefined;
  const detail = detailRoot ? new FaceDetailPanel(detailRoot, api, mediaUrl, keepPerson) : null;
  const chartsRoot = document.getElementById("faceset-charts");
  const charts = chartsRoot ? new FacesetCharts(chartsRoot, api) : null;
  const counts = document.getElementById("faceset-counts");

  let grid: FaceGrid | null = null;
  const history = new CurationHistory(
    document.getElementById("faceset-history")!,
    api,
    canCurate,
    (event) => void undoEvent(event),
    Number(page.dataset.facesetId),
  );

  const refreshHeader = async (): Promise<void> => {
    try {
      const faceset = await api.faceset();
      if (counts) {
        setText(counts, `${faceset.face_count.toLocaleString()} faces · ${faceset.deleted_count.toLocaleString()} deleted`);
        counts.dataset.faceCount = String(faceset.face_count);
      }
    } catch {
      // The header keeps the server-rendered counts.
    }
  };
  const refreshHistory = async (): Promise<CurationEvent[]> => {
    const events = await history.refresh();
    const target = latestUndoable(events);
    grid?.setUndoAvailable(
      target !== null,
      target ? `Undo: ${target.action} of ${target.face_count} face(s) by ${target.user ?? "someone"} (Ctrl+Z)` : "Nothing to undo",
    );
    return events;
  };
  const changed = (): void => {
    void refreshHeader();
    void refreshHistory();
    charts?.schedule();
    if (detail?.faceId != null) void detail.show(detail.faceId);
  };

  async function undoEvent(event: CurationEvent): Promise<void> {
    try {
      await api.undo(event.id);
      grid?.refresh();
      changed();
    } catch (err) {
      grid?.showError(err instanceof ApiError ? err.describe() : "Could not undo.");
      void refreshHistory();
    }
  }

  const gridRoot = document.getElementById("face-grid");
  if (gridRoot) {
    grid = new FaceGrid(gridRoot, api, {
      canCurate,
      initialSort: (page.dataset.initialSort as SortKey | undefined) ?? "identity",
      open: (id) => void detail?.show(id),
      changed,
      undo: async () => {
        // Always ask the server: another curator may have acted since the last load.
        const target = latestUndoable(await history.refresh());
        return target ? api.undo(target.id) : null;
      },
    });
    grid.start();
    if (canCurate) {
      const facesetId = Number(page.dataset.facesetId);
      actions = new CurationActions(grid.actionSlot, grid.panelSlot, api, facesetId, grid);
    }
  }

  const extractRoot = document.getElementById("extract-form-root");
  const jobs = mountJobsPanel();
  if (extractRoot && canCurate) new ExtractForm(extractRoot, api, () => void jobs?.refresh());
  const importRoot = document.getElementById("import-faces-root");
  const importJobsRoot = document.getElementById("import-jobs-panel");
  if (importRoot?.dataset.url && importJobsRoot && canCurate) {
    const importJobs = new JobsPanel(importJobsRoot);
    importJobs.start();
    new ImportFacesForm(importRoot, importRoot.dataset.url, () => void importJobs.refresh());
  }

  // Finished extract jobs bring new faces: re-read the grid and everything derived.
  document.addEventListener(JOBS_CHANGED_EVENT, (event) => {
    const detailJobs = (event as CustomEvent<JobsChangedDetail>).detail.jobs;
    if (detailJobs.some((job) => (job.kind === "extract" || job.kind === "faceset_import") && job.status === "succeeded")) {
      grid?.refresh();
      changed();
    }
  });

  void refreshHistory();
  charts?.schedule();
  mountConsentCard();
  startRelativeTimes();
});

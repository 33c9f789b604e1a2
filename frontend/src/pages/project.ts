// Project page: demo build, uploader, media grid, swap models and jobs panel, each only if present.
import { onReady } from "../components/dom";
import { mountDemoBuild } from "../components/demoBuild";
import { startRelativeTimes } from "../components/format";
import { mountJobsPanel } from "../components/jobs";
import { mountMediaGrid } from "../components/mediaGrid";
import { mountSwapModelList } from "../components/swapModelList";
import { mountUploader } from "../components/upload";

onReady(() => {
  mountDemoBuild();
  const grid = mountMediaGrid();
  const jobs = mountJobsPanel();
  mountSwapModelList();
  mountUploader({
    onUploaded: () => {
      void grid?.reload();
      void jobs?.refresh();
    },
  });
  startRelativeTimes();
});

// Project page: demo build, uploader, media grid, swap models and jobs panel, each only if present.
import { onReady } from "../shared/dom";
import { mountDemoBuild } from "../shared/demoBuild";
import { startRelativeTimes } from "../shared/format";
import { mountJobsPanel } from "../shared/jobs";
import { mountMediaGrid } from "../shared/mediaGrid";
import { mountSwapModelList } from "../swaps/swapModelList";
import { mountUploader } from "../shared/upload";

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

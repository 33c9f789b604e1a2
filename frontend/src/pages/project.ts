// Project page: uploader, media grid and jobs panel, each only if present.
import { onReady } from "../components/dom";
import { startRelativeTimes } from "../components/format";
import { mountJobsPanel } from "../components/jobs";
import { mountMediaGrid } from "../components/mediaGrid";
import { mountUploader } from "../components/upload";

onReady(() => {
  const grid = mountMediaGrid();
  const jobs = mountJobsPanel();
  mountUploader({
    onUploaded: () => {
      void grid?.reload();
      void jobs?.refresh();
    },
  });
  startRelativeTimes();
});

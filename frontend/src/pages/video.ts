// Video page: frame counter with frame stepping, sprite strip, ground truth of a
// fake made here (with its mask overlay), the latest detection run, jobs for this video.
import { mountDetectionCard } from "../detection/detectionCard";
import { dataNumber, onReady } from "../shared/dom";
import { startRelativeTimes } from "../shared/format";
import { bindFrameKeys, FrameClock } from "../review/frameClock";
import { mountGroundTruth } from "../swaps/groundTruth";
import { mountJobsPanel } from "../shared/jobs";
import { mountSpriteStrip } from "../shared/spriteStrip";

onReady(() => {
  const video = document.getElementById("video-player");
  const counter = document.getElementById("frame-counter");
  let clock: FrameClock | null = null;
  if (video instanceof HTMLVideoElement) {
    clock = new FrameClock(video, dataNumber(video, "fps"), dataNumber(video, "frameCount"), counter);
    clock.start();
    const frameClock = clock;
    // Links such as a face's "frame 120" arrive as #frame=120: land on that frame
    // once the exact timestamps are known.
    const seekFromHash = (): void => {
      const match = /^#frame=(\d+)$/.exec(window.location.hash);
      if (match) frameClock.seekToFrame(Number(match[1]));
    };
    void clock.loadPts(video.dataset.framePtsUrl).then(seekFromHash);
    window.addEventListener("hashchange", seekFromHash);
    bindFrameKeys(clock);
  }

  const strip = document.getElementById("sprite-strip");
  if (strip) {
    mountSpriteStrip(strip, video instanceof HTMLVideoElement ? video : null, (frame) => clock?.seekToFrame(frame));
  }

  const groundTruth = document.getElementById("ground-truth");
  if (groundTruth) {
    void mountGroundTruth({ root: groundTruth, video: video instanceof HTMLVideoElement ? video : null, clock });
  }

  const jobs = mountJobsPanel();
  mountDetectionCard(() => void jobs?.refresh());
  startRelativeTimes();
});

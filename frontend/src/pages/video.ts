// Video page: frame counter with frame stepping, sprite strip, jobs for this video.
import { dataNumber, onReady } from "../components/dom";
import { startRelativeTimes } from "../components/format";
import { bindFrameKeys, FrameClock } from "../components/frameClock";
import { mountJobsPanel } from "../components/jobs";
import { mountSpriteStrip } from "../components/spriteStrip";

onReady(() => {
  const video = document.getElementById("video-player");
  const counter = document.getElementById("frame-counter");
  let clock: FrameClock | null = null;
  if (video instanceof HTMLVideoElement) {
    clock = new FrameClock(video, dataNumber(video, "fps"), dataNumber(video, "frameCount"), counter);
    clock.start();
    void clock.loadPts(video.dataset.framePtsUrl);
    bindFrameKeys(clock);
  }

  const strip = document.getElementById("sprite-strip");
  if (strip) {
    mountSpriteStrip(strip, video instanceof HTMLVideoElement ? video : null, (frame) => clock?.seekToFrame(frame));
  }

  mountJobsPanel();
  startRelativeTimes();
});

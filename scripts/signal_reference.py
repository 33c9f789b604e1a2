#!/usr/bin/env python
"""Makes the signals' reference distribution and their fusion (the built-in detector's
second opinion): ``deepreview_workers/pipeline/detection/builtin/signal_reference.json``.

    .venv/bin/python scripts/signal_reference.py [--max-frames 90]

For every clip in ``$DEEPREVIEW_SHARED_MEDIA/train_real/videos`` (never the evaluation
folders) it measures the forensic signals on the real clip and on a self-blended fake
of it (:mod:`~deepreview_workers.pipeline.detection.selfblend_video`). The real clips'
video-level 90th percentiles are the reference; a logistic regression on the
percentiles of real against self-blended clips is the fusion.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from deepreview_workers.pipeline.detection.reference import (  # noqa: E402
    BUILTIN_REFERENCE,
    SCHEMA,
    SignalReference,
    video_statistics,
)
from deepreview_workers.pipeline.detection.selfblend_video import self_blend_video  # noqa: E402
from deepreview_workers.pipeline.detection.video import DetectOptions, VideoDetector  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_shared = os.environ.get(
        "DEEPREVIEW_SHARED_MEDIA", str(REPO.parent / "shared" / "media")
    )
    parser.add_argument("--shared-media", type=Path, default=Path(default_shared))
    parser.add_argument("--max-frames", type=int, default=90)
    parser.add_argument("--out", type=Path, default=BUILTIN_REFERENCE)
    parser.add_argument("--limit", type=int, default=0, help="first N clips (a quick check)")
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression

    started = time.monotonic()
    videos = sorted((args.shared_media / "train_real" / "videos").glob("*.mp4"))
    videos = videos[: args.limit or None]
    runner = VideoDetector(DetectOptions(frames=32))
    runner.reference = None  # measure raw statistics, not against an older reference
    real, fake = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for number, video in enumerate(videos):
            blended = Path(tmp) / f"{video.stem}_sbi.mp4"
            self_blend_video(video, blended, seed=number, max_frames=args.max_frames)
            trimmed = Path(tmp) / f"{video.stem}_real.mp4"
            self_blend_video(video, trimmed, seed=number, max_frames=args.max_frames, blend=False)
            for path, bucket in ((trimmed, real), (blended, fake)):
                result = runner.run(path)
                if result.status == "ok":
                    bucket.append(video_statistics(result.signals))
            print(
                f"[{number + 1}/{len(videos)}] {video.name} ({time.monotonic() - started:.0f} s)",
                flush=True,
            )
    names = sorted(real[0])
    reference = {n: sorted(v[n] for v in real if v[n] is not None) for n in names}
    data = {
        "schema": SCHEMA,
        "version": 1,
        "statistic": "p90",
        "videos": len(real),
        "source": f"train_real/videos (shared media), first {args.max_frames} frames of each clip",
        "signals": reference,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    ref = SignalReference.load(args.out)

    def features(stats: dict) -> list[float]:
        pct = ref.percentiles(stats)
        return [pct[n] if pct[n] is not None else 0.5 for n in names]

    x = np.array([features(s) for s in real + fake])
    y = np.array([0] * len(real) + [1] * len(fake))
    fit = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    data["fusion"] = {
        "features": names,
        "coef": [round(float(c), 5) for c in fit.coef_[0]],
        "intercept": round(float(fit.intercept_[0]), 5),
        "trained_on": f"{len(real)} real clips and {len(fake)} self-blended "
        "fakes of them (train_real/videos)",
        "train_accuracy": round(float(fit.score(x, y)), 4),
    }
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps(data["fusion"], indent=1))
    print(f"wrote {args.out} in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()

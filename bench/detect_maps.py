"""Where the built-in detector looks: IoU of its manipulation map with the truth.

    .venv/bin/python bench/detect_maps.py [--frames-per-video 6] [--detector CHECKPOINT]

The ground truth here is the blend mask of self-blended fakes made from faces of the
real clips in ``real_videos/`` (never trained on). Both the map and the mask (pooled to
the map's 16 x 16 grid) are cut at 0.5; the IoU is taken per fake face, and the mean
is printed with the share of faces at IoU >= 0.5. Real faces should light up nothing:
their mean map value is printed beside.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("DEEPREVIEW_SHARED_MEDIA", REPO.parent / "shared" / "media"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames-per-video", type=int, default=6)
    parser.add_argument("--detector", type=Path, default=None)
    args = parser.parse_args()
    import cv2

    from deepreview_workers.pipeline.detection.builtin import load_builtin_detector
    from deepreview_workers.pipeline.detection.checkpoint import load_detector
    from deepreview_workers.pipeline.detection.realfaces import collect_real_faces
    from deepreview_workers.pipeline.detection.selfblend import self_blend

    detector = load_detector(args.detector) if args.detector else load_builtin_detector()
    videos = sorted((SHARED / "real_videos").glob("*.mp4"))
    bank = collect_real_faces(
        [(v.stem, v) for v in videos], frames_per_video=args.frames_per_video, max_faces=1
    )
    rng = np.random.default_rng(0)
    fakes, masks = zip(
        *(self_blend(c, p, rng) for c, p in zip(bank.crops, bank.landmarks, strict=True)),
        strict=True,
    )
    _scores, fake_maps = detector.score_crops_with_maps(list(fakes))
    _scores, real_maps = detector.score_crops_with_maps(list(bank.crops))
    ious = []
    for face_map, mask in zip(fake_maps, masks, strict=True):
        truth = cv2.resize(mask, face_map.shape[::-1], interpolation=cv2.INTER_AREA) >= 0.5
        found = face_map >= 0.5
        union = (truth | found).sum()
        ious.append((truth & found).sum() / union if union else 1.0)
    ious = np.asarray(ious)
    print(f"{len(ious)} self-blended fakes of faces from {len(videos)} unseen real clips")
    print(
        f"map IoU with the blend mask: mean {ious.mean():.3f}, median {np.median(ious):.3f}, "
        f"IoU >= 0.5 on {np.mean(ious >= 0.5):.0%} of faces"
    )
    print(f"mean map value: fakes {fake_maps.mean():.3f}, reals {real_maps.mean():.3f}")


if __name__ == "__main__":
    main()

"""Where the built-in detector looks: IoU of its manipulation map with the truth.

    .venv/bin/python bench/detect_maps.py [--frames-per-video 6] [--detector CHECKPOINT]
                                          [--swaps] [--swap-work DIR] [--swap-iterations 2000]

Two kinds of fakes, both made from people nobody trained on (``real_videos/``):

- **Self-blends** of faces from every real clip: the truth is the blend mask.
- **The app's own face swaps** (``--swaps``): what the issue's target names, the
  ground-truth masks of the project's own fakes. A small swap model between two of
  those people (Katie Hill and Barack Obama, the demo's pair, at the demo's size:
  width 0.25, batch 4, 2,000 iterations) converts each person's clip into the other
  with ground truth, exactly as a conversion job does; the faces of every
  ``--swap-every``-th frame are cut as detection cuts them, with the same crop of
  their frame's mask. The swap model and conversions are kept in ``--swap-work``
  (default ``var/bench-maps-swap``) and reused (making them takes about five
  minutes on a 2-core CPU). ``--fine-tune`` also fine-tunes project detectors from the
  built-in on one direction's fakes and the reals (the training defaults, the defaults
  without the fakes' masks, and the settings before self-blends and freezing joined
  project training) and measures their maps and scores on the other direction's fakes.

Both the map and the mask (pooled to the map's 16 x 16 grid) are cut at 0.5; the IoU
is taken per fake face, and the mean is printed with the share of faces at IoU >= 0.5.
Real faces should light up nothing: their mean map value is printed beside.
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


# The demo's pair: two people of the real clips nobody trained on.
SWAP_PAIR = ("hdtf_WDA_KatieHill_000.mp4", "pd_obama_2011_whitehouse_address.mp4")


def map_ious(maps: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    """Per face: IoU of the map cut at 0.5 with the mask (0-1) pooled to its grid."""
    import cv2

    ious = []
    for face_map, mask in zip(maps, masks, strict=True):
        truth = cv2.resize(mask, face_map.shape[::-1], interpolation=cv2.INTER_AREA) >= 0.5
        found = face_map >= 0.5
        union = (truth | found).sum()
        ious.append((truth & found).sum() / union if union else 1.0)
    return np.asarray(ious)


def show(what: str, ious: np.ndarray, fake_maps: np.ndarray, real_maps: np.ndarray) -> None:
    print(what)
    print(
        f"  map IoU with the truth: mean {ious.mean():.3f}, median {np.median(ious):.3f}, "
        f"IoU >= 0.5 on {np.mean(ious >= 0.5):.0%} of {len(ious)} faces"
    )
    print(f"  mean map value: fakes {fake_maps.mean():.3f}, reals {real_maps.mean():.3f}")


def self_blends(detector, frames_per_video: int) -> None:  # noqa: ANN001
    from deepreview_workers.pipeline.detection.realfaces import collect_real_faces
    from deepreview_workers.pipeline.detection.selfblend import self_blend

    videos = sorted((SHARED / "real_videos").glob("*.mp4"))
    bank = collect_real_faces(
        [(v.stem, v) for v in videos], frames_per_video=frames_per_video, max_faces=1
    )
    rng = np.random.default_rng(0)
    fakes, masks = zip(
        *(self_blend(c, p, rng) for c, p in zip(bank.crops, bank.landmarks, strict=True)),
        strict=True,
    )
    _scores, fake_maps = detector.score_crops_with_maps(list(fakes))
    _scores, real_maps = detector.score_crops_with_maps(list(bank.crops))
    show(
        f"{len(fakes)} self-blended fakes of faces from {len(videos)} unseen real clips",
        map_ious(fake_maps, list(masks)),
        fake_maps,
        real_maps,
    )


def app_swaps(detector, work: Path, iterations: int, frames: int, every: int) -> None:  # noqa: ANN001
    from deepreview_workers.pipeline.detection.swapfakes import swap_fake_faces, swap_pair

    clips = [SHARED / "real_videos" / name for name in SWAP_PAIR]
    conversions = swap_pair(
        *clips,
        work,
        iterations=iterations,
        frames=frames,
        progress=lambda _f, m: print(f"  {m}", flush=True),
    )
    faces = swap_fake_faces(
        conversions,
        work / f"faces-{detector.input_size}",
        size=detector.input_size,
        frames=frames,
        every=every,
        with_reals=True,
    )
    _scores, fake_maps = detector.score_crops_with_maps(list(faces["crops"]))
    _scores, real_maps = detector.score_crops_with_maps(list(faces["real_crops"]))
    show(
        f"{len(fake_maps)} faces of the app's own face swaps (both directions of the demo's "
        f"pair, every {every}th of the first {frames} frames), with their ground truth",
        map_ious(fake_maps, list(faces["masks"])),
        fake_maps,
        real_maps,
    )


# Project fine-tunes compared: (name, TrainOptions changes, with the fakes' masks).
FINE_TUNES = (
    ("defaults (self-blends, early layers frozen, lr 1e-4)", {}, True),
    ("defaults, without the fakes' masks", {}, False),
    (
        "before 2026-12-04 (no self-blends, nothing frozen, lr 1e-3)",
        {"self_blend": 0.0, "freeze_stages": 0, "learning_rate": 1e-3},
        True,
    ),
)


def fine_tuned(work: Path, input_size: int) -> None:
    """Project detectors fine-tuned from the built-in on one direction's fakes and both
    people's reals (:data:`FINE_TUNES`); their maps and scores on the other direction's."""
    import csv
    import shutil

    import cv2

    from deepreview_workers.pipeline.detection.builtin import load_builtin_detector
    from deepreview_workers.pipeline.detection.checkpoint import load_detector
    from deepreview_workers.pipeline.detection.train import train_detector
    from deepreview_workers.pipeline.options.detection import TrainOptions

    faces = work / f"faces-{input_size}"
    with (faces / "labels.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    held = [r for r in rows if r["video"] == "fake1"]
    crops = [cv2.cvtColor(cv2.imread(str(faces / r["path"])), cv2.COLOR_BGR2RGB) for r in held]
    masks = [cv2.imread(str(faces / r["mask"]), 0).astype(np.float32) / 255 for r in held]
    train = [dict(r) for r in rows if r["video"] != "fake1"]
    for n, row in enumerate(train):  # five groups per video, so validation has both labels
        row["identity"] = f"{row['video']}_{n % 5}"
    fakes = sum(r["label"] == "fake" for r in train)
    print(
        f"  project detectors fine-tuned on the other direction's {fakes} fakes and "
        f"{len(train) - fakes} reals (6 epochs), on the {len(held)} held-out fakes:"
    )
    scores, maps = load_builtin_detector().score_crops_with_maps(crops)
    print(
        f"    built-in detector: map IoU mean {map_ious(maps, masks).mean():.3f}, "
        f"fake score mean {scores.mean():.3f}"
    )
    for number, (name, changes, with_masks) in enumerate(FINE_TUNES):
        folder = work / f"fine-tune-{number}"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(faces, folder)
        with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({**r, "mask": r["mask"] if with_masks else ""} for r in train)
        options = TrainOptions(
            arch="efficientnet_lite0", epochs=6, batch_size=16, device="cpu", **changes
        )
        train_detector(folder, folder / "detector.pt", options)
        scores, maps = load_detector(folder / "detector.pt").score_crops_with_maps(crops)
        ious = map_ious(maps, masks)
        print(
            f"    {name}: map IoU mean {ious.mean():.3f}, IoU >= 0.5 on "
            f"{np.mean(ious >= 0.5):.0%}, fake score mean {scores.mean():.3f} "
            f"({folder / 'detector.pt'})"
        )
    print(
        "  what each still sees of other tools' fakes: bench/detect_external.py "
        "--detector <its detector.pt>"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames-per-video", type=int, default=6)
    parser.add_argument("--detector", type=Path, default=None)
    parser.add_argument("--swaps", action="store_true", help="also the app's own face swaps")
    parser.add_argument("--swap-work", type=Path, default=REPO / "var" / "bench-maps-swap")
    parser.add_argument("--swap-iterations", type=int, default=2000)
    parser.add_argument("--swap-frames", type=int, default=240)
    parser.add_argument("--swap-every", type=int, default=8)
    parser.add_argument(
        "--fine-tune",
        action="store_true",
        help="with --swaps: also project detectors fine-tuned on one direction's fakes",
    )
    args = parser.parse_args()

    from deepreview_workers.pipeline.detection.builtin import load_builtin_detector
    from deepreview_workers.pipeline.detection.checkpoint import load_detector

    detector = load_detector(args.detector) if args.detector else load_builtin_detector()
    self_blends(detector, args.frames_per_video)
    if args.swaps:
        app_swaps(detector, args.swap_work, args.swap_iterations, args.swap_frames, args.swap_every)
        if args.fine_tune:
            fine_tuned(args.swap_work, detector.input_size)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""The recipe of deepreview's built-in detector: EfficientNet-Lite0 from ImageNet weights,
trained on real faces and their self-blended fakes, calibrated, with a manipulation map.

    .venv/bin/python scripts/train_builtin_detector.py --steps 2400 --stop-at 837  # the shipped one
    .venv/bin/python scripts/train_builtin_detector.py --device cuda --steps 2400 --stop-at 837
    .venv/bin/python scripts/train_builtin_detector.py --arch efficientnet_lite2 --steps 1000
    # a second stage, continuing from the first one's checkpoint:
    .venv/bin/python scripts/train_builtin_detector.py --init detector.pt --lr 1e-4
    # plus the app's own face swaps between six pairs of training people (--swaps-cache):
    .venv/bin/python scripts/train_builtin_detector.py --steps 2400 --stop-at 837 --swap-pairs 6
    # tried and not shipped (model card): --cross-blend 0.5, --warp-blend 0.5,
    # --all-reals, --freeze-stages 4, --frames-per-video 48, and
    # scripts/experiments/rendered_fakes.py

Real faces come from ``$DEEPREVIEW_SHARED_MEDIA/train_real`` only (33 clips and 33
photos of about 60 people). ``real_videos/`` and ``real_images/`` are left out so that
they stay unseen real clips for bench/detect_external.py (``--all-reals`` adds them:
89 people; the bench then leaves those clips out), and ``eval_external/``,
``fake_videos/`` and ``fake_images/`` are the evaluation set: never read here. Every
file of one person sits on one side of the validation split (``IDENTITY_MERGES``).
Writes the checkpoint and ``detector.json`` (the model card's figures) beside it.
The faces collected are cached (``--faces-cache``); with that file the recipe needs no
shared media, so it can run on a machine that has only the checkout and the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deepreview_workers.pipeline.detection.builtin import builtin_state_dict  # noqa: E402
from deepreview_workers.pipeline.detection.realfaces import (  # noqa: E402
    BANK_CROP_SIZE,
    RealFaceBank,
    collect_real_faces,
)
from deepreview_workers.pipeline.detection.selfblend_train import (  # noqa: E402
    SelfBlendTrainOptions,
    split_groups,
    train_self_blend,
)
from deepreview_workers.pipeline.detection.swapfakes import (  # noqa: E402
    swap_fake_faces,
    swap_pair,
)
from deepreview_workers.pipeline.device import resolve_device  # noqa: E402

BUILTIN_DIR = REPO / "deepreview_workers" / "pipeline" / "detection" / "builtin"
FORBIDDEN = ("eval_external", "fake_videos", "fake_images")
# Files that show (or may show) the same person: one identity, one side of the split
# (train_real/SOURCES.md, "Possible same person").
# With --all-reals also real_videos/ and real_images/ (SOURCES.md there and in train_real):
# Obama and Biden share a photo, and edtalk_mouth_source is Amy Klobuchar.
IDENTITY_MERGES = {
    "liveportrait_d13": "liveportrait_d9",
    "pyfeat_single_face": "pyfeat_single_face",
    "pd_congress_K000367_amy_klobuchar": "edtalk_mouth_source",
    "biden_2": "obama_biden",
    "pd_biden_official_vp_portrait": "obama_biden",
    "obama_biden_two_people": "obama_biden",
    "pd_obama_official_portrait_2012": "obama_biden",
    "pd_obama_2011_whitehouse_address": "obama_biden",
}
MEDIA_SUFFIXES = {".mp4", ".mov", ".jpg", ".jpeg", ".png"}


def source_folders(shared: Path, all_reals: bool = False) -> list[Path]:
    """The folders of real files the recipe reads: ``train_real/`` and, with
    ``all_reals``, ``real_videos/`` and ``real_images/`` too."""
    folders = [shared / "train_real" / "videos", shared / "train_real" / "images"]
    if all_reals:
        folders += [shared / "real_videos", shared / "real_images"]
    return folders


def training_sources(shared: Path, all_reals: bool = False) -> list[tuple[str, Path]]:
    """(identity, file) of every real file in ``source_folders``."""
    folders = source_folders(shared, all_reals)
    files = sorted(
        p for folder in folders for p in folder.iterdir() if p.suffix.lower() in MEDIA_SUFFIXES
    )
    assert not any(part in FORBIDDEN for p in files for part in p.parts)
    return [(IDENTITY_MERGES.get(p.stem, p.stem), p) for p in files]


def default_workers(device: str) -> int:
    if resolve_device(device).type == "cpu":
        return 0  # on a CPU the training step, not the blending, is the slow part
    return max((os.cpu_count() or 1) - 2, 1)


def swap_pairs(
    sources: list[tuple[str, Path]], held_out: set[str], count: int, seed: int
) -> list[tuple[tuple[str, Path], tuple[str, Path]]]:
    """``count`` seeded pairs of training clips of different people, none of whom is a
    validation person (so the split stays clean) and no clip in two pairs."""
    clips = sorted(
        (identity, path)
        for identity, path in sources
        if path.suffix.lower() in {".mp4", ".mov"} and identity not in held_out
    )
    order = np.random.default_rng(seed).permutation(len(clips))
    pairs, free = [], [clips[i] for i in order]
    while free and len(pairs) < count:
        first = free.pop(0)
        other = next((c for c in free if c[0] != first[0]), None)
        if other is not None:
            free.remove(other)
            pairs.append((first, other))
    return pairs


def app_swaps(bank: RealFaceBank, options: SelfBlendTrainOptions, args: argparse.Namespace) -> dict:
    """Face swaps between pairs of training clips' people, made by the app's own swap
    pipeline (``swapfakes``), as extra fakes with their ground-truth masks."""
    held_out = set(bank.groups[split_groups(bank.groups, options.val_fraction, options.seed)])
    pairs = swap_pairs(training_sources(args.shared_media), held_out, args.swap_pairs, options.seed)
    crops, masks, names = [], [], []
    for number, ((id_a, clip_a), (id_b, clip_b)) in enumerate(pairs):
        work = args.swaps_cache / f"{id_a}__{id_b}"
        print(f"  swap pair {number + 1}/{len(pairs)}: {id_a} and {id_b}", flush=True)
        conversions = swap_pair(clip_a, clip_b, work, device=args.device, identities=(id_a, id_b))
        faces = swap_fake_faces(
            conversions, work / "faces", size=BANK_CROP_SIZE, device=args.device
        )
        crops.append(faces["crops"])
        masks.append(faces["masks"])
        names.append(f"{clip_a.name} <-> {clip_b.name}")
    return {"crops": np.concatenate(crops), "masks": np.concatenate(masks), "pairs": names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_shared = os.environ.get(
        "DEEPREVIEW_SHARED_MEDIA", str(REPO.parent / "shared" / "media")
    )
    parser.add_argument("--shared-media", type=Path, default=Path(default_shared))
    parser.add_argument("--out", type=Path, default=BUILTIN_DIR / "detector.pt")
    parser.add_argument("--faces-cache", type=Path, default=REPO / "var" / "builtin-faces.npz")
    parser.add_argument("--frames-per-video", type=int, default=16)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--time-limit", type=float, default=0.0, help="seconds; 0: none")
    parser.add_argument(
        "--stop-at",
        type=int,
        default=0,
        help="stop after this step; the learning-rate schedule still spans --steps",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--arch", default="efficientnet_lite0", choices=["efficientnet_lite0", "efficientnet_lite2"]
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=-1,
        help="processes making self-blended batches; default: none on the CPU, "
        "one per core but two on a GPU",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--swap-pairs",
        type=int,
        default=0,
        help="also train on the app's own face swaps between this many pairs of training "
        "clips' people (swap models made here, cached in --swaps-cache)",
    )
    parser.add_argument("--swaps-cache", type=Path, default=REPO / "var" / "builtin-swaps")
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument(
        "--cross-blend",
        type=float,
        default=0.0,
        help="share of the blended fakes that paste another training person's face, "
        "aligned on the landmarks (Face X-ray's blended images) instead of a self-blend",
    )
    parser.add_argument(
        "--warp-blend",
        type=float,
        default=0.0,
        help="share of the blended fakes that paste the face's own copy bent by a smooth "
        "random field and re-rendered at a lower resolution, as reenactment does",
    )
    parser.add_argument(
        "--freeze-stages",
        type=int,
        default=2,
        help="the stem and this many first stages keep their ImageNet weights",
    )
    parser.add_argument(
        "--all-reals",
        action="store_true",
        help="also train on real_videos/ and real_images/ (then the bench scores the "
        "external real clips alone as unseen reals)",
    )
    parser.add_argument(
        "--init",
        type=Path,
        default=None,
        help="continue from this checkpoint (a second stage of the recipe)",
    )
    args = parser.parse_args()
    if args.swap_pairs and not (args.shared_media / "train_real" / "videos").is_dir():
        parser.error(
            f"--swap-pairs swaps the training clips' people, but {args.shared_media}/train_real"
            "/videos is missing: point --shared-media (or DEEPREVIEW_SHARED_MEDIA) at the "
            "shared media folder"
        )

    missing = [f for f in source_folders(args.shared_media, args.all_reals) if not f.is_dir()]
    if missing and not args.faces_cache.is_file():
        parser.error(
            f"no faces cache at {args.faces_cache}, and these folders are missing: "
            f"{', '.join(map(str, missing))}. Point --shared-media (or "
            "DEEPREVIEW_SHARED_MEDIA) at the shared media folder, or --faces-cache at a "
            "saved one"
        )

    started = time.monotonic()
    if args.faces_cache.is_file():
        # The cache holds everything training reads, so a machine without the shared
        # media (a rented GPU) can train from it alone.
        bank = RealFaceBank.load(args.faces_cache)
    else:
        bank = collect_real_faces(
            training_sources(args.shared_media, args.all_reals),
            frames_per_video=args.frames_per_video,
            device=args.device,
            progress=lambda f, m: print(f"  [{f:5.1%}] {m}", flush=True),
        )
        args.faces_cache.parent.mkdir(parents=True, exist_ok=True)
        bank.save(args.faces_cache)
    print(
        f"{len(bank)} real faces of {len(set(bank.groups))} identities "
        f"({time.monotonic() - started:.0f} s)",
        flush=True,
    )

    options = SelfBlendTrainOptions(
        arch=args.arch,
        steps=args.steps,
        batch_size=args.batch_size,
        device=args.device,
        seed=args.seed,
        lr=args.lr,
        time_limit_s=args.time_limit,
        stop_at=args.stop_at,
        cross_blend=args.cross_blend,
        freeze_stages=args.freeze_stages,
        warp_blend=args.warp_blend,
        workers=args.workers if args.workers >= 0 else default_workers(args.device),
    )
    init = builtin_state_dict(args.init) if args.init else None
    swaps = app_swaps(bank, options, args) if args.swap_pairs else None
    result = train_self_blend(
        bank,
        args.out,
        options,
        extra_fakes=None if swaps is None else (swaps["crops"], swaps["masks"]),
        init_state=init,
        progress=lambda f, m: print(f"  [{f:5.1%}] {m}", flush=True),
    )
    card = {
        "recipe": "scripts/train_builtin_detector.py",
        "arguments": {
            k: str(v).replace(f"{REPO}/", "") for k, v in vars(args).items() if k != "shared_media"
        },
        "training_files": sorted({str(name) for name in bank.sources}),  # those with faces
        "faces": len(bank),
        "swap_fakes": {}
        if swaps is None
        else {
            "faces": len(swaps["crops"]),
            "pairs": swaps["pairs"],
        },
        "identities": len(set(bank.groups)),
        "best_step": result.best_step,
        "validation": result.val,
        "calibration": result.calibration,
        "history": result.history,
        "train_seconds": result.seconds,
        "total_seconds": round(time.monotonic() - started, 1),
    }
    card_path = args.out.with_suffix(".json")
    card_path.write_text(json.dumps(card, indent=1, default=float) + "\n")
    print(
        json.dumps(
            {k: card[k] for k in ("best_step", "validation", "calibration", "total_seconds")},
            indent=1,
            default=float,
        )
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) and {card_path}")


if __name__ == "__main__":
    main()

"""Face swaps made by the app's own swap pipeline, with their ground truth.

    conversions = swap_pair(clip_a, clip_b, work)        # both directions, cached in work
    crops, masks = swap_fake_faces(conversions, work / "faces", size=256)

A small swap model (the demo's size: width 0.25, batch 4, 2,000 iterations; about
three minutes on a 2-core CPU) learns two people from their clips, then converts each
person's clip into the other with ground truth, exactly as a conversion job does. The
faces of the fakes are cut as detection cuts them, each with the same crop of its
frame's mask. Detector recipes use them as extra training fakes and the map bench as
the truth the issue names (the project's own fakes). Every step is skipped when its
output is already in ``work``, so a second run reuses the first's swaps.
"""

from __future__ import annotations

import csv
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from deepreview_workers.pipeline.options.swap import DEMO_CONVERT_OPTIONS, DEMO_MODEL_OPTIONS
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress


@dataclass(frozen=True)
class SwapConversion:
    real: Path  # the clip that was converted
    fake: Path
    ground_truth: Path
    identity: str  # the real clip's person: whose frame the fake is


def swap_pair(
    clip_a: Path,
    clip_b: Path,
    work: Path,
    *,
    iterations: int = 2000,
    frames: int = 240,
    device: str = "cpu",
    identities: tuple[str, str] | None = None,
    progress: ProgressCallback = no_progress,
) -> list[SwapConversion]:
    """Train a swap model between the people of two clips and convert the first
    ``frames`` frames of each clip into the other person (module docstring)."""
    from deepreview_workers.pipeline.extract import ExtractOptions, Extractor
    from deepreview_workers.pipeline.swap import (
        ConvertOptions,
        Trainer,
        TrainOptions,
        convert_video,
        faceset_size,
        load_faceset_folder,
    )

    clips = (clip_a, clip_b)
    names = identities or (clip_a.stem, clip_b.stem)
    work.mkdir(parents=True, exist_ok=True)
    sparse = Extractor(ExtractOptions(sampling="fps", target_fps=4.0, device=device))
    every = Extractor(ExtractOptions(sampling="all", device=device, end_frame=frames))
    for side, clip in zip("ab", clips, strict=True):
        if not (work / f"target_{side}" / "alignments.json").exists():
            progress(0.0, f"Extracting {clip.name}")
            sparse.run(clip, work / f"faces_{side}")
            every.run(clip, work / f"target_{side}")
    options = TrainOptions(**DEMO_MODEL_OPTIONS, iterations=iterations, device=device, min_faces=1)
    model = work / "model"
    size = faceset_size(options)
    trainer = Trainer(
        model,
        load_faceset_folder(work / "faces_a", size=size),
        load_faceset_folder(work / "faces_b", size=size),
        options,
    )
    if trainer.iteration < iterations:
        progress(0.1, f"Training a swap model: {names[0]} and {names[1]}")
        trainer.run(progress=lambda f, m: progress(0.1 + 0.7 * f, m))
        trainer.save_checkpoint()
    made = []
    for side, clip, direction in zip("ab", clips, ("a-to-b", "b-to-a"), strict=True):
        fake = work / f"fake_{direction}.mp4"
        truth = work / f"fake_{direction}.groundtruth.zip"
        if not truth.exists():
            progress(0.8 if side == "a" else 0.9, f"Converting {clip.name} ({direction})")
            convert_video(
                clip,
                work / f"target_{side}" / "alignments.json",
                model,
                fake,
                ConvertOptions(**DEMO_CONVERT_OPTIONS, direction=direction, device=device),
                end_frame=frames,
                ground_truth_path=truth,
            )
        made.append(SwapConversion(clip, fake, truth, names[0 if side == "a" else 1]))
    return made


def swap_fake_faces(
    conversions: list[SwapConversion],
    out_dir: Path,
    *,
    size: int,
    frames: int = 240,
    every: int = 8,
    with_reals: bool = False,
    device: str = "cpu",
) -> dict[str, np.ndarray]:
    """The faces of every ``every``-th frame of each fake, cut as detection cuts them:
    ``crops`` (N, size, size, 3) RGB uint8, ``masks`` (N, size, size) float32 in [0, 1]
    and ``identities`` (whose frame). ``with_reals`` also cuts the same frames of the real
    clips (``real_crops``). Faces already cut into ``out_dir`` are read back."""
    from deepreview_workers.pipeline.detection.dataset import LabeledVideo
    from deepreview_workers.pipeline.detection.labeled_videos import cut_labeled_faces

    def labeled(key: str, label: str, path: Path, truth: Path | None) -> LabeledVideo:
        return LabeledVideo(
            key=key,
            name=path.name,
            label=label,
            identity=key,
            frames=frozenset(range(0, frames, every)),
            faces_per_frame=1,
            local_path=lambda: nullcontext(path),
            ground_truth=None if truth is None else (lambda: nullcontext(truth)),
        )

    videos, whose = [], {}
    for n, conversion in enumerate(conversions):
        videos.append(labeled(f"fake{n}", "fake", conversion.fake, conversion.ground_truth))
        whose[f"fake{n}"] = conversion.identity
        if with_reals:
            videos.append(labeled(f"real{n}", "real", conversion.real, None))
    if not (out_dir / "labels.csv").exists():
        cut_labeled_faces(videos, out_dir, size=size, device=device)
    with (out_dir / "labels.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    found: dict[str, list] = {"crops": [], "masks": [], "identities": [], "real_crops": []}
    for row in rows:
        rgb = cv2.cvtColor(cv2.imread(str(out_dir / row["path"])), cv2.COLOR_BGR2RGB)
        if row["label"] == "real":
            found["real_crops"].append(rgb)
            continue
        mask = cv2.imread(str(out_dir / row["mask"]), cv2.IMREAD_GRAYSCALE)
        found["crops"].append(rgb)
        found["masks"].append(mask.astype(np.float32) / 255.0)
        found["identities"].append(whose[row["video"]])
    empty = {
        "crops": np.zeros((0, size, size, 3), np.uint8),
        "real_crops": np.zeros((0, size, size, 3), np.uint8),
        "masks": np.zeros((0, size, size), np.float32),
        "identities": np.zeros(0, str),
    }
    return {k: np.asarray(v) if v else empty[k] for k, v in found.items()}

"""Tiny synthetic datasets in the FaceForensics++, DFDC and Celeb-DF layouts.

Every video is a few frames of H.264 with its own colour and noise (so no two share
bytes, which the project would take for one file); FaceForensics++'s masks are lossy
H.264 like the ones it ships: white over a box on frames MASKED, black elsewhere.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from tests.pipeline.detection.fakes import write_video

WIDTH, HEIGHT, FRAMES = 96, 64, 8
MASKED = (2, 5)  # inclusive frames FF++'s mask video marks manipulated
BOX = (30, 16, 70, 52)  # x0, y0, x1, y1 of the mask's white box


def _encode(frames: list[np.ndarray], out: Path, crf: int) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_video(frames, out, crf=crf)


def video(out: Path, seed: int) -> Path:
    """A distinct small clip (a colour of its own plus noise)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 200, 3)
    frames = [
        np.clip(base + rng.integers(-20, 20, (HEIGHT, WIDTH, 3)), 0, 255).astype(np.uint8)
        for _ in range(FRAMES)
    ]
    return _encode(frames, out, crf=18)


def mask_video(out: Path) -> Path:
    frames = []
    for index in range(FRAMES):
        frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        if MASKED[0] <= index <= MASKED[1]:
            x0, y0, x1, y1 = BOX
            frame[y0:y1, x0:x1] = 255
        frames.append(frame)
    return _encode(frames, out, crf=28)  # lossy, as FF++ ships them


def ffpp(root: Path, compressions: tuple[str, ...] = ("c23",)) -> Path:
    """Reals 000-003; Deepfakes 000_001 (with masks) and Face2Face 002_003 (without)."""
    seed = 0
    for c in compressions:
        for vid in ("000", "001", "002", "003"):
            seed += 1
            video(root / f"original_sequences/youtube/{c}/videos/{vid}.mp4", seed)
        for method, name in (("Deepfakes", "000_001"), ("Face2Face", "002_003")):
            seed += 1
            video(root / f"manipulated_sequences/{method}/{c}/videos/{name}.mp4", seed)
    mask_video(root / "manipulated_sequences/Deepfakes/masks/videos/000_001.mp4")
    return root


def dfdc(root: Path, metadata: dict | None = None) -> Path:
    """One part: reals aaa and bbb, fakes ccc (from aaa) and ddd (from bbb)."""
    part = root / "dfdc_train_part_0"
    entries = metadata or {
        "aaa.mp4": {"label": "REAL", "split": "train", "original": None},
        "bbb.mp4": {"label": "REAL", "split": "train", "original": None},
        "ccc.mp4": {"label": "FAKE", "split": "train", "original": "aaa.mp4"},
        "ddd.mp4": {"label": "FAKE", "split": "train", "original": "bbb.mp4"},
    }
    for seed, name in enumerate(("aaa", "bbb", "ccc", "ddd"), 100):
        video(part / f"{name}.mp4", seed)
    part.joinpath("metadata.json").write_text(json.dumps(entries))
    return root


def celebdf(root: Path, testing: str | None = None) -> Path:
    """Celebrities 0-3, fakes id0_id1_0000 and id2_id3_0000, one YouTube video; the
    testing list names the first fake and the YouTube video."""
    names = [
        "Celeb-real/id0_0000",
        "Celeb-real/id1_0000",
        "Celeb-real/id2_0000",
        "Celeb-real/id3_0000",
        "Celeb-synthesis/id0_id1_0000",
        "Celeb-synthesis/id2_id3_0000",
        "YouTube-real/00000",
    ]
    for seed, name in enumerate(names, 200):
        video(root / f"Celeb-DF-v2/{name}.mp4", seed)
    listing = testing or "0 Celeb-synthesis/id0_id1_0000.mp4\n1 YouTube-real/00000.mp4\n"
    (root / "Celeb-DF-v2/List_of_testing_videos.txt").write_text(listing)
    return root


def zip_folder(folder: Path, out: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out


LAYOUTS = {"ffpp": ffpp, "dfdc": dfdc, "celebdf": celebdf}

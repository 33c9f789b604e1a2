"""A small labeled face set from real media, with crude fakes, for detector training tests.

Real faces come from the shared research media's real photos and videos (one identity
per person; the same person in two files shares one). Each real face also yields one
fake of the same identity: its face interior blurred inside a hard-edged hull (or,
optionally, every other one replaced by another person's face through a 64 px "swap
model" crop pasted with a hard mask). Crops use the detector's 30% margin.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from deepreview_workers.pipeline.detection.models import face_crop
from tests.media_paths import SHARED_MEDIA
from tests.pipeline.detection.fakes import (
    blur_interior,
    decode,
    largest_face,
    paste_face,
    read_rgb,
    swap_source,
)

# Files showing the same person share an identity; other files are their own person.
SAME_PERSON = {
    "pd_obama_official_portrait_2012": "obama",
    "pd_obama_2011_whitehouse_address": "obama",
    "biden_2": "biden",
    "pd_biden_official_vp_portrait": "biden",
    # LivePortrait's driving clips may show one performer: keep them together.
    "liveportrait_d0_greenscreen_talking": "liveportrait_driving",
    "liveportrait_d3_expressions": "liveportrait_driving",
    "liveportrait_d18_mouth_open": "liveportrait_driving",
    "liveportrait_d19_smiling_glasses": "liveportrait_driving",
}
SKIP = {"obama_biden_two_people", "simswap_multi_people_real", "facenet_pytorch_crowd_multi_face"}
MAX_SIDE = 480  # detection on big frames is slow; faces stay over 100 px in these


def real_faces(detector: object, landmarker: object, frames_per_video: int = 4) -> list:
    """(identity, rgb, box, landmarks) per real face found in the shared media."""
    samples = []
    for path in sorted((SHARED_MEDIA / "real_images").iterdir()):
        if path.stem in SKIP:
            continue
        rgb = read_rgb(path, MAX_SIDE)
        try:
            box, landmarks = largest_face(detector, landmarker, rgb)
        except LookupError:
            continue
        samples.append((SAME_PERSON.get(path.stem, path.stem), rgb, box, landmarks))
    for path in sorted((SHARED_MEDIA / "real_videos").glob("*.mp4")):
        if path.stem in SKIP:
            continue
        frames = [_shrink(f) for f in decode(path, frames_per_video, step=25)]
        hits = detector.detect_batch(frames)
        for rgb, frame_hits in zip(frames, hits, strict=True):
            if not frame_hits:
                continue
            hit = max(frame_hits, key=lambda h: (h.box[2] - h.box[0]) * (h.box[3] - h.box[1]))
            landmarks = landmarker.predict(rgb, [hit.box])[0]
            samples.append((SAME_PERSON.get(path.stem, path.stem), rgb, hit.box, landmarks))
    return samples


def _shrink(rgb: np.ndarray) -> np.ndarray:
    scale = MAX_SIDE / max(rgb.shape[:2])
    if scale >= 1:
        return rgb
    size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def write_face_set(samples: list, root: Path, size: int = 128, mixed: bool = False) -> Path:
    """Write ``root/real/<identity>/*.png`` and ``root/fake/<identity>/*.png``.

    Fakes blur the face interior; with ``mixed`` every other one pastes another person's
    face instead (grey portraits on colour faces and back: too varied for a detector to
    learn from twenty people in a few seconds, so the training test leaves it off)."""
    sources = [swap_source(rgb, lm, 64) for _i, rgb, _b, lm in samples] if mixed else []
    for n, (identity, rgb, box, landmarks) in enumerate(samples):
        if mixed and n % 2 == 0:
            donor = (n * 7 + 3) % len(samples)
            while samples[donor][0] == identity:
                donor = (donor + 1) % len(samples)
            fake = paste_face(rgb, landmarks, sources[donor])
        else:
            fake = blur_interior(rgb, landmarks, box)
        for label, image in (("real", rgb), ("fake", fake)):
            folder = root / label / identity
            folder.mkdir(parents=True, exist_ok=True)
            crop = face_crop(image, box, size)
            cv2.imwrite(str(folder / f"{n:03d}.png"), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    return root

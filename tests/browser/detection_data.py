"""Rows for the detection pages: a trained detector with its per-epoch history, the
project's own fakes (conversions with different settings) and real videos, each
with a detection run whose signals carry the real plugins' descriptions.

Nothing here trains or runs a model: the numbers are chosen so the pages have
something to show and the tests something exact to check.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from deepreview_workers.pipeline.detection.signals import DEFAULT_SIGNALS, signals
from tests.factories import (
    ConversionFactory,
    DetectionRunFactory,
    DetectorFactory,
    MediaItemFactory,
)

THRESHOLD = 0.46
EPOCHS = 12
VAL_FACES = 96

# Typical video-level level and robust spread of each signal, in its own unit.
SIGNAL_LEVELS = {
    "face_blur": (0.42, 0.18),
    "edge_seam": (0.21, 0.12),
    "skin_tone": (6.4, 1.9),
    "mouth_sharpness": (0.35, 0.22),
    "flicker": (0.30, 0.15),
    "landmark_jitter": (1.15, 0.40),
    "blinking": (0.29, 0.03),
}

# How the project's fakes were made, with each fake's detector score and the
# signals that stand out in it (p90 robust z of 2.6; the others sit at 1.2).
FAKE_GROUPS = [
    {
        "arch": "original",
        "options": {
            "mask": "extended",
            "feather_px": 8,
            "color_transfer": "reinhard",
            "seamless_clone": False,
        },
        "fakes": [
            ("anna_to_ben_press.mp4", 0.94, {"face_blur", "edge_seam"}),
            ("anna_to_ben_street.mp4", 0.88, {"face_blur"}),
            ("anna_to_ben_studio.mp4", 0.41, {"face_blur"}),
        ],
    },
    {
        "arch": "original",
        "options": {
            "mask": "components",
            "feather_px": 0,
            "color_transfer": "none",
            "seamless_clone": False,
        },
        "fakes": [
            ("ben_to_anna_hard_edge.mp4", 0.81, {"edge_seam", "skin_tone"}),
            ("ben_to_anna_hard_edge_2.mp4", 0.62, {"edge_seam", "skin_tone", "face_blur"}),
        ],
    },
    {
        "arch": "medium128",
        "options": {
            "mask": "extended",
            "feather_px": 12,
            "color_transfer": "hist-match",
            "seamless_clone": True,
        },
        "fakes": [("anna_to_ben_clone.mp4", 0.33, set())],
    },
]
REALS = [
    ("anna_interview.mp4", 0.08),
    ("ben_lecture.mp4", 0.15),
    ("anna_podcast.mp4", 0.22),
    ("ben_townhall.mp4", 0.37),
    ("anna_backlit.mp4", 0.52),
    ("ben_office.mp4", 0.12),
]


def epoch_history(epochs: int = EPOCHS) -> list[dict]:
    """A run that learns, then overfits a little: validation log loss bottoms out at 9."""
    history = []
    for epoch in range(1, epochs + 1):
        learned = 1 - math.exp(-epoch / 3)
        auc = 0.60 + 0.33 * learned
        accuracy = 0.55 + 0.31 * learned - 0.004 * max(0, epoch - 9)
        eer = 0.45 - 0.31 * learned + 0.003 * max(0, epoch - 9)
        log_loss = 0.69 * math.exp(-epoch / 3.2) + 0.28 + 0.01 * max(0, epoch - 8) ** 2
        correct = round(accuracy * VAL_FACES)
        tp, fp = correct // 2, (VAL_FACES - correct) // 2
        cosine = (1 + math.cos(math.pi * epoch / epochs)) / 2
        history.append(
            {
                "epoch": epoch,
                "train_loss": round(0.70 * math.exp(-epoch / 2.5) + 0.12, 5),
                "val": {
                    "count": VAL_FACES,
                    "auc": round(auc, 5),
                    "log_loss": round(log_loss, 5),
                    "accuracy": round(correct / VAL_FACES, 5),
                    "eer": round(eer, 5),
                    "eer_threshold": round(0.5 - 0.04 * learned, 5),
                    "confusion": {
                        "threshold": 0.5,
                        "tp": tp,
                        "fp": fp,
                        "tn": correct - tp,
                        "fn": VAL_FACES - correct - fp,
                        "accuracy": round(correct / VAL_FACES, 5),
                    },
                },
                "learning_rate": round(1e-3 * (0.05 + 0.95 * cosine), 8),
                "seconds": 41.2,
            }
        )
    return history


def signal_summaries(standing_out: set[str]) -> dict:
    """Each default signal's summary as a run stores it: the plugin's own name, kind,
    description and unit, and figures placing its p90 at z 2.6 (standing out) or 1.2."""
    result = {}
    for name in DEFAULT_SIGNALS:
        info = signals.get(name).info()
        centre, spread = SIGNAL_LEVELS[name]
        z = 2.6 if name in standing_out else 1.2
        summary: dict = {
            "count": 30,
            "mean": round(centre + 0.2 * spread, 4),
            "median": centre,
            "p90": round(centre + z * spread, 4),
            "max": round(centre + (z + 0.8) * spread, 4),
        }
        if name == "blinking":
            summary.update(
                blinks=3, observed_seconds=14.2, blinks_per_minute=12.68, sample_fps=15.0
            )
        result[name] = {
            **info,
            "scale": {"method": "robust_z", "centre": centre, "spread": spread, "count": 30},
            "summary": summary,
        }
    return result


def _result_file(project_id: int, name: str, run: dict) -> str:
    body = {"schema": "deepreview.detection", "version": 1, **run, "frames": []}
    return default_storage.save(
        f"projects/{project_id}/detections/{name}.json", ContentFile(json.dumps(body).encode())
    )


def add_run(
    project,
    media,
    detector,
    score: float | None,
    standing_out: set[str],
    *,
    status: str = "ok",
    message: str = "",
):  # noqa: ANN001, ANN201
    label = "" if score is None else ("fake" if score >= THRESHOLD else "real")
    faces = 0 if status == "no_faces" else 31
    sigs = {} if status == "no_faces" else signal_summaries(standing_out)
    row = {
        "status": status,
        "message": message,
        "signals": sigs,
        "frames_analysed": 32,
        "frames_with_faces": faces,
    }
    return DetectionRunFactory(
        project=project,
        media=media,
        detector=detector,
        detector_name=detector.name if detector else "",
        status=status,
        message=message,
        score_mean=None if score is None else round(score * 0.86 + 0.05, 4),
        score_confident=score,
        threshold=THRESHOLD if score is not None else None,
        label=label,
        signals=sigs,
        frames_analysed=32,
        frames_with_faces=faces,
        seconds=6.4,
        result=_result_file(project.pk, f"{media.pk}-{detector and detector.pk}", row),
    )


@dataclass
class DetectionStudy:
    detector: object
    untrained: object
    fakes: list = field(default_factory=list)
    reals: list = field(default_factory=list)
    not_run: object = None
    no_faces: object = None


def trained_detector(project, name: str = "Meso baseline"):  # noqa: ANN001, ANN201
    history = epoch_history()
    best = min(history, key=lambda e: e["val"]["log_loss"])
    # As the training job records it: the kept epoch, then its calibration.
    calibration = {
        "calibration": {"method": "platt", "a": 0.62, "b": -0.31},
        "threshold_fpr": 0.1,
        "log_loss": round(0.8 * best["val"]["log_loss"], 3),
        "log_loss_uncalibrated": round(best["val"]["log_loss"], 3),
        "real_videos": 10,
    }
    return DetectorFactory(
        project=project,
        name=name,
        arch="meso4",
        status="ready",
        threshold=THRESHOLD,
        checkpoint=f"projects/{project.pk}/detectors/meso.pt",
        history=history,
        best={**best, **calibration},
        options={"epochs": EPOCHS, "frames_per_video": 16},
        training_set={
            "videos": 12,
            "faces": 384,
            "split": {
                "train": {"faces": 288, "identities": 4},
                "val": {"faces": VAL_FACES, "identities": 2},
            },
        },
    )


def detection_study(project) -> DetectionStudy:  # noqa: ANN001
    """Six reals and six of the project's own fakes, each scored by a trained detector."""
    detector = trained_detector(project)
    untrained = DetectorFactory(
        project=project, name="EfficientNet trial", arch="efficientnet_b0", options={"epochs": 20}
    )
    study = DetectionStudy(detector=detector, untrained=untrained)
    for group in FAKE_GROUPS:
        for name, score, standing_out in group["fakes"]:
            conversion = ConversionFactory(
                project=project,
                options=group["options"],
                provenance={"model": {"arch": group["arch"]}},
                output_media=MediaItemFactory(project=project, name=name, origin="fake"),
            )
            add_run(project, conversion.output_media, detector, score, standing_out)
            study.fakes.append(conversion.output_media)
    for name, score in REALS:
        video = MediaItemFactory(project=project, name=name, origin="real")
        add_run(project, video, detector, score, set())
        study.reals.append(video)
    study.not_run = MediaItemFactory(project=project, name="ben_newsroom.mp4", origin="real")
    study.no_faces = MediaItemFactory(project=project, name="city_timelapse.mp4", origin="real")
    add_run(
        project,
        study.no_faces,
        detector,
        None,
        set(),
        status="no_faces",
        message="No faces found in the 32 analysed frames: nothing to score",
    )
    return study

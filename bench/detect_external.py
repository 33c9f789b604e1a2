"""How well detection separates real and fake clips nobody trained on.

    .venv/bin/python bench/detect_external.py [--detector CHECKPOINT] [--frames 32]
                                              [--json bench/results/detect_external.json]
                                              [--record]

The clips: ``eval_external/`` (fakes from ten generators against their real clips),
``fake_videos/`` against the real clips in ``real_videos/`` (which the built-in detector
never trained on; a clip a detector's card lists in ``training_files`` is left out), and
the side-by-side clips cut into their real (left) and fake (right) halves
(DeepFaceLive's, FSRT's and TPSMM's, as their SOURCES.md say).

Each clip is decoded once (``VideoDetector.run``), which gives the built-in detector's
calibrated video probability, the signal fusion's probability and every signal's
video-level 90th percentile. It prints, for each of those, video AUC, average
precision and (for the probabilities) log loss, overall and for face swaps alone, then
the figures per clip, the seconds per 10-second video and the detector's AUC for each
kind of fake. ``--record`` ships those figures beside the built-in detector
(``builtin/external_check.json``), where the video page and the fact-check report show
them next to its scores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SHARED = Path(os.environ.get("DEEPREVIEW_SHARED_MEDIA", REPO.parent / "shared" / "media"))
FACE_SWAP = "face swap"
BUILTIN_CHECKPOINT = (
    REPO / "deepreview_workers" / "pipeline" / "detection" / "builtin" / "detector.pt"
)


@dataclass(frozen=True)
class Clip:
    path: Path
    label: int  # 1 fake
    method: str
    half: str | None = None  # "left" / "right": cut a side-by-side clip at split_x
    split_x: int = 0

    @property
    def name(self) -> str:
        return self.path.stem + (f"[{self.half}]" if self.half else "")


def _method(name: str) -> str:
    if name.startswith(("motioncoseg", "dfdc", "deepfacelive")):
        return FACE_SWAP
    if name.startswith(("w2l",)):
        return "lip sync"
    if name.startswith(("sadtalker", "sda", "facesynth")):
        return "talking head"
    if "NeuralTextures" in name:
        return "neural textures"
    return "reenactment"


def clips() -> list[Clip]:
    ext = SHARED / "eval_external"
    out = [Clip(p, 0, "real") for p in sorted((ext / "real_videos").glob("*.mp4"))]
    out += [Clip(p, 0, "real") for p in sorted((SHARED / "real_videos").glob("*.mp4"))]
    halves = {
        "fsrt_result.mp4": 256,
        "tpsmmkairess_result.mp4": 512,
        "deepfacelive_side_by_side_Tim_Norland_0.mp4": 520,
    }
    fakes = sorted((ext / "fake_videos").glob("*.mp4")) + sorted(
        (SHARED / "fake_videos").glob("*.mp4")
    )
    for path in fakes:
        method = _method(path.name)
        if path.name in halves:
            out.append(Clip(path, 0, "real", "left", halves[path.name]))
            out.append(Clip(path, 1, method, "right", halves[path.name]))
        else:
            out.append(Clip(path, 1, method))
    return out


def trained_on(checkpoint: Path) -> set[str]:
    """File names of what a checkpoint's recipe trained on, from the card the recipe
    writes beside it (``training_files``: names, or paths in older cards); empty without
    one. The shared media's file names are unique across its folders."""
    card = checkpoint.with_suffix(".json")
    if not card.is_file():
        return set()
    return {Path(name).name for name in json.loads(card.read_text()).get("training_files", [])}


def cut_half(clip: Clip, folder: Path) -> Path:
    """One half of a side-by-side clip, re-encoded at high quality (both halves alike)."""
    import av

    out = folder / f"{clip.path.stem}_{clip.half}.mp4"
    with av.open(str(clip.path)) as src, av.open(str(out), "w") as dst:
        stream = src.streams.video[0]
        rate = stream.average_rate or 25
        enc = dst.add_stream("libx264", rate=rate)
        enc.options = {"crf": "16", "preset": "veryfast"}
        enc.pix_fmt = "yuv420p"
        width = clip.split_x if clip.half == "left" else stream.codec_context.width - clip.split_x
        enc.width, enc.height = width // 2 * 2, stream.codec_context.height // 2 * 2
        for frame in src.decode(stream):
            rgb = frame.to_ndarray(format="rgb24")
            part = rgb[:, : clip.split_x] if clip.half == "left" else rgb[:, clip.split_x :]
            part = part[: enc.height, : enc.width]
            for packet in enc.encode(
                av.VideoFrame.from_ndarray(np.ascontiguousarray(part), format="rgb24")
            ):
                dst.mux(packet)
        for packet in enc.encode():
            dst.mux(packet)
    return out


def metrics(labels: list[int], scores: list[float | None], probability: bool) -> dict:
    from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

    pairs = [(y, s) for y, s in zip(labels, scores, strict=True) if s is not None]
    if len({y for y, _s in pairs}) < 2:
        return {"count": len(pairs), "auc": None, "ap": None, "log_loss": None}
    y = np.array([p[0] for p in pairs])
    s = np.array([p[1] for p in pairs], dtype=np.float64)
    return {
        "count": len(pairs),
        "auc": round(float(roc_auc_score(y, s)), 4),
        "ap": round(float(average_precision_score(y, s)), 4),
        "log_loss": round(float(log_loss(y, np.clip(s, 1e-6, 1 - 1e-6))), 4)
        if probability
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detector", type=Path, default=None, help="default: built-in")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--limit", type=int, default=0, help="first N clips (a quick look)")
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the figures beside the built-in detector (builtin/external_check.json),"
        " where the pages show them",
    )
    args = parser.parse_args()
    if args.record and (args.detector or args.limit):
        parser.error("--record measures the built-in detector on every clip: no --detector/--limit")

    from deepreview_workers.pipeline.detection.builtin import load_builtin_detector
    from deepreview_workers.pipeline.detection.checkpoint import load_detector
    from deepreview_workers.pipeline.detection.video import DetectOptions, VideoDetector

    detector = (
        load_detector(args.detector, args.device)
        if args.detector
        else load_builtin_detector(args.device)
    )
    runner = VideoDetector(DetectOptions(frames=args.frames, device=args.device))
    seen = trained_on(args.detector or BUILTIN_CHECKPOINT)
    every = clips()
    unseen = [c for c in every if c.path.name not in seen]
    if seen:
        print(f"left out {len(every) - len(unseen)} clips the detector trained on")
    selected = unseen[: args.limit or None]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for number, clip in enumerate(selected, 1):
            path = cut_half(clip, Path(tmp)) if clip.half else clip.path
            started = time.perf_counter()
            result = runner.run(path, detector)
            seconds = time.perf_counter() - started
            duration = result.source.get("duration_seconds") or 0.0
            reference = result.signal_reference or {}
            row = {
                "clip": clip.name,
                "label": clip.label,
                "method": clip.method,
                "status": result.status,
                "detector": result.score_confident,
                "fusion": reference.get("fusion_probability"),
                "map_region": (result.map_summary or {}).get("region"),
                "signals": {n: s.summary.get("p90") for n, s in result.signals.items()},
                "higher_is_suspicious": {
                    n: s.higher_is_suspicious for n, s in result.signals.items()
                },
                "seconds": round(seconds, 2),
                "duration": duration,
                "seconds_per_10s": round(seconds * 10 / duration, 2) if duration else None,
            }
            rows.append(row)
            truth = "FAKE" if clip.label else "real"
            print(
                f"[{number:2d}/{len(selected)}] {clip.name:55s} {truth}"
                f"  detector {_fmt(row['detector'])}  fusion {_fmt(row['fusion'])}"
                f"  {row['map_region'] or '':13s} {seconds:5.1f} s",
                flush=True,
            )

    report = {
        "clips": len(rows),
        "fakes": sum(r["label"] for r in rows),
        "detector": detector.describe(),
        "scores": {},
        "per_clip": rows,
    }
    subsets = {"all": rows, "face swaps": [r for r in rows if r["method"] in (FACE_SWAP, "real")]}
    names = ["detector", "fusion", *sorted(rows[0]["signals"])] if rows else []
    print(f"\n{'score':22s} {'subset':11s} {'n':>3s} {'AUC':>6s} {'AP':>6s} {'logloss':>8s}")
    for name in names:
        for subset, chosen in subsets.items():
            labels = [r["label"] for r in chosen]
            if name in ("detector", "fusion"):
                scores, prob = [r[name] for r in chosen], True
            else:  # a signal: oriented so that higher means more suspicious
                sign = (
                    -1.0 if chosen and chosen[0]["higher_is_suspicious"].get(name) is False else 1.0
                )
                scores = [
                    None if r["signals"].get(name) is None else sign * r["signals"][name]
                    for r in chosen
                ]
                prob = False
            m = metrics(labels, scores, prob)
            report["scores"].setdefault(name, {})[subset] = m
            print(
                f"{name:22s} {subset:11s} {m['count']:3d} {_fmt(m['auc']):>6s} "
                f"{_fmt(m['ap']):>6s} {_fmt(m['log_loss']):>8s}"
            )
    per10 = [r["seconds_per_10s"] for r in rows if r["seconds_per_10s"]]
    if per10:
        report["seconds_per_10s_video"] = {
            "median": round(float(np.median(per10)), 2),
            "p90": round(float(np.percentile(per10, 90)), 2),
        }
        print(
            f"\nseconds per 10-second video: median {np.median(per10):.2f}, "
            f"p90 {np.percentile(per10, 90):.2f} (CPU threads: {_threads()})"
        )
    report["by_kind"] = by_kind(rows)
    for kind, figures in report["by_kind"].items():
        print(
            f"  {kind:16s} n={figures['fakes']:2d}  detector AUC against every real clip "
            f"{_fmt(figures['auc'])}, mean probability {_fmt(figures['mean_probability'])}"
        )
    if args.record:
        record(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")


def record(report: dict) -> None:
    """Ship the figures with the built-in detector (``external_check.py``)."""
    from datetime import date

    from deepreview_workers.pipeline.detection.external_check import (
        FILE_NAME,
        from_bench_report,
    )
    from deepreview_workers.pipeline.detection.reference import BUILTIN_REFERENCE

    check = from_bench_report(
        report, date.today().isoformat(), BUILTIN_CHECKPOINT, BUILTIN_REFERENCE
    )
    path = BUILTIN_CHECKPOINT.with_name(FILE_NAME)
    path.write_text(json.dumps(check, indent=1) + "\n")
    print(f"wrote {path}")


def by_kind(rows: list[dict]) -> dict[str, dict]:
    """The detector's figures for each kind of fake against every real clip: where it
    sees fakes and where it does not."""
    reals = [r for r in rows if not r["label"]]
    kinds = sorted({r["method"] for r in rows if r["label"]})
    out = {}
    for kind in kinds:
        fakes = [r for r in rows if r["label"] and r["method"] == kind]
        chosen = reals + fakes
        m = metrics([r["label"] for r in chosen], [r["detector"] for r in chosen], True)
        scored = [r["detector"] for r in fakes if r["detector"] is not None]
        out[kind] = {
            "fakes": len(fakes),
            "auc": m["auc"],
            "mean_probability": round(float(np.mean(scored)), 4) if scored else None,
        }
    return out


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def _threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    main()

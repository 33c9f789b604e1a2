#!/usr/bin/env python
"""A run of the built-in detector's recipe that was tried and not shipped (model card):
fakes rendered by small decoders join the self-blends.

    .venv/bin/python scripts/experiments/rendered_fakes.py var/exp-rendered/detector.pt
    .venv/bin/python bench/detect_external.py --detector var/exp-rendered/detector.pt

Talking-head and reenactment generators render the face (often the whole frame) with a
decoder; a self-blend never does. Following AutoGAN (Zhang, Karaman and Chang, "Detecting
and Simulating Artifacts in GAN Fake Images", 2019), three small autoencoders (64 x 64
features for a 256 px face, as First Order Motion renders; nearest, bilinear and
transposed-convolution upsampling) are trained on the training faces, and each training
face rendered by each joins the fakes (30% of them, through the recipe's extra fakes):
half the whole crop (map target: all of it), half pasted through the landmark hull.
2026-12-05 on this 2-core CPU (3 x 4 minutes of autoencoders, 12 minutes of training):
validation AUC 0.884 (best step 500), external AUC 0.608, face swaps 0.652, talking
heads 0.489, reenactment 0.687 (``bench/results/detect_external-2026-12-05-rendered.json``).
Needs the recipe's faces cache (``var/builtin-faces.npz``).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from deepreview_workers.pipeline.detection.realfaces import RealFaceBank  # noqa: E402
from deepreview_workers.pipeline.detection.selfblend import (  # noqa: E402
    SelfBlendOptions,
    _check_face,
    _paste,
)
from deepreview_workers.pipeline.detection.selfblend_train import (  # noqa: E402
    SelfBlendTrainOptions,
    split_groups,
    train_self_blend,
)


class Up(nn.Module):
    def __init__(self, cin: int, cout: int, kind: str) -> None:
        super().__init__()
        self.kind = kind
        if kind == "transposed":
            self.up = nn.ConvTranspose2d(cin, cout, 4, 2, 1)
        else:
            self.up = nn.Conv2d(cin, cout, 3, 1, 1)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind != "transposed":
            x = F.interpolate(x, scale_factor=2, mode=self.kind)
        return F.relu(self.bn(self.up(x)))


class AE(nn.Module):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(3, 64, 4, 2, 1),
            nn.ReLU(),
            nn.Conv2d(64, 128, 4, 2, 1),
            nn.ReLU(),
            nn.Conv2d(128, 128, 3, 1, 1),
            nn.ReLU(),
        )
        # FOMM renders 256 px from 64 x 64 features, as here.
        self.dec = nn.Sequential(Up(128, 64, kind), Up(64, 32, kind))
        self.out = nn.Conv2d(32, 3, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.out(self.dec(self.enc(x))))


def train_ae(crops: np.ndarray, kind: str, steps: int, rng: np.random.Generator) -> AE:
    model = AE(kind)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    t0 = time.monotonic()
    for step in range(steps):
        idx = rng.integers(len(crops), size=16)
        ys, xs = rng.integers(0, 256 - 64, size=(2, 16))
        patch = np.stack(
            [crops[i, y : y + 64, x : x + 64] for i, y, x in zip(idx, ys, xs, strict=True)]
        )
        x = torch.from_numpy(patch).permute(0, 3, 1, 2).float() / 255
        loss = F.l1_loss(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == int(steps * 0.75):
            for g in opt.param_groups:
                g["lr"] = 3e-4
        if step % 200 == 0 or step == steps - 1:
            print(
                f"  AE {kind} step {step} L1 {loss.item():.4f} ({time.monotonic() - t0:.0f} s)",
                flush=True,
            )
    return model.eval()


@torch.inference_mode()
def render(model: AE, crops: np.ndarray) -> np.ndarray:
    out = []
    for start in range(0, len(crops), 32):
        x = torch.from_numpy(crops[start : start + 32]).permute(0, 3, 1, 2).float() / 255
        out.append((model(x).permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8))
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the checkpoint to write")
    parser.add_argument("--ae-steps", type=int, default=1500)
    parser.add_argument("--faces-cache", type=Path, default=REPO / "var" / "builtin-faces.npz")
    args = parser.parse_args()
    out, steps = args.out, args.ae_steps
    bank = RealFaceBank.load(args.faces_cache)
    is_val = split_groups(bank.groups, 0.2, 0)
    train_idx = np.flatnonzero(~is_val)
    rng = np.random.default_rng(0)
    crops, masks = [], []
    samples = {}
    for kind in ("nearest", "bilinear", "transposed"):
        model = train_ae(bank.crops[train_idx], kind, steps, rng)
        rendered = render(model, bank.crops[train_idx])
        for j, index in enumerate(train_idx):
            face = bank.crops[index]
            if rng.random() < 0.5:
                crops.append(rendered[j])
                masks.append(np.ones(face.shape[:2], np.float32))
            else:
                points = _check_face(face, bank.landmarks[index])
                rgb, mask = _paste(face, points, rendered[j], rng, SelfBlendOptions())
                crops.append(rgb)
                masks.append(mask)
        samples[kind] = np.concatenate([bank.crops[train_idx[0]], rendered[0]], axis=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out.parent / "samples.png"), np.concatenate(list(samples.values()))[..., ::-1])
    extra = (np.stack(crops), np.stack(masks))
    print(f"{len(crops)} rendered fakes", flush=True)
    options = SelfBlendTrainOptions(steps=2400, stop_at=837, seed=0)
    started = time.monotonic()
    result = train_self_blend(
        bank,
        out,
        options,
        extra_fakes=extra,
        progress=lambda f, m: print(f"  [{f:5.1%}] {m}", flush=True),
    )
    card = {
        "recipe": "scripts/experiments/rendered_fakes.py",
        "training_files": sorted({str(n) for n in bank.sources}),
        "best_step": result.best_step,
        "validation": result.val,
        "calibration": result.calibration,
        "train_seconds": round(time.monotonic() - started),
    }
    out.with_suffix(".json").write_text(json.dumps(card, indent=1, default=float) + "\n")
    print(
        json.dumps(
            {k: card[k] for k in ("best_step", "validation", "train_seconds")}, default=float
        )
    )


if __name__ == "__main__":
    main()

"""Swap model architectures (shared encoder, one decoder per identity) and model folders.

Architectures are plugins, chosen by name (``architectures.get("original")``):

- ``original``: the classic deepfakes / faceswap "Original" 64 px autoencoder. Encoder:
  four 5x5 stride-2 convolutions (128, 256, 512, 1024 channels, LeakyReLU 0.1), a dense
  bottleneck (1024), a dense layer back to 4x4x1024 and one pixel-shuffle upscale to
  8x8x512. Each decoder: three pixel-shuffle upscales (256, 128, 64) to 64x64 and a 5x5
  convolution to RGB with a sigmoid.
- ``medium128``: the same design at 128 px with a wider bottleneck (512 -> 8x8x512),
  residual blocks in the decoders and a second decoder branch that predicts a 1-channel
  face mask (sigmoid), used by conversion's ``learned`` mask.

``width`` multiplies every channel count and dense size (1.0 = the real sizes above);
tests and CPU benches use small widths such as 0.125.

A model folder (``model_dir``) holds::

    checkpoint.pt        torch.save dict, see ``save_checkpoint`` (atomic: tmp + os.replace)
    model.json           the same metadata without tensors, for the web app (atomic)
    loss_history.jsonl   one JSON object per logged iteration (written by train.py)
    previews/preview_<iteration:07d>.png

Checkpoints are loaded with ``torch.load(weights_only=True)``: they hold only tensors and
plain Python data, so loading an uploaded model folder cannot run code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from deepreview_workers.pipeline.align import alignment_matrix
from deepreview_workers.pipeline.device import resolve_device
from deepreview_workers.pipeline.options.spec import OptionError
from deepreview_workers.pipeline.options.swap import SwapArchParams
from deepreview_workers.pipeline.registry import Registry
from deepreview_workers.pipeline.swap.errors import SwapInputError

CHECKPOINT_NAME = "checkpoint.pt"
METADATA_NAME = "model.json"
CHECKPOINT_FORMAT = "deepreview.swap_checkpoint"
CHECKPOINT_VERSION = 1
SIDES = ("a", "b")


def _channels(base: int, width: float) -> int:
    # Keep at least 4 channels so a tiny test width still has a working network.
    return max(4, int(round(base * width)))


def _conv(in_ch: int, out_ch: int) -> nn.Sequential:
    """5x5 stride-2 convolution + LeakyReLU(0.1): halves the resolution."""
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 5, stride=2, padding=2), nn.LeakyReLU(0.1))


class _Upscale(nn.Sequential):
    """3x3 convolution to 4x channels, LeakyReLU(0.1), pixel shuffle: doubles resolution."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__(
            nn.Conv2d(in_ch, out_ch * 4, 3, padding=1), nn.LeakyReLU(0.1), nn.PixelShuffle(2)
        )


class _Residual(nn.Module):
    """Two 3x3 convolutions with a skip connection (DeepFaceLab's decoder block)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, channels, 3, padding=1),
        )
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x))


class _Encoder(nn.Module):
    """Strided convolutions, dense bottleneck, dense back to a small map, one upscale."""

    def __init__(
        self, size: int, convs: tuple[int, ...], dense: int, map_ch: int, out_ch: int
    ) -> None:
        super().__init__()
        layers, in_ch = [], 3
        for out in convs:
            layers.append(_conv(in_ch, out))
            in_ch = out
        self.convs = nn.Sequential(*layers)
        self.map_size = size // 2 ** len(convs)
        self.map_ch = map_ch
        self.dense = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_ch * self.map_size**2, dense),
            nn.Linear(dense, map_ch * self.map_size**2),
        )
        self.upscale = _Upscale(map_ch, out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dense(self.convs(x))
        x = x.view(-1, self.map_ch, self.map_size, self.map_size)
        return self.upscale(x)


class _Decoder(nn.Module):
    """Pixel-shuffle upscales to full size, RGB (and optionally mask) with a sigmoid."""

    def __init__(
        self, in_ch: int, ups: tuple[int, ...], residual: bool, mask_ups: tuple[int, ...] = ()
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        ch = in_ch
        for out in ups:
            layers.append(_Upscale(ch, out))
            if residual:
                layers.append(_Residual(out))
            ch = out
        self.body = nn.Sequential(*layers)
        self.to_rgb = nn.Conv2d(ch, 3, 5, padding=2)
        self.mask: nn.Sequential | None = None
        if mask_ups:
            mask_layers: list[nn.Module] = []
            ch = in_ch
            for out in mask_ups:
                mask_layers.append(_Upscale(ch, out))
                ch = out
            mask_layers.append(nn.Conv2d(ch, 1, 5, padding=2))
            self.mask = nn.Sequential(*mask_layers)

    def forward(self, latent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        rgb = torch.sigmoid(self.to_rgb(self.body(latent)))
        mask = None if self.mask is None else torch.sigmoid(self.mask(latent))
        return rgb, mask


class SwapModel(nn.Module):
    """One shared encoder and one decoder per identity (``"a"``, ``"b"``).

    Input and outputs are NCHW float in [0, 1], ``size`` x ``size`` RGB. Subclasses set
    ``size`` and ``has_mask`` (class attributes, readable without building the model).
    """

    name: str = ""
    size: int = 0
    has_mask: bool = False

    def __init__(self, encoder: nn.Module, decoder_a: nn.Module, decoder_b: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoders = nn.ModuleDict({"a": decoder_a, "b": decoder_b})

    def encode(self, faces: torch.Tensor) -> torch.Tensor:
        return self.encoder(faces)

    def decode(self, latent: torch.Tensor, side: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(rgb (N, 3, S, S), mask (N, 1, S, S) or None) from ``side``'s decoder."""
        return self.decoders[side](latent)

    def forward(self, faces: torch.Tensor, side: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.decode(self.encode(faces), side)


architectures: Registry[SwapModel] = Registry("swap model")


@architectures.register("original", params=SwapArchParams)
class OriginalModel(SwapModel):
    """The classic deepfakes 64 px autoencoder (faceswap "Original"), ~82M parameters."""

    name = "original"
    size = 64
    has_mask = False

    def __init__(self, *, width: float) -> None:
        def ch(base: int) -> int:
            return _channels(base, width)

        convs = (ch(128), ch(256), ch(512), ch(1024))
        encoder = _Encoder(64, convs, dense=ch(1024), map_ch=ch(1024), out_ch=ch(512))
        ups = (ch(256), ch(128), ch(64))
        super().__init__(encoder, _Decoder(ch(512), ups, False), _Decoder(ch(512), ups, False))


@architectures.register("medium128", params=SwapArchParams)
class Medium128Model(SwapModel):
    """128 px, residual decoders with a learned-mask branch, ~132M parameters."""

    name = "medium128"
    size = 128
    has_mask = True

    def __init__(self, *, width: float) -> None:
        def ch(base: int) -> int:
            return _channels(base, width)

        convs = (ch(128), ch(256), ch(512), ch(1024))
        encoder = _Encoder(128, convs, dense=ch(512), map_ch=ch(512), out_ch=ch(512))
        ups = (ch(512), ch(256), ch(128))
        mask_ups = (ch(256), ch(128), ch(64))

        def decoder() -> _Decoder:
            return _Decoder(ch(512), ups, True, mask_ups)

        super().__init__(encoder, decoder(), decoder())


def arch_class(name: str) -> type[SwapModel]:
    """The architecture class for ``name``; ``SwapInputError`` lists the known names."""
    try:
        return architectures.get(name)  # type: ignore[return-value]
    except ValueError as exc:
        raise SwapInputError(str(exc)) from None


def build_model(arch: str, width: float = 1.0) -> SwapModel:
    """A freshly initialised model of architecture ``arch`` at channel multiplier ``width``."""
    arch_class(arch)  # an unknown name is a SwapInputError listing the known ones
    try:
        return architectures.create(arch, width=width)
    except OptionError as exc:
        raise SwapInputError(f"model {exc.message}") from None


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---- model folders ----------------------------------------------------------------


def checkpoint_path(model_dir: str | os.PathLike[str]) -> Path:
    return Path(model_dir) / CHECKPOINT_NAME


def has_checkpoint(model_dir: str | os.PathLike[str]) -> bool:
    return checkpoint_path(model_dir).is_file()


def _atomic_write_bytes(target: Path, write: Any) -> None:
    """Call ``write(temp_path)`` then rename over ``target``: readers never see half a file."""
    temp = target.with_name(f".{target.name}.tmp")
    try:
        write(temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def save_checkpoint(model_dir: str | os.PathLike[str], state: Mapping[str, Any]) -> Path:
    """Write ``state`` (see ``checkpoint_state``) as ``checkpoint.pt`` and ``model.json``.

    Both writes are atomic (temp file, then ``os.replace``), so a crash or a reader
    polling the folder never sees a half-written checkpoint.
    """
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    target = checkpoint_path(model_dir)
    _atomic_write_bytes(target, lambda temp: torch.save(dict(state), temp))
    metadata = metadata_of(state)
    text = json.dumps(metadata, indent=2, sort_keys=True, allow_nan=False)
    _atomic_write_bytes(
        model_dir / METADATA_NAME, lambda temp: Path(temp).write_text(text, encoding="utf-8")
    )
    return target


def metadata_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-safe part of a checkpoint: what the web app shows without loading torch."""
    history = state.get("loss_history") or []
    return {
        "format": state["format"],
        "version": state["version"],
        "arch": state["arch"],
        "arch_options": dict(state["arch_options"]),
        "size": state["size"],
        "has_mask": state["has_mask"],
        "iteration": state["iteration"],
        "face_geometry": dict(state["face_geometry"]),
        "train_options": state.get("train_options", {}),
        "identities": state.get("identities", {}),
        "last_loss": history[-1] if history else None,
    }


def load_checkpoint(
    model_dir: str | os.PathLike[str], map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Read ``checkpoint.pt``; ``SwapInputError`` when missing or not a swap checkpoint."""
    path = checkpoint_path(model_dir)
    if not path.is_file():
        raise SwapInputError(f"{model_dir} has no {CHECKPOINT_NAME}; train a model there first")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not ours"
        raise SwapInputError(f"{path} is not a readable swap checkpoint ({exc})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise SwapInputError(f"{path} is not a deepreview swap checkpoint")
    if state.get("version") != CHECKPOINT_VERSION:
        raise SwapInputError(
            f"{path} has checkpoint version {state.get('version')!r}; this deepreview reads "
            f"version {CHECKPOINT_VERSION}"
        )
    return state


def model_from_state(state: Mapping[str, Any]) -> SwapModel:
    """Build the architecture named in a checkpoint and load its weights."""
    model = build_model(state["arch"], **state["arch_options"])
    model.encoder.load_state_dict(state["encoder"])
    for side in SIDES:
        model.decoders[side].load_state_dict(state[f"decoder_{side}"])
    return model


@dataclass(frozen=True)
class FaceGeometry:
    """Where the canonical mean face sits in an image (a crop or the model's input).

    ``coverage``: the fraction of the image side the mean face spans (as in
    ``alignment_matrix``). ``x_offset``, ``y_offset``: how far the mean face's placement
    sits right / down of the exactly centred one, as a fraction of the side, measured
    in continuous coordinates (pixel ``i`` covers ``[i, i + 1)``), which stay the same when
    an image is resized. Conversion aligns target faces with these numbers so they are
    framed exactly like the training faces.
    """

    coverage: float
    x_offset: float = 0.0
    y_offset: float = 0.0

    def matrix(self, landmarks68: np.ndarray, size: int) -> np.ndarray:
        """(2, 3) frame -> ``size`` px image matrix placing a face with this geometry."""
        matrix = alignment_matrix(landmarks68, size=size, coverage=self.coverage)
        # alignment_matrix centres in pixel-index coordinates; shift to continuous ones.
        matrix[0, 2] += self.x_offset * size - 0.5
        matrix[1, 2] += self.y_offset * size - 0.5
        return matrix


@dataclass(frozen=True)
class TrainedModel:
    """A loaded model ready for conversion (eval mode, on ``device``)."""

    model: SwapModel
    device: torch.device
    arch: str
    arch_options: Mapping[str, Any]
    iteration: int
    geometry: FaceGeometry
    identities: Mapping[str, str]
    model_dir: Path | None = None

    @property
    def size(self) -> int:
        return self.model.size

    @property
    def has_mask(self) -> bool:
        return self.model.has_mask

    def describe(self) -> dict[str, Any]:
        """JSON-safe summary for provenance (synthetic tag, ground-truth manifest)."""
        return {
            "arch": self.arch,
            "arch_options": dict(self.arch_options),
            "iteration": self.iteration,
            "size": self.size,
            "identities": dict(self.identities),
            "model_dir": None if self.model_dir is None else self.model_dir.name,
        }


def load_model(
    model_dir: str | os.PathLike[str], device: str | torch.device = "auto"
) -> TrainedModel:
    """Load ``model_dir``'s checkpoint for inference on ``device`` (``resolve_device`` names)."""
    target = resolve_device(device)
    state = load_checkpoint(model_dir)
    model = model_from_state(state).to(target).eval()
    geometry = state["face_geometry"]
    return TrainedModel(
        model=model,
        device=target,
        arch=state["arch"],
        arch_options=dict(state["arch_options"]),
        iteration=int(state["iteration"]),
        geometry=FaceGeometry(**{k: float(v) for k, v in geometry.items()}),
        identities=dict(state.get("identities") or {"a": "a", "b": "b"}),
        model_dir=Path(model_dir),
    )

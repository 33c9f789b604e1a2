"""Detector models by name, local ImageNet weights, and the 30%-margin face crop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deepreview_workers.pipeline.detection.models import (
    CROP_MARGIN,
    EfficientNetB0,
    detector_models,
    face_crop,
    square_crop_box,
    to_tensor,
)


def test_registry_names_and_input_sizes():
    assert detector_models.names() == [
        "efficientnet_b0",
        "efficientnet_lite0",
        "efficientnet_lite2",
        "meso4",
    ]
    assert detector_models.get("meso4").default_input_size == 256
    assert detector_models.get("efficientnet_b0").default_input_size == 224
    with pytest.raises(ValueError, match="Unknown detector model 'xception'"):
        detector_models.create("xception")


@pytest.mark.parametrize("size", [64, 128, 256])
def test_meso4_gives_one_logit_per_face(size):
    model = detector_models.create("meso4").eval()
    with torch.no_grad():
        out = model(torch.zeros(2, 3, size, size))
    assert out.shape == (2,)


def test_efficientnet_loads_local_imagenet_weights_and_skips_the_classifier(tmp_path):
    import timm

    imagenet = timm.create_model("efficientnet_b0", pretrained=False, num_classes=1000)
    path = tmp_path / "efficientnet_b0_imagenet.pth"
    torch.save(imagenet.state_dict(), path)
    model = detector_models.create("efficientnet_b0", weights=path)
    own = model.net.state_dict()
    assert model.loaded_keys == len(own) - 2  # all but classifier.weight and .bias
    assert torch.equal(own["conv_stem.weight"], imagenet.state_dict()["conv_stem.weight"])
    assert own["classifier.weight"].shape == (1, 1280)
    with torch.no_grad():
        assert model.eval()(torch.zeros(1, 3, 64, 64)).shape == (1,)

    torch.save({"something": torch.zeros(3)}, tmp_path / "wrong.pth")
    with pytest.raises(ValueError, match="does not look like EfficientNet-B0"):
        EfficientNetB0(weights=tmp_path / "wrong.pth")
    with pytest.raises(FileNotFoundError):
        EfficientNetB0(weights=tmp_path / "missing.pth")


def test_face_crop_adds_thirty_percent_a_side_and_squares():
    assert CROP_MARGIN == 0.3
    # A 100 x 80 box grows to a 160 px square around its centre (100 * (1 + 2 * 0.3)).
    assert square_crop_box((100, 120, 200, 200)) == (150, 160, 160)
    frame = np.zeros((400, 400, 3), dtype=np.uint8)
    frame[120:200, 100:200] = 255  # the box itself is white
    crop = face_crop(frame, (100, 120, 200, 200), size=160)
    assert crop.shape == (160, 160, 3) and crop.dtype == np.uint8
    white = np.argwhere(crop[..., 0] > 127)
    assert white.min(axis=0).tolist() == [40, 30] and white.max(axis=0).tolist() == [119, 129]


def test_face_crop_pads_outside_the_frame_with_black():
    frame = np.full((100, 100, 3), 200, dtype=np.uint8)
    crop = face_crop(frame, (0, 0, 50, 50), size=80)  # the square reaches 15 px outside
    assert crop[0, 0].tolist() == [0, 0, 0] and crop[-1, -1].tolist() == [200, 200, 200]


def test_to_tensor_normalises_like_imagenet():
    grey = np.full((10, 10, 3), 124, dtype=np.uint8)  # about ImageNet's mean red
    tensor = to_tensor([grey], 8)
    assert tensor.shape == (1, 3, 8, 8)
    assert float(tensor[0, 0].mean()) == pytest.approx((124 / 255 - 0.485) / 0.229, abs=1e-4)

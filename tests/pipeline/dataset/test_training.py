"""Detector training takes an export as its input and keeps the export's splits."""

from __future__ import annotations

import csv
import json

import pytest

from deepreview_workers.cli import main
from deepreview_workers.pipeline.detection.augment import AugmentOptions
from deepreview_workers.pipeline.detection.checkpoint import read_checkpoint
from deepreview_workers.pipeline.detection.dataset import TrainingDataError, load_face_set
from deepreview_workers.pipeline.detection.train import TrainOptions, train_detector

TINY = TrainOptions(
    arch="meso4",
    input_size=64,
    epochs=1,
    batch_size=8,
    device="cpu",
    landmarks="none",
    augment=AugmentOptions(drop_part=0.0, jpeg=0.0, blur=0.0, colour=0.0, flip=0.5),
)


def export_rows(folder) -> list[dict]:
    with open(folder / "metadata.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_an_export_zip_loads_as_a_face_set_with_its_splits(main_export):
    face_set = load_face_set(main_export.zip_path)
    rows = export_rows(main_export.folder)
    assert face_set.source == "export" and face_set.crop_margin == pytest.approx(0.3)
    assert len(face_set.faces) == len(rows)
    by_name = {r["path"].rsplit("/", 1)[1]: r for r in rows}
    for face in face_set.faces:
        row = by_name[face.path.name]
        assert face.path.is_file()  # unpacked from the zip for as long as the set lives
        assert (face.split, face.label, face.video) == (
            row["split"],
            int(row["label"] == "fake"),
            row["video"],
        )
        # The ground-truth mask crop comes along: it supervises a detector's map.
        assert (face.mask is not None) == bool(row["mask"])
        assert face.mask is None or face.mask.is_file()
    assert any(face.mask is not None and face.label == 1 for face in face_set.faces)


def test_training_from_an_export_uses_its_train_and_validation_splits(main_export, tmp_path):
    checkpoint = tmp_path / "meso4.pt"
    result = train_detector(main_export.folder, checkpoint, TINY)
    splits = main_export.summary.splits
    assert result.split["train"]["faces"] == splits["train"]["faces"]
    assert result.split["val"]["faces"] == splits["validation"]["faces"]
    assert result.split["val"]["fake"] == splits["validation"]["fake"] > 0
    rows = [r for r in export_rows(main_export.folder) if r["split"] == "validation"]
    scored = {path for path, _label, _score in result.validation}
    assert scored == {str((main_export.folder / r["path"]).resolve()) for r in rows}
    data = read_checkpoint(checkpoint)
    assert set(data["split"]["val_identities"]) == {r["identity"] for r in rows}
    assert data["crop_margin"] == pytest.approx(0.3)


def test_deepreview_train_detector_takes_an_export_zip(main_export, tmp_path, capsys):
    checkpoint = tmp_path / "cli.pt"
    args = ["train-detector", str(main_export.zip_path), "-o", str(checkpoint)]
    code = main([*args, "--epochs", "1", "--batch-size", "8", "--device", "cpu"])
    out = capsys.readouterr().out
    assert code == 0, out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["dataset"]["source"] == "export"
    assert result["split"]["val"]["faces"] == main_export.summary.splits["validation"]["faces"]
    assert checkpoint.is_file()


def test_an_export_without_faces_in_a_split_is_refused_with_advice(small_export, tmp_path):
    # Self-blending is on by default, so a side needs real faces only, and says so.
    with pytest.raises(
        TrainingDataError,
        match="validation split has no faces: training needs real faces .* in both train and "
        "validation. Export again with a validation ratio above 0",
    ):
        train_detector(small_export.zip_path, tmp_path / "x.pt", TINY)

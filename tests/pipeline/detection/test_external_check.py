"""The bench's figures on other tools' fakes, shipped beside the built-in detector."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from deepreview_workers.pipeline.detection import external_check
from deepreview_workers.pipeline.detection.builtin import (
    BUILTIN_CHECKPOINT,
    load_builtin_detector,
)
from deepreview_workers.pipeline.detection.reference import BUILTIN_REFERENCE, SignalReference

REPORT = {
    "clips": 54,
    "fakes": 27,
    "scores": {
        "detector": {"all": {"auc": 0.6296}, "face swaps": {"auc": 0.7481}},
        "fusion": {"all": {"auc": 0.5528}},
    },
    "by_kind": {
        "face swap": {"fakes": 5, "auc": 0.7481, "mean_probability": 0.59},
        "neural textures": {"fakes": 1, "auc": 0.037, "mean_probability": 0.08},
        "talking head": {"fakes": 10, "auc": 0.5037, "mean_probability": 0.42},
    },
}


def _check_in(folder: Path, detector: Path, reference: Path | None) -> None:
    check = external_check.from_bench_report(REPORT, "2026-12-05", detector, reference)
    (folder / external_check.FILE_NAME).write_text(json.dumps(check))


def test_figures_come_with_the_file_they_measured_and_in_words(tmp_path):
    detector = tmp_path / "detector.pt"
    detector.write_bytes(b"weights")
    reference = tmp_path / "signal_reference.json"
    reference.write_text("{}")
    _check_in(tmp_path, detector, reference)

    figures = external_check.measured_figures(tmp_path, "detector", detector)
    assert figures["auc"] == 0.6296 and figures["clips"] == 54 and figures["reals"] == 27
    assert figures["by_kind"]["talking head"] == {"fakes": 10, "auc": 0.5037}
    assert "sha256" not in figures
    assert figures["text"] == (
        "Video AUC 0.63 on 54 clips from other tools (27 fake; 0.5 is chance); by kind: "
        "face swaps 0.75, talking heads 0.50, neural textures 0.04 (1 clip)."
    )
    assert figures["warning"] == "A low score does not clear neural textures or talking heads."
    fusion = external_check.measured_figures(tmp_path, "fusion", reference)
    assert fusion["text"] == "weak: video AUC 0.55 on 54 clips from other tools, 0.5 being chance"
    assert fusion["warning"] is None

    # A retrained detector never carries the figures of the one that was measured.
    detector.write_bytes(b"other weights")
    assert external_check.measured_figures(tmp_path, "detector", detector) is None
    assert external_check.measured_figures(tmp_path / "nowhere", "detector", detector) is None


def test_a_file_that_is_not_a_check_is_refused(tmp_path):
    (tmp_path / external_check.FILE_NAME).write_text(json.dumps({"schema": "other"}))
    with pytest.raises(ValueError, match="not a deepreview external check"):
        external_check.measured_figures(tmp_path, "detector", tmp_path / "x")


def test_the_shipped_detector_and_fusion_carry_their_measured_figures():
    """The shipped check measured the shipped files (bench/detect_external.py --record)."""
    info = load_builtin_detector("cpu").describe()["external_check"]
    assert set(info["by_kind"]) >= {"face swap", "reenactment", "talking head"}
    assert info["clips"] == info["reals"] + info["fakes"] and 0.0 <= info["auc"] <= 1.0
    assert info["text"].startswith(f"Video AUC {info['auc']:.2f} on {info['clips']} clips")
    reference = SignalReference.load_builtin()
    assert reference.fusion_external["auc"] == pytest.approx(
        json.loads(BUILTIN_CHECKPOINT.with_name(external_check.FILE_NAME).read_text())["fusion"][
            "auc"
        ]
    )
    assert reference.compare({})["fusion_external"] == reference.fusion_external


def test_a_detector_beside_no_check_has_no_figures(tmp_path):
    copy = tmp_path / "detector.pt"
    shutil.copy(BUILTIN_CHECKPOINT, copy)
    assert "external_check" not in load_builtin_detector("cpu", path=copy).describe()
    assert BUILTIN_REFERENCE.is_file()


def test_a_damaged_check_is_a_clear_error_naming_what_to_do(tmp_path):
    from deepreview_workers.pipeline.detection.checkpoint import CheckpointError

    copy = tmp_path / "detector.pt"
    shutil.copy(BUILTIN_CHECKPOINT, copy)
    check = tmp_path / external_check.FILE_NAME
    # Valid, but no figures for the detector: nothing to show, nothing broken.
    check.write_text(json.dumps({"schema": external_check.SCHEMA}))
    assert "external_check" not in load_builtin_detector("cpu", path=copy).describe()
    sha = external_check.file_sha256(copy)
    for damaged in (
        "{not json",
        "[1, 2]",
        json.dumps({"schema": external_check.SCHEMA, "detector": {"sha256": sha, "auc": 0.6}}),
    ):
        check.write_text(damaged)
        with pytest.raises(CheckpointError, match="external_check.json is damaged.*reinstall"):
            load_builtin_detector("cpu", path=copy)


def test_a_damaged_check_beside_the_signal_reference_says_what_to_do(tmp_path, monkeypatch):
    from deepreview_workers.pipeline.detection import reference

    copy = tmp_path / "signal_reference.json"
    shutil.copy(BUILTIN_REFERENCE, copy)
    monkeypatch.setattr(reference, "BUILTIN_REFERENCE", copy)
    assert SignalReference.load_builtin().fusion_external is None  # no check beside it
    (tmp_path / external_check.FILE_NAME).write_text("{not json")
    with pytest.raises(ValueError, match="external_check.json is damaged.*--record"):
        SignalReference.load_builtin()

"""faceswap and DeepFaceLab facesets into our extracted-face folders, on synthetic
fixtures cut from real photos (``writers.py``), with the real models."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from deepreview_workers.pipeline.alignments import ALIGNMENTS_FILE, read_alignments
from deepreview_workers.pipeline.extract import ExtractOptions, Extractor
from deepreview_workers.pipeline.foreign_faces import (
    ForeignImportError,
    ImportOptions,
    import_foreign_faces,
)
from deepreview_workers.pipeline.foreign_faces.deepfacelab import dfl_metadata
from deepreview_workers.pipeline.foreign_faces.faceswap import faceswap_png_metadata
from deepreview_workers.pipeline.swap.faceset import load_faceset_folder
from tests.media_paths import FACES, needs_shared_media
from tests.pipeline.foreign_faces import writers

pytestmark = needs_shared_media


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, tuple[writers.SourceFace, np.ndarray]]:
    """Our own extraction of three photos: each source face and our crop (RGB) of it."""
    extractor = Extractor(ExtractOptions(device="cpu"))
    out = tmp_path_factory.mktemp("ours")
    found = {}
    for photo in FACES[:3]:
        result = extractor.run(photo, out / photo.stem)
        saved = result.faces[0]
        face = writers.SourceFace(
            name=photo.stem,
            frame_bgr=cv2.imread(str(photo), cv2.IMREAD_COLOR),
            landmarks68=np.asarray(saved.face.landmarks68, np.float64),
        )
        crop = cv2.imread(str(out / photo.stem / saved.crop_path))[..., ::-1]
        found[photo.stem] = (face, crop)
    return found


def _faces(extracted) -> list[writers.SourceFace]:
    return [face for face, _ in extracted.values()]


def _imported(out: Path) -> dict[str, tuple]:
    """Each imported source's (face record, crop RGB)."""
    found = {}
    for folder in sorted(p for p in out.iterdir() if (p / ALIGNMENTS_FILE).is_file()):
        (face,) = read_alignments(folder / ALIGNMENTS_FILE).faces
        found[folder.name] = (face, cv2.imread(str(folder / face.crop_path))[..., ::-1])
    return found


def _crop_difference(ours: np.ndarray, imported: np.ndarray) -> float:
    """Mean absolute difference (0..255) over the crop's centre, where both have pixels."""
    size = ours.shape[0]
    inner = slice(size // 8, size - size // 8)
    return float(np.abs(ours[inner, inner].astype(int) - imported[inner, inner]).mean())


def _check_against_extraction(extracted, out: Path, *, tolerance: float) -> None:
    imported = _imported(out)
    for stem, (source, our_crop) in extracted.items():
        face, crop = imported[stem]  # faceswap names frames "<photo>_<frame>.png"
        assert np.abs(face.landmarks68 - source.landmarks68).max() < 0.01
        assert _crop_difference(our_crop, crop) < tolerance, stem


def test_faceswap_faces_keep_landmarks_and_match_our_extraction(extracted, tmp_path):
    headers = writers.write_faceswap_faces(tmp_path / "fs", _faces(extracted))
    result = import_foreign_faces(tmp_path / "fs", tmp_path / "out")
    summary = result.summary
    assert summary["faces_imported"] == 3 and summary["formats"] == {"faceswap": 3}
    assert summary["matrix_sources"] == {"faceswap mask 'bisenet-fp_head' (head centring)": 3}
    assert sorted(summary["sources"]) == sorted(extracted)
    _check_against_extraction(extracted, tmp_path / "out", tolerance=4.0)
    # Round trip: what the fixture writer put in is what the reader gets back.
    for name, header in headers.items():
        assert faceswap_png_metadata((tmp_path / "fs" / name).read_bytes()) == header


def test_faceswap_faces_without_a_head_mask_are_placed_by_estimate(extracted, tmp_path):
    writers.write_faceswap_faces(tmp_path / "fs", _faces(extracted), head_mask=False)
    result = import_foreign_faces(tmp_path / "fs", tmp_path / "out")
    assert result.summary["matrix_sources"] == {"estimated": 3}
    _check_against_extraction(extracted, tmp_path / "out", tolerance=9.0)


def test_legacy_faceswap_faces_take_their_alignments_from_the_fsa(extracted, tmp_path):
    writers.write_faceswap_legacy(tmp_path / "fs", _faces(extracted))
    result = import_foreign_faces(tmp_path / "fs", tmp_path / "out", options=ImportOptions())
    assert result.summary["faces_imported"] == 3
    assert result.summary["alignments_frames"] == 3
    _check_against_extraction(extracted, tmp_path / "out", tolerance=4.0)


@pytest.mark.parametrize("png", [False, True], ids=["jpg-app15", "png-fcWp"])
def test_deepfacelab_faces_keep_landmarks_and_match_our_extraction(extracted, tmp_path, png):
    faces = _faces(extracted)
    written = writers.write_dfl_faces(tmp_path / "dfl", faces, png=png)
    result = import_foreign_faces(
        tmp_path / "dfl", tmp_path / "out", options=ImportOptions(format="deepfacelab")
    )
    summary = result.summary
    assert summary["faces_imported"] == 3 and summary["formats"] == {"deepfacelab": 3}
    assert summary["matrix_sources"] == {"DeepFaceLab image_to_face_mat": 3}
    # DFL names frames "00001.png": one source, named after the import, frames 1..3.
    (source,) = result.sources
    assert source.name == "dfl"
    alignments = read_alignments(source.folder / ALIGNMENTS_FILE)
    assert [f.frame_index for f in alignments.faces] == [1, 2, 3]
    for face, (original, our_crop) in zip(alignments.faces, extracted.values(), strict=True):
        assert np.abs(face.landmarks68 - original.landmarks68).max() < 0.01
        crop = cv2.imread(str(source.folder / face.crop_path))[..., ::-1]
        assert _crop_difference(our_crop, crop) < 4.0
    for name, meta in written.items():
        read, _ = dfl_metadata((tmp_path / "dfl" / name).read_bytes())
        assert read.keys() == meta.keys()
        assert np.array_equal(read["image_to_face_mat"], meta["image_to_face_mat"])
        assert [int(v) for v in read["source_rect"]] == [int(v) for v in meta["source_rect"]]
        assert read["source_landmarks"] == meta["source_landmarks"]


def test_imported_folder_sorts_and_loads_as_a_training_faceset(extracted, tmp_path, capsys):
    from deepreview_workers.cli import main

    writers.write_dfl_faces(tmp_path / "dfl", _faces(extracted))
    with zipfile.ZipFile(tmp_path / "dfl.zip", "w") as archive:
        for path in sorted((tmp_path / "dfl").iterdir()):
            archive.write(path, f"aligned/{path.name}")
    assert main(["import-faces", str(tmp_path / "dfl.zip"), "-o", str(tmp_path / "out")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["faces_imported"] == 3
    assert main(["sort", str(tmp_path / "out"), "--by", "blur"]) == 0
    lines = capsys.readouterr().out.split()
    assert len(lines) == 3 and all(Path(line).is_file() for line in lines)
    faceset = load_faceset_folder(tmp_path / "out")
    assert len(faceset) == 3


# ---- bad input ---------------------------------------------------------------------


class _Hostile:
    """Unpickling this calls os.system; the importer must never let it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_hostile_pickles_are_refused_and_nothing_runs(extracted, tmp_path):
    faces = _faces(extracted)
    writers.write_dfl_faces(tmp_path / "dfl", faces[:1])
    marker = tmp_path / "pwned"
    evil = pickle.dumps({"source_landmarks": _Hostile(marker)})
    crop = cv2.imencode(".jpg", np.zeros((64, 64, 3), np.uint8))[1].tobytes()
    (tmp_path / "dfl" / "00009_0.jpg").write_bytes(writers.jpeg_with_app15(crop, evil))
    (tmp_path / "dfl" / "alignments.fsa").write_bytes(__import__("zlib").compress(evil))
    result = import_foreign_faces(tmp_path / "dfl", tmp_path / "out")
    assert not marker.exists()
    assert result.summary["faces_imported"] == 1
    assert result.summary["skipped"] == {"unsafe_pickle": 2}
    assert "posix.system" in " ".join(result.summary["skipped_examples"]["unsafe_pickle"])


def test_unreadable_faces_are_skipped_with_reasons(extracted, tmp_path):
    faces = _faces(extracted)
    writers.write_dfl_faces(tmp_path / "mixed", faces[:2])
    good = tmp_path / "mixed" / "00002_0.jpg"
    (tmp_path / "mixed" / "cut.jpg").write_bytes(good.read_bytes()[:-5000])  # truncated
    cv2.imwrite(str(tmp_path / "mixed" / "plain.png"), np.zeros((64, 64, 3), np.uint8))
    (tmp_path / "mixed" / "notes.txt").write_text("ignored")
    result = import_foreign_faces(tmp_path / "mixed", tmp_path / "out")
    assert result.summary["faces_imported"] == 2
    assert result.summary["skipped"] == {"truncated": 1, "no_metadata": 1}


def test_a_folder_without_foreign_faces_is_an_error_naming_the_formats(tmp_path):
    (tmp_path / "in").mkdir()
    cv2.imwrite(str(tmp_path / "in" / "plain.png"), np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(ForeignImportError, match="no importable faces.*DeepFaceLab aligned"):
        import_foreign_faces(tmp_path / "in", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_hostile_zip_is_refused_whole(extracted, tmp_path):
    writers.write_dfl_faces(tmp_path / "dfl", _faces(extracted)[:1])
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        archive.write(tmp_path / "dfl" / "00001_0.jpg", "00001_0.jpg")
        archive.writestr("../../escape.jpg", b"x")
    with pytest.raises(ForeignImportError, match="unsafe"):
        import_foreign_faces(tmp_path / "evil.zip", tmp_path / "out")
    assert not (tmp_path / "out").exists()

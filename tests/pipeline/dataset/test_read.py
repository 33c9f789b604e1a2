"""Reading an export back, as the importer does; refusing what it cannot read."""

from __future__ import annotations

import json
import zipfile

import pytest

from deepreview_workers.pipeline.dataset.read import ExportError, read_export, verify_manifest
from deepreview_workers.pipeline.dataset.types import SCHEMA_VERSION
from tests.pipeline.dataset.media import PASTED


def test_read_export_gives_videos_faces_and_annotations(main_export, main_request, pasted):
    contents = read_export(main_export.zip_path)
    assert contents.manifest_sha256 == main_export.summary.manifest_sha256
    assert contents.version == SCHEMA_VERSION == 2
    assert contents.info["title"] == "deepreview test dataset"
    assert {v.key for v in contents.videos} == {v.key for v in main_request.videos}
    fake = next(v for v in contents.videos if v.key == pasted.record.key)
    assert (fake.label, fake.method, fake.identities) == (
        "fake",
        "deepreview-original",
        ("Barack Obama", "Grace Hopper"),
    )
    assert fake.manipulated_ranges == (PASTED,)
    assert fake.mask_video == (
        f"manipulated_sequences/deepreview-original/masks/videos/{fake.key}.mp4"
    )
    assert fake.mask_members == ()  # the PNG masks of schema version 1
    assert fake.consensus == "fake" and len(fake.verdicts) == 2
    assert fake.marks == pasted.record.marks
    assert contents.read(fake.raw_member) == pasted.video.read_bytes()
    assert [k.slug for k in contents.taxonomy] == ["edge_seam", "face_blur"]
    assert len(contents.faces) == main_export.summary.faces
    masked = [f for f in contents.faces if f.mask_member]
    assert masked and all(f.video == fake.key and f.label == "fake" for f in masked)
    first = contents.faces[0]
    assert contents.read(first.crop_member)[:8] == b"\x89PNG\r\n\x1a\n"
    # The extracted folder reads the same.
    again = read_export(main_export.folder)
    assert again.videos == contents.videos and again.faces == contents.faces


def _rewrite(source, target, change) -> None:  # noqa: ANN001
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "export.json":
                info = json.loads(data)
                change(info)
                data = json.dumps(info).encode()
            dst.writestr(name, data)


def test_unknown_schemas_and_newer_versions_are_refused(small_export, tmp_path):
    newer = tmp_path / "newer.zip"
    _rewrite(small_export.zip_path, newer, lambda info: info.update(version=SCHEMA_VERSION + 1))
    with pytest.raises(ExportError, match="newer deepreview .*version 3.*Update deepreview"):
        read_export(newer)
    other = tmp_path / "other.zip"
    _rewrite(small_export.zip_path, other, lambda info: info.update(schema="someone.else"))
    with pytest.raises(ExportError, match="not a deepreview dataset export"):
        read_export(other)
    # The changed export.json no longer matches its checksum either.
    assert verify_manifest(newer) == ["export.json"]
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ExportError, match="has no export.json"):
        read_export(plain)
    (tmp_path / "not.zip").write_bytes(b"nope")
    with pytest.raises(ExportError, match="not a zip"):
        read_export(tmp_path / "not.zip")
    assert verify_manifest(plain) == ["manifest.sha256"]

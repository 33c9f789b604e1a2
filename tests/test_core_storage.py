"""Stored files to and from local paths (deepreview.core.storage), as jobs use them."""

from __future__ import annotations

from django.core.files.storage import default_storage

from deepreview.core.storage import (
    scratch_dir,
    storage_get,
    storage_put,
    storage_put_tree,
)


def test_put_replaces_an_earlier_attempts_file(tmp_path):
    local = tmp_path / "a.bin"
    local.write_bytes(b"first")
    name = storage_put(local, "projects/1/x/a.bin")
    assert name == "projects/1/x/a.bin"
    assert storage_put(b"second", name) == name  # same name, not a_XYZ.bin
    with default_storage.open(name, "rb") as handle:
        assert handle.read() == b"second"


def test_get_copies_to_a_local_path_or_says_it_is_missing(tmp_path):
    name = storage_put(b"x" * 20_000_000, "projects/1/big.bin")
    target = storage_get(name, tmp_path / "big.bin")
    assert target.stat().st_size == 20_000_000
    assert storage_get("projects/1/none.bin", tmp_path / "n", missing_ok=True) is None
    assert not (tmp_path / "n").exists()


def test_put_tree_stores_matching_files_in_order_except_skipped(tmp_path):
    folder = tmp_path / "previews"
    folder.mkdir()
    for name in ("p_0000020.png", "p_0000010.png", "notes.txt"):
        (folder / name).write_bytes(name.encode())
    stored = storage_put_tree(
        folder, "projects/1/previews", pattern="*.png", skip={folder / "p_0000010.png"}
    )
    assert stored == [(folder / "p_0000020.png", "projects/1/previews/p_0000020.png")]
    assert storage_put_tree(tmp_path / "absent", "projects/1/none") == []


def test_scratch_dir_is_removed_afterwards():
    with scratch_dir() as work:
        (work / "f").write_text("x")
    assert not work.exists()

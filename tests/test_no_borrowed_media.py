"""Nothing borrowed is kept in the repository (issue 12).

Real media, public domain or not, stays in the shared media folder and is read from there;
the repository holds only what this project makes (the bad-media script generates its
files at test time). These tests fail when a file in the repository is a byte-for-byte
copy of a file in the shared media folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media_paths import REPO_ROOT, SHARED_MEDIA

pytestmark = pytest.mark.skipif(
    not SHARED_MEDIA.is_dir(),
    reason=f"shared media not found at {SHARED_MEDIA} (set DEEPREVIEW_SHARED_MEDIA)",
)

# Where committed files live; build outputs and installed packages are not looked at.
SOURCE_FOLDERS = (
    "fixtures",
    "docs",
    "tests",
    "bench",
    "scripts",
    "deepreview",
    "deepreview_workers",
    "frontend",
)
SKIPPED = {"node_modules", "dist", "__pycache__", ".pytest_cache"}


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not SKIPPED & set(path.relative_to(root).parts):
            yield path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copies_of_shared_media(folders: list[Path]) -> list[str]:
    """``repo file == shared file`` for every repository file whose SHA-256 equals one in
    the shared media folder. Only files of a size found in the repository are hashed."""
    ours: dict[int, list[Path]] = {}
    for folder in folders:
        for path in _files(folder):
            size = path.stat().st_size
            if size:  # an empty file is nobody's work
                ours.setdefault(size, []).append(path)
    shared: dict[str, Path] = {}
    for path in _files(SHARED_MEDIA):
        if path.stat().st_size in ours:
            shared.setdefault(_sha256(path), path)
    return [
        f"{path.relative_to(REPO_ROOT)} == {shared[digest].relative_to(SHARED_MEDIA)}"
        for paths in ours.values()
        for path in paths
        if (digest := _sha256(path)) in shared
    ]


def test_no_fixture_is_a_copy_of_shared_media():
    copies = _copies_of_shared_media([REPO_ROOT / "fixtures"])
    assert not copies, (
        "Files under fixtures/ are copies of shared media; delete them and read the shared "
        f"folder (tests/media_paths.py) instead: {copies}"
    )


def test_no_source_file_is_a_copy_of_shared_media():
    folders = [REPO_ROOT / name for name in SOURCE_FOLDERS if (REPO_ROOT / name).is_dir()]
    copies = _copies_of_shared_media(folders)
    assert not copies, f"Files in the repository are copies of shared media: {copies}"


def test_the_check_finds_a_copy(tmp_path, monkeypatch):
    """The check itself: a renamed copy is reported, a file of our own is not."""
    import tests.test_no_borrowed_media as module

    original = next(path for path in _files(SHARED_MEDIA) if path.stat().st_size)
    copy = tmp_path / "fixtures" / "media" / "renamed.bin"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(original.read_bytes())
    (tmp_path / "fixtures" / "ours.txt").write_text("made here\n")
    monkeypatch.setattr(module, "REPO_ROOT", tmp_path)
    assert _copies_of_shared_media([tmp_path / "fixtures"]) == [
        f"fixtures/media/renamed.bin == {original.relative_to(SHARED_MEDIA)}"
    ]

"""The locks in requirements/ agree with pyproject.toml, and this environment is the lock.

When a test here fails after editing pyproject.toml, re-make the locks with
``scripts/lock.sh`` (README, "Dependencies") and commit them with the change.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.media_paths import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
LOCK = REPO_ROOT / "requirements" / "lock.txt"
LOCK_WEB = REPO_ROOT / "requirements" / "lock-web.txt"
LOCK_WORKER = REPO_ROOT / "requirements" / "lock-worker.txt"
CONSTRAINTS = REPO_ROOT / "requirements" / "constraints.txt"


def pins(path) -> dict[str, str]:  # noqa: ANN001
    """name -> version for every ``name==version`` line of a lock, each with its hashes."""
    text = path.read_text()
    found = dict(
        (canonicalize_name(name), version)
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)", text, re.M)
    )
    assert found, f"{path} pins nothing"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[-1])
    unhashed = [b.split()[0] for b in blocks if "==" in b and "--hash=sha256:" not in b]
    assert not unhashed, f"pins without hashes in {path.name}: {unhashed}"
    return found


def requirements(*extras: str) -> list[Requirement]:
    lines = list(PYPROJECT["dependencies"])
    for extra in extras:
        lines += PYPROJECT["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(
    ("lock", "extras"),
    [(LOCK, ("ml", "dev")), (LOCK_WORKER, ("ml",)), (LOCK_WEB, ())],
    ids=["full", "worker", "web"],
)
def test_every_requirement_is_pinned_within_its_range(lock, extras):
    pinned = pins(lock)
    stale = []
    for requirement in requirements(*extras):
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{requirement} (lock: {version or 'missing'})")
    assert not stale, f"{lock.name} is out of step with pyproject.toml (scripts/lock.sh): {stale}"


def test_every_range_has_an_upper_bound_on_its_major():
    open_ended = [
        str(r)
        for r in requirements("ml", "dev")
        if not any(spec.operator in ("<", "<=", "==", "~=") for spec in r.specifier)
        and r.name != "drf-spectacular-sidecar"  # calendar versions: every release is a date
    ]
    assert not open_ended, f"add an upper bound (next major) to: {open_ended}"


def test_web_lock_carries_nothing_from_the_ml_extra():
    assert not {"torch", "opencv-python-headless", "dlib-bin"} & set(pins(LOCK_WEB))


def test_the_smaller_locks_pin_what_the_full_lock_pins():
    full = pins(LOCK)
    for lock in (LOCK_WORKER, LOCK_WEB):
        differ = {n: (v, full.get(n)) for n, v in pins(lock).items() if full.get(n) != v}
        assert not differ, f"{lock.name} and lock.txt disagree (scripts/lock.sh): {differ}"


def test_locks_follow_the_constraints():
    full = pins(LOCK)
    for line in CONSTRAINTS.read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            assert full[canonicalize_name(name)] == version, line


def test_this_environment_is_the_lock():
    """The suite runs what the lock says, not whatever happened to be installed."""
    differ = []
    for name, version in pins(LOCK).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        # Local builds add a suffix (torch 2.14.1+cu130 from the 2.14.1 wheel).
        if installed is None or installed.split("+")[0] != version:
            differ.append(f"{name}: lock {version}, installed {installed}")
    assert not differ, f"re-run scripts/setup.sh: {differ}"

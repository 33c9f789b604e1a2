"""Where the test media lives.

Nothing borrowed is kept in the repository, not even public-domain media: every real
photo and clip is read from the shared media folder outside it, ``SHARED_MEDIA`` =
``$DEEPREVIEW_SHARED_MEDIA`` (default ``<repo>/../shared/media``), whose ``SOURCES.md``
files give each file's source and licence. Tests that need it skip when it is absent:
mark them ``@needs_shared_media`` or call ``require_shared_media()`` in a fixture.

``PD_CLIP`` and ``FACES`` are the small public-domain set most tests use (US federal
government works). The deliberately broken files are not committed either: the session
fixture ``bad_media`` (tests/conftest.py) generates them from ``PD_CLIP`` with
``fixtures/media/bad/make_bad_media.py``.
"""

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_MEDIA = Path(
    os.environ.get("DEEPREVIEW_SHARED_MEDIA") or REPO_ROOT.parent / "shared" / "media"
).resolve()
REAL_IMAGES = SHARED_MEDIA / "real_images"
REAL_VIDEOS = SHARED_MEDIA / "real_videos"

# President Obama's 1 May 2011 White House address: H.264 512x388, 30 fps, 259 frames,
# 8.6 s, no audio, one frontal face.
PD_CLIP = REAL_VIDEOS / "pd_obama_2011_whitehouse_address.mp4"
# Five people, one portrait each, sorted by name: four grayscale 200x250 Congress photos
# and Grace Hopper's 517x606 colour US Navy portrait (the last one).
FACES = tuple(
    REAL_IMAGES / name
    for name in (
        "pd_congress_B000944_sherrod_brown.jpg",
        "pd_congress_K000367_amy_klobuchar.jpg",
        "pd_congress_S000148_chuck_schumer.jpg",
        "pd_congress_W000817_elizabeth_warren.jpg",
        "pd_usnavy_grace_hopper.jpg",
    )
)
HOPPER = REAL_IMAGES / "pd_usnavy_grace_hopper.jpg"

BAD_MEDIA_SCRIPT = REPO_ROOT / "fixtures" / "media" / "bad" / "make_bad_media.py"

SHARED_MEDIA_PRESENT = all(path.is_file() for path in (PD_CLIP, *FACES))
SHARED_MEDIA_MISSING = (
    f"shared media not found at {SHARED_MEDIA} (set DEEPREVIEW_SHARED_MEDIA to the folder "
    "holding real_videos/ and real_images/)"
)
needs_shared_media = pytest.mark.skipif(not SHARED_MEDIA_PRESENT, reason=SHARED_MEDIA_MISSING)


def bad_media_script() -> ModuleType:
    """fixtures/media/bad/make_bad_media.py, imported (fixtures/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_bad_media", BAD_MEDIA_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def require_shared_media() -> None:
    """Skip the calling test or fixture when the shared media folder is absent."""
    if not SHARED_MEDIA_PRESENT:
        pytest.skip(SHARED_MEDIA_MISSING)

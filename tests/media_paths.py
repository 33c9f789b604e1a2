"""Where the test media lives.

``FIXTURES`` is the repository's own small public-domain media (``fixtures/media``:
``faces/``, ``clips/``, ``bad/``). ``SHARED_MEDIA`` is the larger research media kept
outside the repository (its licences forbid copying it in): ``$DEEPREVIEW_SHARED_MEDIA``,
default ``<repo>/../shared/media``. Tests that need it skip when it is absent.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "fixtures" / "media"
SHARED_MEDIA = Path(
    os.environ.get("DEEPREVIEW_SHARED_MEDIA", REPO_ROOT.parent / "shared" / "media")
).resolve()

PD_CLIP = FIXTURES / "clips" / "pd_obama_2011_whitehouse_address.mp4"
FACES = FIXTURES / "faces"
BAD = FIXTURES / "bad"

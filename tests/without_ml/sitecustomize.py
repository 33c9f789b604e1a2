"""Makes this Python a host installed without the ``ml`` extra.

Put this folder on ``PYTHONPATH`` and every module the extra provides fails to import
as if it were not installed (``ModuleNotFoundError`` naming it), while the rest of the
environment stays as it is. tests/test_core_install.py runs the web app and a real
worker this way.
"""

import importlib.abc
import sys

from deepreview_workers.extras import ML_MODULES


class _WithoutMl(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):  # noqa: ANN001, ANN201
        if fullname.split(".")[0] in ML_MODULES:
            raise ModuleNotFoundError(f"No module named '{fullname}'", name=fullname)
        return None


sys.meta_path.insert(0, _WithoutMl())

"""The one error type of the swap pipeline that a user can act on (declared where the
torch-free options can raise it too)."""

from __future__ import annotations

from deepreview_workers.pipeline.errors import SwapInputError

__all__ = ["SwapInputError"]

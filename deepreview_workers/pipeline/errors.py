"""Errors a user can act on, shared by the pipeline's torch and torch-free modules."""

from __future__ import annotations


class SwapInputError(ValueError):
    """Bad input to training or conversion: too few faces, unknown track, wrong model.

    The message is one sentence a user can act on (what was found, what is needed); jobs
    show it as is, so it never carries a traceback or an internal name only.
    """

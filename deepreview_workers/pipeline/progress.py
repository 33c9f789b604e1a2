"""Progress reporting and cancellation for long pipeline steps.

Pipeline functions take ``progress: ProgressCallback`` and call it with a fraction in
[0, 1] and a short human-readable message. The caller (a Celery task's job adapter, the
CLI, a test) decides what to do with it; to cancel, the callback raises :class:`Cancelled`,
which pipeline code lets propagate after cleaning up its partial outputs.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[float, str], None]


class Cancelled(Exception):
    """Raised by a progress callback when the user cancelled the job."""


def no_progress(fraction: float, message: str) -> None:
    """Progress callback that ignores every report (the default)."""


def scaled(progress: ProgressCallback, start: float, end: float) -> ProgressCallback:
    """Map a sub-step's own 0..1 progress into ``[start, end]`` of ``progress``.

    Out-of-range fractions from the sub-step are clamped so a sloppy sub-step can never
    move the parent's bar backwards past ``start`` or beyond ``end``.
    """
    if not 0.0 <= start <= end <= 1.0:
        raise ValueError(f"need 0 <= start <= end <= 1, got start={start}, end={end}")
    span = end - start

    def report(fraction: float, message: str) -> None:
        clamped = min(max(fraction, 0.0), 1.0)
        progress(start + span * clamped, message)

    return report

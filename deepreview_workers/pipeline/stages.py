"""Seconds spent per stage of one run (the benches and the job summaries show them)."""

from __future__ import annotations

import time
from collections import defaultdict


class Stages:
    """Wall time between laps, summed per stage name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._mark = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] += now - self._mark
        self._mark = now

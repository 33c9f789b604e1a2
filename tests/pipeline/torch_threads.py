"""Torch on one thread for tests that run small models on shared cores."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one intra-op thread, then restore the setting.

    The test machines' two cores are shared: when another process holds one, torch's
    second OpenMP thread spins at every barrier and small-model steps get 3-7 times
    slower. One thread is at most modestly slower for these tiny models and never
    stalls, and builds compared for identical bytes run under the same setting.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)

"""The ``deepreview`` subcommand registry (kept apart from ``deepreview_workers.cli`` so that
``python -m deepreview_workers.cli`` and the console script share one registry)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Argument:
    """Positional ``flags`` and keyword ``options`` for ``ArgumentParser.add_argument``."""

    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: tuple[Argument, ...]
    handler: Handler


COMMANDS: dict[str, Command] = {}


def arg(*flags: str, **options: Any) -> Argument:
    """Declare one argument of a subcommand (same signature as ``add_argument``)."""
    return Argument(flags, options)


def command(
    name: str, *, help: str, arguments: Sequence[Argument] = ()
) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the subcommand ``name``."""

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise ValueError(f"subcommand {name!r} is registered twice")
        COMMANDS[name] = Command(name, help, tuple(arguments), handler)
        return handler

    return register

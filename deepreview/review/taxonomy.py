"""The built-in artifact taxonomy, read from taxonomy.json beside this module (package data).

It is data, not code: a project extends it with its own kinds (``ArtifactKind`` rows),
and a test keeps its slugs in step with the detection library's signal kinds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TAXONOMY_FILE = Path(__file__).with_name("taxonomy.json")


@dataclass(frozen=True)
class Kind:
    slug: str
    label: str
    description: str
    color: str
    built_in: bool


@cache
def builtin_kinds() -> tuple[Kind, ...]:
    """The fixture's kinds, in the taxonomy's order (read once per process)."""
    data = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))
    if data.get("schema") != "deepreview.taxonomy":
        raise ValueError(f"{TAXONOMY_FILE} is not a deepreview taxonomy file.")
    return tuple(
        Kind(
            slug=k["slug"],
            label=k["label"],
            description=k.get("description", ""),
            color=k.get("color", "#888888"),
            built_in=True,
        )
        for k in data["kinds"]
    )


def builtin_slugs() -> frozenset[str]:
    return frozenset(kind.slug for kind in builtin_kinds())

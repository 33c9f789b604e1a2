"""Identity-disjoint train / validation / test splits of an export's videos.

Two videos that show one person must land in the same split, or a detector is tested
on faces it was trained on and looks better than it is. A fake shows two people (its
source and its target identity), so it ties both of them together: videos form groups
by "shares an identity with", transitively (union-find), and whole groups go to splits.

Groups are ordered deterministically from the seed (a seeded shuffle, then biggest
first) and each goes to the split furthest below its share of the videos, which keeps
the counts close to the ratios without ever splitting a group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from deepreview_workers.pipeline.dataset.types import SPLITS, ExportVideo


class SplitError(ValueError):
    """The videos cannot be split identity-disjointly with these ratios; the message says
    why (which people link the videos) and what would make it possible.

    ``suggestion``: that advice alone; ``suggested_ratios``: (train, validation, test)
    that would work with these videos, or None."""

    def __init__(
        self,
        message: str,
        *,
        suggestion: str = "",
        suggested_ratios: tuple[float, float, float] | None = None,
    ) -> None:
        super().__init__(message)
        self.suggestion = suggestion
        self.suggested_ratios = suggested_ratios


@dataclass(frozen=True)
class VideoGroup:
    """Videos tied together by shared identities; ``links`` are the fakes that join two
    or more people (key, name, identities), for error messages and the datasheet."""

    keys: tuple[str, ...]
    identities: tuple[str, ...]
    links: tuple[tuple[str, str, tuple[str, ...]], ...]

    @property
    def size(self) -> int:
        return len(self.keys)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression keeps later finds short
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller name wins, so the roots (and thus nothing) depend on input order.
            self.parent[max(ra, rb)] = min(ra, rb)


def _check_videos(videos: Sequence[ExportVideo]) -> None:
    seen: set[str] = set()
    for video in videos:
        if video.key in seen:
            raise ValueError(f"Video key {video.key!r} appears twice; keys must be unique")
        seen.add(video.key)


def identity_groups(videos: Sequence[ExportVideo]) -> list[VideoGroup]:
    """The groups of videos linked by shared identities, sorted by their first key.

    A video without identities is a group of its own (nobody to share).
    """
    _check_videos(videos)
    links = _UnionFind()
    for video in videos:
        node = f"video:{video.key}"
        links.find(node)
        for identity in video.identities:
            links.union(node, f"identity:{identity}")
    members: dict[str, list[ExportVideo]] = defaultdict(list)
    for video in videos:
        members[links.find(f"video:{video.key}")].append(video)
    groups = []
    for group in members.values():
        group.sort(key=lambda v: v.key)
        groups.append(
            VideoGroup(
                keys=tuple(v.key for v in group),
                identities=tuple(sorted({i for v in group for i in v.identities})),
                links=tuple(
                    (v.key, v.name, tuple(v.identities)) for v in group if len(v.identities) > 1
                ),
            )
        )
    return sorted(groups, key=lambda g: g.keys[0])


def _normalised(ratios: Sequence[float]) -> tuple[float, ...]:
    if len(ratios) != len(SPLITS):
        raise ValueError(f"ratios must give {len(SPLITS)} numbers ({', '.join(SPLITS)})")
    values = tuple(float(r) for r in ratios)
    if any(not np.isfinite(r) or r < 0 for r in values):
        raise ValueError(f"ratios must be zero or positive, got {list(values)}")
    total = sum(values)
    if total <= 0:
        raise ValueError("at least one split ratio must be above 0")
    return tuple(r / total for r in values)


def _describe(group: VideoGroup, limit: int = 3) -> str:
    shown = [f"{name!r} names {' and '.join(identities)}" for _key, name, identities in group.links]
    more = f"; and {len(shown) - limit} more" if len(shown) > limit else ""
    if not shown:  # a group of one person's videos, no fake links anyone
        people = ", ".join(group.identities[:limit]) or "no named person"
        return f"they all show {people}"
    return "fakes link the people: " + "; ".join(shown[:limit]) + more


def _impossible(
    groups: list[VideoGroup], wanted: list[str], ratios: tuple[float, ...]
) -> SplitError:
    total = sum(g.size for g in groups)
    biggest = max(groups, key=lambda g: g.size)
    if total == 1:
        people = " and ".join(biggest.identities) or "no named person"
        head = f"there is one video (of {people}) for {len(wanted)} splits"
    elif len(groups) == 1:
        head = f"all {total} videos share identities ({_describe(biggest)})"
    else:
        head = (
            f"the {total} videos form only {len(groups)} identity-disjoint groups for "
            f"{len(wanted)} splits ({', '.join(wanted)}); the biggest holds {biggest.size} "
            f"videos ({_describe(biggest)})"
        )
    # Suggest dropping the smallest non-train splits first: they matter least.
    keep = len(groups)
    dropped = [s for s in reversed(wanted) if s != "train"][: len(wanted) - keep]
    zeroed = [0.0 if s in dropped else ratios[SPLITS.index(s)] for s in SPLITS]
    shown = ", ".join(f"{r:g}" for r in zeroed)
    advice = (
        f"Add videos of other people (not linked to these by any fake), or set "
        f"{' and '.join(dropped)} to 0 (ratios {shown})."
    )
    return SplitError(
        f"Cannot split identity-disjointly: {head}. {advice}",
        suggestion=advice,
        suggested_ratios=(zeroed[0], zeroed[1], zeroed[2]),
    )


def assign_splits(
    videos: Sequence[ExportVideo],
    ratios: Sequence[float],
    seed: int,
    *,
    weights: Mapping[str, float] | None = None,
) -> dict[str, str]:
    """``{video key: split}`` with no identity in two splits, deterministic for a seed.

    ``ratios``: (train, validation, test) shares, normalised; 0 keeps a split empty.
    ``weights``: how much each video counts (default 1 per video; e.g. its face count).
    Every split with a ratio above 0 gets at least one group. Raises :class:`SplitError`
    when there are fewer groups than such splits, naming the people that link the videos
    and what to change; ``ValueError`` for bad ratios or duplicate keys.
    """
    shares = _normalised(ratios)
    groups = identity_groups(videos)
    if not groups:
        return {}
    wanted = [s for s, share in zip(SPLITS, shares, strict=True) if share > 0]
    if len(groups) < len(wanted):
        raise _impossible(groups, wanted, shares)

    def weight(group: VideoGroup) -> float:
        return sum(1.0 if weights is None else float(weights.get(k, 1.0)) for k in group.keys)

    # The seeded shuffle decides among equal-sized groups; biggest first then keeps the
    # greedy fill close to the targets (small groups even out what big ones overshoot).
    rng = np.random.default_rng(seed)
    shuffled = [groups[i] for i in rng.permutation(len(groups))]
    ordered = sorted(shuffled, key=weight, reverse=True)  # stable: ties keep the shuffle
    total = sum(weight(g) for g in ordered)
    target = {s: share * total for s, share in zip(SPLITS, shares, strict=True)}
    filled = dict.fromkeys(wanted, 0.0)
    counts = dict.fromkeys(wanted, 0)
    assignment: dict[str, str] = {}
    for position, group in enumerate(ordered):
        empty = [s for s in wanted if counts[s] == 0]
        remaining = len(ordered) - position
        # Once only as many groups are left as splits still empty, each must fill one.
        choices = empty if remaining <= len(empty) else wanted
        split = max(choices, key=lambda s: (target[s] - filled[s], -SPLITS.index(s)))
        filled[split] += weight(group)
        counts[split] += 1
        for key in group.keys:
            assignment[key] = split
    return assignment


def identity_overlap(
    assignment: Mapping[str, str], videos: Iterable[ExportVideo]
) -> dict[str, tuple[str, ...]]:
    """Identities found in more than one split: ``{identity: (splits...)}``; empty means
    the assignment is identity-disjoint. Videos missing from ``assignment`` are ignored."""
    seen: dict[str, set[str]] = defaultdict(set)
    for video in videos:
        split = assignment.get(video.key)
        if split is None:
            continue
        for identity in video.identities:
            seen[identity].add(split)
    return {
        identity: tuple(s for s in SPLITS if s in splits)
        for identity, splits in sorted(seen.items())
        if len(splits) > 1
    }


__all__ = ["SplitError", "VideoGroup", "assign_splits", "identity_groups", "identity_overlap"]

"""Identity-disjoint splits: groups through fakes, ratios, seeds, and the impossible cases."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from deepreview_workers.pipeline.dataset.splits import (
    SplitError,
    assign_splits,
    identity_groups,
    identity_overlap,
)
from deepreview_workers.pipeline.dataset.types import ExportVideo


def video(key: str, *identities: str, label: str = "real") -> ExportVideo:
    return ExportVideo(
        key=key,
        path=Path(f"/nonexistent/{key}.mp4"),
        name=f"{key}.mp4",
        sha256=key * 4,
        label=label,
        label_source="ground_truth",
        identities=identities,
        frame_count=30,
        fps=30.0,
        width=64,
        height=64,
    )


def population(people: int = 20, per_person: int = 3) -> list[ExportVideo]:
    """``people`` people with ``per_person`` reals each, and a fake for each pair
    (2k, 2k+1) naming both: groups of two people, 2 * per_person + 1 videos each."""
    videos = [
        video(f"p{p:02d}v{v}", f"person-{p:02d}") for p in range(people) for v in range(per_person)
    ]
    videos += [
        video(f"fake{p:02d}", f"person-{p:02d}", f"person-{p + 1:02d}", label="fake")
        for p in range(0, people, 2)
    ]
    return videos


def test_fakes_join_their_source_and_target_into_one_group():
    videos = [
        video("a1", "alice"),
        video("b1", "bob"),
        video("c1", "carol"),
        video("ab", "alice", "bob", label="fake"),
        video("d1", "dave"),
    ]
    groups = identity_groups(videos)
    assert [g.keys for g in groups] == [("a1", "ab", "b1"), ("c1",), ("d1",)]
    assert groups[0].identities == ("alice", "bob")
    assert groups[0].links == (("ab", "ab.mp4", ("alice", "bob")),)


def test_chained_fakes_make_one_group_transitively():
    videos = [video("ab", "a", "b"), video("bc", "b", "c"), video("cd", "c", "d"), video("x", "x")]
    assert [g.size for g in identity_groups(videos)] == [3, 1]


def test_assignment_is_identity_disjoint_and_close_to_the_ratios():
    videos = population()
    splits = assign_splits(videos, (0.7, 0.15, 0.15), seed=3)
    assert set(splits) == {v.key for v in videos}
    assert identity_overlap(splits, videos) == {}
    # A fake's source and target identities are never found in another split.
    for fake in (v for v in videos if v.label == "fake"):
        others = [v for v in videos if splits[v.key] != splits[fake.key]]
        assert not set(fake.identities) & {i for v in others for i in v.identities}
    counts = Counter(splits.values())
    total = len(videos)  # 70 videos in 10 groups of 7: the best is 7 / 1.5 / 1.5 groups
    assert counts["train"] / total == pytest.approx(0.7, abs=0.11)
    assert counts["validation"] >= 7 and counts["test"] >= 7


def test_the_same_seed_gives_the_same_assignment_and_another_seed_may_not():
    videos = population()
    first = assign_splits(videos, (0.6, 0.2, 0.2), seed=11)
    assert assign_splits(list(reversed(videos)), (0.6, 0.2, 0.2), seed=11) == first
    others = [assign_splits(videos, (0.6, 0.2, 0.2), seed=s) for s in range(5)]
    assert any(o != first for o in others)


def test_a_zero_ratio_keeps_its_split_empty():
    splits = assign_splits(population(), (0.8, 0.0, 0.2), seed=0)
    assert set(splits.values()) == {"train", "test"}


def test_weights_count_faces_instead_of_videos():
    videos = [video("big", "a"), video("s1", "b"), video("s2", "c"), video("s3", "d")]
    weights = {"big": 30, "s1": 10, "s2": 10, "s3": 10}
    splits = assign_splits(videos, (0.5, 0.5, 0), seed=0, weights=weights)
    assert splits["big"] != splits["s1"] == splits["s2"] == splits["s3"]


def test_one_group_for_three_splits_is_refused_with_the_links_and_a_suggestion():
    videos = [video(f"o{i}", "obama") for i in range(10)]
    videos += [video("oh", "obama", "hopper", label="fake"), video("h1", "hopper")]
    with pytest.raises(SplitError) as caught:
        assign_splits(videos, (0.7, 0.15, 0.15), seed=0)
    message = str(caught.value)
    assert "all 12 videos share identities" in message
    assert "'oh.mp4' names obama and hopper" in message
    assert "Add videos of other people" in message
    assert "set test and validation to 0" in message
    assert isinstance(caught.value, ValueError)
    # Following the suggestion works.
    assert set(assign_splits(videos, (0.7, 0, 0), seed=0).values()) == {"train"}


def test_two_groups_for_three_splits_suggest_dropping_one():
    videos = [video("a", "alice"), video("ab", "alice", "bob"), video("c", "carol")]
    with pytest.raises(SplitError, match=r"only 2 identity-disjoint groups for 3 splits") as e:
        assign_splits(videos, (0.7, 0.15, 0.15), seed=0)
    assert "set test to 0 (ratios 0.7, 0.15, 0)" in str(e.value)


def test_every_non_zero_split_gets_a_group_even_when_one_group_dominates():
    videos = [video(f"b{i}", "big") for i in range(10)] + [video("x", "x"), video("y", "y")]
    splits = assign_splits(videos, (0.1, 0.45, 0.45), seed=0)
    assert set(splits.values()) == {"train", "validation", "test"}
    assert identity_overlap(splits, videos) == {}


def test_identity_overlap_reports_people_in_two_splits():
    videos = [video("a1", "alice"), video("a2", "alice"), video("b", "bob")]
    overlap = identity_overlap({"a1": "train", "a2": "test", "b": "test"}, videos)
    assert overlap == {"alice": ("train", "test")}


@pytest.mark.parametrize(
    ("ratios", "message"),
    [((0, 0, 0), "above 0"), ((0.5, -0.1, 0.6), "zero or positive"), ((0.5, 0.5), "3 numbers")],
)
def test_bad_ratios_are_value_errors(ratios, message):
    with pytest.raises(ValueError, match=message):
        assign_splits(population(4, 1), ratios, seed=0)


def test_duplicate_keys_are_refused():
    with pytest.raises(ValueError, match="appears twice"):
        assign_splits([video("a", "x"), video("a", "y")], (1, 0, 0), seed=0)

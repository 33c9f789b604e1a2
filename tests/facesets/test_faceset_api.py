"""Facesets through the API: ordering, filters, soft delete, restore, undo, history."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from django.urls import reverse

from deepreview.facesets import services
from deepreview.facesets.models import Face
from tests.factories import FaceFactory, FacesetFactory


def faces_url(faceset) -> str:  # noqa: ANN001
    return reverse("face-list", args=[faceset.project_id, faceset.pk])


def listed_ids(client, faceset, **params) -> list[int]:  # noqa: ANN001, ANN003
    response = client.get(faces_url(faceset), params)
    assert response.status_code == 200, response.content
    return [face["id"] for face in response.json()["results"]]


def test_create_faceset_and_list_counts(team, api_as):
    url = reverse("faceset-list", args=[team.project.pk])
    created = api_as("curator").post(url, {"name": "Identity A"}, format="json")
    assert created.status_code == 201 and created.json()["face_count"] == 0
    again = api_as("curator").post(url, {"name": "Identity A"}, format="json")
    assert again.status_code == 409


def test_sort_by_blur_and_reverse(team, api_as):
    faceset = FacesetFactory(project=team.project)
    faces = [FaceFactory(faceset=faceset, blur=b) for b in (50.0, 10.0, 30.0)]
    by_blur = listed_ids(api_as("viewer"), faceset, ordering="blur")
    assert by_blur == [faces[1].pk, faces[2].pk, faces[0].pk]
    assert listed_ids(api_as("viewer"), faceset, ordering="-blur") == by_blur[::-1]


def test_identity_sort_puts_the_odd_one_out_first(team, api_as):
    faceset = FacesetFactory(project=team.project)
    base = np.random.default_rng(1).normal(size=128)
    same_person = []
    for i in range(5):
        vector = base + np.random.default_rng(10 + i).normal(scale=0.1, size=128)
        vector = (vector / np.linalg.norm(vector)).astype("<f4")
        same_person.append(FaceFactory(faceset=faceset, embedding=vector.tobytes()))
    stranger = FaceFactory(faceset=faceset)  # an unrelated random embedding
    assert listed_ids(api_as("viewer"), faceset, ordering="identity")[0] == stranger.pk
    ordered = listed_ids(
        api_as("viewer"), faceset, ordering="-identity", reference=same_person[0].pk
    )
    assert ordered[0] == same_person[0].pk and ordered[-1] == stranger.pk


def test_range_filters(team, api_as):
    faceset = FacesetFactory(project=team.project)
    sharp = FaceFactory(faceset=faceset, blur=300.0, yaw=5.0)
    FaceFactory(faceset=faceset, blur=20.0, yaw=5.0)
    FaceFactory(faceset=faceset, blur=300.0, yaw=60.0)
    assert listed_ids(api_as("viewer"), faceset, min_blur=100, max_yaw=30) == [sharp.pk]
    bad = api_as("viewer").get(faces_url(faceset), {"min_blur": "sharp"})
    assert bad.status_code == 400 and "min_blur" in bad.json()["error"]["fields"]


def test_soft_delete_restore_and_undo(team, api_as):
    faceset = FacesetFactory(project=team.project)
    faces = [FaceFactory(faceset=faceset) for _ in range(4)]
    client = api_as("curator")
    base = reverse("face-list", args=[team.project.pk, faceset.pk])
    deleted = client.post(f"{base}remove/", {"ids": [faces[0].pk, faces[1].pk]}, format="json")
    assert deleted.status_code == 200 and deleted.json()["face_count"] == 2
    assert listed_ids(client, faceset) == [faces[2].pk, faces[3].pk]
    assert listed_ids(client, faceset, deleted="true") == [faces[0].pk, faces[1].pk]
    assert Face.objects.get(pk=faces[0].pk).crop  # files stay for restoring
    undo_url = reverse("faceset-undo", args=[team.project.pk, faceset.pk])
    undone = client.post(undo_url, {"event": deleted.json()["id"]}, format="json")
    assert undone.status_code == 200 and undone.json()["action"] == "restore"
    assert len(listed_ids(client, faceset)) == 4
    twice = client.post(undo_url, {"event": deleted.json()["id"]}, format="json")
    assert twice.status_code == 409
    history = client.get(reverse("faceset-history", args=[team.project.pk, faceset.pk])).json()
    assert [e["action"] for e in history["results"]] == ["restore", "delete"]
    assert history["results"][1]["user"] == team.users["curator"].username


def test_stats_show_pose_coverage_and_histograms(team, api_as):
    faceset = FacesetFactory(project=team.project)
    FaceFactory(faceset=faceset, yaw=-40.0, pitch=5.0)
    FaceFactory(faceset=faceset, yaw=2.0, pitch=3.0)
    FaceFactory(faceset=faceset, yaw=3.0, pitch=-2.0, deleted_at="2026-01-01T00:00:00Z")
    stats = api_as("viewer").get(reverse("faceset-stats", args=[team.project.pk, faceset.pk]))
    body = stats.json()
    assert body["face_count"] == 2
    counts = np.array(body["pose"]["counts"])
    assert counts.shape == (8, 12) and counts.sum() == 2
    assert counts[4, 6] == 1 and counts[4, 3] == 1  # (pitch 0..15, yaw 0..15), (yaw -45..-30)
    assert body["pose"]["empty_bins"] == 94
    assert sum(body["blur"]["counts"]) == 2


def test_two_curators_deleting_overlapping_faces_both_count(team):
    faceset = FacesetFactory(project=team.project)
    faces = [FaceFactory(faceset=faceset) for _ in range(3)]
    first = services.faces_delete(
        faceset=faceset, face_ids=[faces[0].pk, faces[1].pk], user=team.users["curator"]
    )
    second = services.faces_delete(
        faceset=faceset, face_ids=[faces[1].pk, faces[2].pk], user=team.users["owner"]
    )
    assert first.face_ids == [faces[0].pk, faces[1].pk]
    assert second.face_ids == [faces[2].pk]  # face 1 was already gone: not claimed twice
    assert Face.objects.get(pk=faces[1].pk).deleted_by == team.users["curator"]
    # Undoing the first brings back only what the first removed.
    services.event_undo(faceset=faceset, event_id=first.pk, user=team.users["curator"])
    alive = set(Face.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True))
    assert alive == {faces[0].pk, faces[1].pk}


def test_faces_of_another_faceset_are_untouched(team, api_as):
    mine = FacesetFactory(project=team.project)
    other = FaceFactory(faceset=FacesetFactory(project=team.project))
    base = reverse("face-list", args=[team.project.pk, mine.pk])
    event = api_as("curator").post(f"{base}remove/", {"ids": [other.pk]}, format="json").json()
    assert event["face_ids"] == []
    assert Face.objects.get(pk=other.pk).deleted_at is None


def test_extract_request_validates_options(team, api_as):
    from tests.factories import MediaItemFactory

    faceset = FacesetFactory(project=team.project)
    media = MediaItemFactory(project=team.project, frame_count=1000)
    url = reverse("faceset-extract", args=[team.project.pk, faceset.pk])
    bad = api_as("curator").post(
        url, {"media": [media.pk], "options": {"every_n": 0}}, format="json"
    )
    assert bad.status_code == 400 and "every_n" in bad.json()["error"]["fields"]
    unknown = api_as("curator").post(url, {"media": [media.pk], "options": {"x": 1}}, format="json")
    assert unknown.status_code == 400
    split = api_as("curator").post(
        url, {"media": [media.pk], "options": {"segment_frames": 400}}, format="json"
    )
    assert split.status_code == 201
    jobs = split.json()
    assert [(j["params"]["start_frame"], j["params"]["end_frame"]) for j in jobs] == [
        (0, 400),
        (400, 800),
        (800, 1000),
    ]
    assert {j["queue"] for j in jobs} == {"gpu"}


def _unit(vector: np.ndarray) -> bytes:
    return (vector / np.linalg.norm(vector)).astype("<f4").tobytes()


def test_move_and_merge_are_undoable(team, api_as):
    source = FacesetFactory(project=team.project)
    target = FacesetFactory(project=team.project)
    faces = [FaceFactory(faceset=source) for _ in range(3)]
    client = api_as("curator")
    move_url = reverse("face-move", args=[team.project.pk, source.pk])
    moved = client.post(move_url, {"ids": [faces[0].pk], "target": target.pk}, format="json")
    assert moved.status_code == 200 and moved.json()["action"] == "move"
    assert Face.objects.get(pk=faces[0].pk).faceset_id == target.pk
    merge_url = reverse("faceset-merge", args=[team.project.pk, target.pk])
    merged = client.post(merge_url, {"source": source.pk}, format="json").json()
    assert Face.objects.filter(faceset=target).count() == 3
    undo_url = reverse("faceset-undo", args=[team.project.pk, target.pk])
    assert client.post(undo_url, {"event": merged["id"]}, format="json").status_code == 200
    assert Face.objects.filter(faceset=source).count() == 2
    foreign = FacesetFactory()
    refused = client.post(move_url, {"ids": [faces[1].pk], "target": foreign.pk}, format="json")
    assert refused.status_code == 404  # another project's faceset does not exist for us


def test_near_duplicates_keep_the_sharpest_of_each_pose(team, api_as):
    faceset = FacesetFactory(project=team.project)
    person = np.random.default_rng(3).normal(size=128)
    same = [
        FaceFactory(faceset=faceset, embedding=_unit(person), yaw=1.0, blur=b)
        for b in (10.0, 50.0, 30.0)
    ]
    turned = FaceFactory(faceset=faceset, embedding=_unit(person), yaw=40.0, blur=5.0)
    other = FaceFactory(faceset=faceset, yaw=1.0, blur=1.0)  # someone else, same pose
    url = reverse("faceset-dedupe", args=[team.project.pk, faceset.pk])
    preview = api_as("curator").post(url, {"dry_run": True}, format="json").json()
    assert preview == {"face_ids": sorted([same[0].pk, same[2].pk]), "count": 2}
    assert not Face.objects.filter(deleted_at__isnull=False).exists()
    event = api_as("curator").post(url, {}, format="json").json()
    assert event["details"]["reason"] == "near-duplicates"
    live = set(Face.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True))
    assert live == {same[1].pk, turned.pk, other.pk}


def test_best_n_covers_angles_before_repeating_one(team, api_as):
    faceset = FacesetFactory(project=team.project)
    frontal = [FaceFactory(faceset=faceset, yaw=2.0, blur=100.0 + i) for i in range(6)]
    left = FaceFactory(faceset=faceset, yaw=-40.0, blur=5.0)
    right = FaceFactory(faceset=faceset, yaw=40.0, blur=7.0)
    url = reverse("faceset-best", args=[team.project.pk, faceset.pk])
    preview = api_as("curator").post(url, {"count": 4, "dry_run": True}, format="json").json()
    kept = {f.pk for f in [*frontal, left, right]} - set(preview["face_ids"])
    assert len(kept) == 4 and {left.pk, right.pk} <= kept
    assert {frontal[5].pk, frontal[4].pk} == kept - {left.pk, right.pk}  # the sharpest frontals
    event = api_as("curator").post(url, {"count": 4}, format="json").json()
    assert Face.objects.filter(deleted_at__isnull=True).count() == 4
    undo = reverse("faceset-undo", args=[team.project.pk, faceset.pk])
    api_as("curator").post(undo, {"event": event["id"]}, format="json")
    assert Face.objects.filter(deleted_at__isnull=True).count() == 8


def _person(seed: int, count: int) -> list[bytes]:
    """``count`` unit embeddings of one made-up person (a base vector plus small noise)."""
    base = np.random.default_rng(seed).normal(size=128)
    base = base / np.linalg.norm(base)
    noise = np.random.default_rng(seed + 1000).normal(scale=0.01, size=(count, 128))
    return [_unit(base + n) for n in noise]


def _two_people_in_three_tracks(faceset):  # noqa: ANN001
    """Track 0 and track 2 are person A (in two clips), track 1 is person B."""
    from tests.factories import MediaItemFactory

    clip_1 = MediaItemFactory(project=faceset.project, name="interview.mp4")
    clip_2 = MediaItemFactory(project=faceset.project, name="speech.mp4")
    a, b = _person(1, 9), _person(2, 3)
    track_a = [FaceFactory(faceset=faceset, media=clip_1, track_id=0, embedding=e) for e in a[:5]]
    track_b = [FaceFactory(faceset=faceset, media=clip_1, track_id=1, embedding=e) for e in b]
    track_a2 = [FaceFactory(faceset=faceset, media=clip_2, track_id=0, embedding=e) for e in a[5:]]
    return track_a, track_b, track_a2


def test_split_by_track_previews_then_makes_undoable_facesets(team, api_as):
    faceset = FacesetFactory(project=team.project, name="Interview")
    track_a, track_b, track_a2 = _two_people_in_three_tracks(faceset)
    url = reverse("faceset-split", args=[team.project.pk, faceset.pk])
    client = api_as("curator")
    plan = client.post(url, {"by": "track", "dry_run": True}, format="json").json()
    assert [part["count"] for part in plan["parts"]] == [5, 4, 3]
    assert plan["parts"][0]["label"] == "track 0 (interview.mp4)"
    assert plan["parts"][2]["face_ids"] == sorted(f.pk for f in track_b)
    assert Face.objects.filter(faceset=faceset).count() == 12  # a dry run changes nothing

    event = client.post(url, {"by": "track"}, format="json").json()
    assert event["action"] == "split" and len(event["details"]["parts"]) == 2
    assert set(Face.objects.filter(faceset=faceset).values_list("pk", flat=True)) == {
        f.pk for f in track_a
    }
    names = sorted(p["name"] for p in event["details"]["parts"])
    assert names == ["Interview · track 0 (speech.mp4)", "Interview · track 1 (interview.mp4)"]

    undo = reverse("faceset-undo", args=[team.project.pk, faceset.pk])
    undone = client.post(undo, {"event": event["id"]}, format="json")
    assert undone.status_code == 200 and undone.json()["face_count"] == 7
    assert Face.objects.filter(faceset=faceset).count() == 12
    assert not faceset.project.facesets.filter(name__startswith="Interview ·").exists()
    again = client.post(undo, {"event": event["id"]}, format="json")
    assert again.status_code == 409


def test_split_by_identity_joins_one_persons_tracks(team, api_as):
    faceset = FacesetFactory(project=team.project, name="Crowd")
    track_a, track_b, track_a2 = _two_people_in_three_tracks(faceset)
    url = reverse("faceset-split", args=[team.project.pk, faceset.pk])
    plan = api_as("curator").post(url, {"by": "identity", "dry_run": True}, format="json")
    parts = plan.json()["parts"]
    assert [(p["label"], p["count"]) for p in parts] == [("person 1", 9), ("person 2", 3)]
    assert set(parts[0]["face_ids"]) == {f.pk for f in [*track_a, *track_a2]}
    assert len(parts[0]["samples"]) == 8  # the sharpest few, for the preview
    assert parts[0]["samples"][0]["thumb_url"].endswith("/thumb")


def test_split_refuses_what_it_cannot_split(team, api_as):
    faceset = FacesetFactory(project=team.project)
    url = reverse("faceset-split", args=[team.project.pk, faceset.pk])
    client = api_as("curator")
    empty = client.post(url, {"by": "track"}, format="json")
    assert empty.status_code == 400 and "no faces" in empty.json()["error"]["message"]
    FaceFactory(faceset=faceset, track_id=3)
    one = client.post(url, {"by": "track"}, format="json")
    assert one.status_code == 400 and "Nothing to split" in one.json()["error"]["message"]
    wrong = client.post(url, {"by": "colour"}, format="json")
    assert wrong.status_code == 400 and "by" in wrong.json()["error"]["fields"]


def test_keep_person_keeps_the_track_and_the_same_person_elsewhere(team, api_as):
    faceset = FacesetFactory(project=team.project)
    track_a, track_b, track_a2 = _two_people_in_three_tracks(faceset)
    url = reverse("faceset-keep-person", args=[team.project.pk, faceset.pk])
    client = api_as("curator")
    only_track = client.post(
        url, {"face": track_a[2].pk, "include_identity": False, "dry_run": True}, format="json"
    ).json()
    assert only_track["kept_count"] == 5 and only_track["track_count"] == 1
    assert set(only_track["face_ids"]) == {f.pk for f in [*track_b, *track_a2]}

    event = client.post(url, {"face": track_a[2].pk}, format="json").json()
    assert event["details"]["reason"] == "keep person" and event["face_count"] == 3
    live = set(Face.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True))
    assert live == {f.pk for f in [*track_a, *track_a2]}

    gone = client.post(url, {"face": track_b[0].pk, "dry_run": True}, format="json")
    assert gone.status_code == 400  # a deleted face cannot be "the person to keep"
    undo = reverse("faceset-undo", args=[team.project.pk, faceset.pk])
    client.post(undo, {"event": event["id"]}, format="json")
    assert Face.objects.filter(deleted_at__isnull=True).count() == 12


@pytest.mark.parametrize("reverse", [False, True])
def test_the_web_orders_faces_as_the_cli_does(team, api_as, reverse):
    """One curation library: every key the CLI's ``deepreview sort`` knows orders the
    faceset grid the same way (hue wraps round 0/360, histograms and embeddings vary)."""
    from deepreview_workers.pipeline.curation.order import SORT_KEYS, sort_faces
    from deepreview_workers.pipeline.types import FaceMetrics

    rng = np.random.default_rng(7)
    faceset = FacesetFactory(project=team.project)
    faces, records = [], []
    for hue in (355.0, 3.0, 10.0, 180.0, 350.0, 90.0, 200.0):
        histogram = rng.random(128)
        histogram = (histogram / histogram.sum()).tolist()
        vector = rng.normal(size=128).astype("<f4")
        metrics = FaceMetrics(
            blur=float(rng.uniform(5, 500)),
            face_size=float(rng.uniform(40, 300)),
            brightness=float(rng.uniform(20, 230)),
            hue=hue,
            histogram=tuple(histogram),
            yaw=float(rng.uniform(-80, 80)),
            pitch=float(rng.uniform(-50, 50)),
            roll=0.0,
            confidence=float(rng.uniform(0.5, 1)),
        )
        columns = {**metrics.__dict__, "histogram": histogram}
        faces.append(FaceFactory(faceset=faceset, embedding=vector.tobytes(), **columns))
        records.append(SimpleNamespace(metrics=metrics, embedding=vector))
    prefix = "-" if reverse else ""
    for key in SORT_KEYS:
        expected = [faces[i].pk for i in sort_faces(records, key, reverse=reverse)]
        assert listed_ids(api_as("viewer"), faceset, ordering=prefix + key) == expected, key

"""Marks interchange: CVAT for video 1.1 XML and Label Studio video JSON, round trips on
generated marks, files written the way the other tools write them, hostile and broken
files, roles and blind review."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from deepreview.review import interchange
from deepreview.review.models import ArtifactKind, Mark, Verdict
from tests.conftest import client_for
from tests.factories import MediaItemFactory, MembershipFactory

pytestmark = pytest.mark.django_db

FORMATS = sorted(interchange.FORMATS)
BUILT_IN = ["edge-seam", "flicker", "teeth", "face-blur", "ghosting"]


@pytest.fixture
def video(team):
    return MediaItemFactory(project=team.project, frame_count=120, fps=30.0, width=640, height=360)


def export(client, team, media, file_format: str):  # noqa: ANN201
    url = reverse("markexchange-export", args=[team.project.pk])
    return client.get(url, {"media": media.pk, "format": file_format})


def upload(client, team, media, file_format: str, content: bytes, **extra):  # noqa: ANN201
    url = reverse("markexchange-import", args=[team.project.pk])
    body = {
        "file": SimpleUploadedFile("marks", content),
        "media": media.pk,
        "format": file_format,
        **extra,
    }
    return client.post(url, body, format="multipart")


def labels_in(content: bytes, file_format: str, media) -> set[str]:  # noqa: ANN001
    geometry = interchange._geometry(media)
    read = interchange.FORMATS[file_format].read(content, video=geometry)
    return {mark.label for mark in read.marks}


def mark_set(media, *, notes: bool = False) -> set[tuple]:
    return {
        (m.kind, m.start_frame, m.end_frame, tuple(m.region) if m.region else None)
        + ((m.note,) if notes else ())
        for m in Mark.objects.filter(media=media)
    }


def generated_marks(team, media, *, seed: int) -> None:
    """Marks with and without regions, several kinds (one the project's own), ranges
    at the video's first and last frames, and same-kind marks that touch and overlap."""
    ArtifactKind.objects.get_or_create(
        project=team.project, slug="watermark", defaults={"label": "Watermark"}
    )
    rng = random.Random(seed)
    last = media.frame_count - 1
    ranges = [(0, 0), (0, 9), (last, last), (100, last), (0, last), (20, 29), (30, 39), (25, 35)]
    ranges += [tuple(sorted(rng.sample(range(media.frame_count), 2))) for _ in range(8)]
    author = team.users["reviewer"]
    for index, (start, end) in enumerate(ranges):
        region = None
        if index % 2:
            x0, y0 = round(rng.uniform(0, 0.5), 5), round(rng.uniform(0, 0.5), 5)
            region = [
                x0,
                y0,
                round(rng.uniform(x0 + 0.01, 1), 5),
                round(rng.uniform(y0 + 0.01, 1), 5),
            ]
        kind = "flicker" if 5 <= index <= 7 else rng.choice([*BUILT_IN, "watermark"])
        Mark.objects.create(
            project=team.project,
            media=media,
            kind=kind,
            start_frame=start,
            end_frame=end,
            region=region,
            note=f"note {index}",
            created_by=author,
        )


# -- round trips --------------------------------------------------------------------


@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize("seed", [1, 2])
def test_round_trip_gives_back_the_same_marks(team, api_as, video, file_format, seed):
    generated_marks(team, video, seed=seed)
    exported = export(api_as("viewer"), team, video, file_format)
    assert exported.status_code == 200, exported.content
    assert exported["Content-Type"] == interchange.FORMATS[file_format].content_type
    assert "attachment" in exported["Content-Disposition"]
    # Another video of the same length at another size: pixels scale, fractions stay.
    twin = MediaItemFactory(project=team.project, frame_count=120, width=1920, height=1080)
    response = upload(api_as("reviewer"), team, twin, file_format, exported.content)
    assert response.status_code == 200, response.content
    expected = mark_set(video, notes=file_format == "labelstudio")
    assert response.json()["created"] == len(expected)
    assert mark_set(twin, notes=file_format == "labelstudio") == expected
    assert set(Mark.objects.filter(media=twin).values_list("created_by", flat=True)) == {
        team.users["reviewer"].pk
    }


@pytest.mark.parametrize("file_format", FORMATS)
def test_importing_a_file_twice_adds_nothing(team, api_as, video, file_format):
    generated_marks(team, video, seed=3)
    content = export(api_as("viewer"), team, video, file_format).content
    twin = MediaItemFactory(project=team.project, frame_count=120)
    first = upload(api_as("curator"), team, twin, file_format, content).json()
    again = upload(api_as("curator"), team, twin, file_format, content).json()
    assert again == {
        "created": 0,
        "skipped": first["created"],
        "skipped_unknown": {},
        "ignored": {},
    }
    # Back onto the video it came from: everything is there already.
    home = upload(api_as("curator"), team, video, file_format, content).json()
    assert home["created"] == 0 and home["skipped"] == first["created"]


def test_cvat_export_shape(team, api_as, video):
    Mark.objects.create(
        project=team.project,
        media=video,
        kind="edge-seam",
        start_frame=5,
        end_frame=9,
        region=[0.25, 0.5, 0.75, 1.0],
    )
    Mark.objects.create(project=team.project, media=video, kind="teeth", start_frame=7, end_frame=8)
    text = export(api_as("viewer"), team, video, "cvat").content.decode()
    assert "<version>1.1</version>" in text and "<name>watermark</name>" not in text
    assert "<name>edge-seam</name>" in text and "<width>640</width>" in text
    assert (
        '<box frame="5" keyframe="1" outside="0" occluded="0" xtl="160.00" ytl="180.00" '
        'xbr="480.00" ybr="360.00" z_order="0" />'
    ) in text
    assert '<box frame="10" keyframe="1" outside="1"' in text
    assert text.count('label="teeth"') == 2 and '<tag frame="7" label="teeth"' in text


def test_labelstudio_export_shape(team, api_as, video):
    Mark.objects.create(
        project=team.project,
        media=video,
        kind="edge-seam",
        start_frame=5,
        end_frame=9,
        region=[0.25, 0.5, 0.75, 1.0],
        note="jaw",
    )
    Mark.objects.create(project=team.project, media=video, kind="teeth", start_frame=7, end_frame=8)
    (task,) = export(api_as("viewer"), team, video, "labelstudio").json()
    box, timeline = task["annotations"][0]["result"]
    assert box["type"] == "videorectangle" and box["value"]["labels"] == ["edge-seam"]
    keyframes = [(k["frame"], k["enabled"]) for k in box["value"]["sequence"]]
    assert keyframes == [(6, True), (10, False)]
    assert box["value"]["sequence"][0] | {"time": 0} == {
        "frame": 6,
        "enabled": True,
        "time": 0,
        "x": 25.0,
        "y": 50.0,
        "width": 50.0,
        "height": 50.0,
        "rotation": 0,
    }
    assert box["meta"] == {"text": ["jaw"]}
    assert timeline["value"] == {"ranges": [{"start": 8, "end": 9}], "timelinelabels": ["teeth"]}


# -- files as the other tools write them ---------------------------------------------

# Written the way CVAT dumps a task as "CVAT for video 1.1": an interpolated box
# (keyframe="0"), an occluded one, outside boxes, a track that comes back, a polygon, tags
# without groups, labels named for people, a task cut from the video at frame 20.
CVAT_WRITTEN = (Path(__file__).parent / "files" / "cvat_video_1_1.xml").read_bytes()


def test_import_a_file_written_by_cvat(team, api_as, video):
    response = upload(api_as("reviewer"), team, video, "cvat", CVAT_WRITTEN)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "created": 5,
        "skipped": 0,
        "skipped_unknown": {},
        "ignored": {"track of polygon": 1},
    }
    # Task frames start at video frame 20; pixels are of the file's 1280x720.
    assert mark_set(video) == {
        # A moving box: the union of its boxes, up to the frame before "outside".
        ("edge-seam", 20, 22, (0.1, 0.1, 0.6, 0.6)),
        # It comes back for frames 10-11; the box hangs over the edge and is clipped.
        ("edge-seam", 30, 31, (0.0, 0.0, 1.0, 1.0)),
        # No outside box: the track lasts to the end of the video.
        ("flicker", 115, 119, (0.0, 0.0, 0.5, 1.0)),
        ("flicker", 60, 62, None),
        ("flicker", 70, 70, None),
    }


LABEL_STUDIO_WRITTEN = {
    "id": 31,
    "data": {"video": "/data/upload/3/clip.mp4"},
    "annotations": [
        {
            "id": 12,
            "completed_by": 1,
            "was_cancelled": False,
            "result": [
                {
                    "value": {
                        "framesCount": 121,
                        "duration": 4.0,
                        "sequence": [
                            {
                                "frame": 1,
                                "enabled": True,
                                "rotation": 0,
                                "x": 10,
                                "y": 20,
                                "width": 30,
                                "height": 40,
                                "time": 0.033,
                            },
                            {
                                "frame": 6,
                                "enabled": True,
                                "rotation": 0,
                                "x": 20,
                                "y": 20,
                                "width": 30,
                                "height": 40,
                                "time": 0.2,
                            },
                            {
                                "frame": 9,
                                "enabled": False,
                                "rotation": 0,
                                "x": 20,
                                "y": 20,
                                "width": 30,
                                "height": 40,
                                "time": 0.3,
                            },
                            {
                                "frame": 101,
                                "enabled": True,
                                "rotation": 0,
                                "x": 0,
                                "y": 0,
                                "width": 50,
                                "height": 50,
                                "time": 3.367,
                            },
                        ],
                        "labels": ["Ghosting"],
                    },
                    "id": "Q2nB0x_a1",
                    "from_name": "box",
                    "to_name": "video",
                    "type": "videorectangle",
                    "origin": "manual",
                    "meta": {"text": ["trace of the old mouth"]},
                },
                {
                    "value": {
                        "ranges": [{"start": 1, "end": 4}, {"start": 118, "end": 120}],
                        "timelinelabels": ["teeth"],
                    },
                    "id": "t7",
                    "from_name": "videoLabels",
                    "to_name": "video",
                    "type": "timelinelabels",
                    "origin": "manual",
                },
                {
                    "value": {"choices": ["Fake"]},
                    "id": "c1",
                    "from_name": "verdict",
                    "to_name": "video",
                    "type": "choices",
                    "origin": "manual",
                },
            ],
        }
    ],
    "predictions": [],
}


def test_import_a_file_written_by_label_studio(team, api_as, video):
    content = json.dumps([LABEL_STUDIO_WRITTEN]).encode()
    response = upload(api_as("reviewer"), team, video, "labelstudio", content)
    assert response.status_code == 200, response.content
    assert response.json()["ignored"] == {"choices": 1}
    assert mark_set(video, notes=True) == {
        ("ghosting", 0, 8, (0.1, 0.2, 0.5, 0.6), "trace of the old mouth"),
        ("ghosting", 100, 119, (0.0, 0.0, 0.5, 0.5), "trace of the old mouth"),
        ("teeth", 0, 3, None, ""),
        ("teeth", 117, 119, None, ""),
    }


# -- refused files: nothing is written -----------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<annotations><version>1.1</version><tag frame="1" label="&lol9;"/></annotations>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE annotations [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<annotations><tag frame="1" label="&secret;"/></annotations>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE annotations SYSTEM "http://example.invalid/cvat.dtd">
<annotations/>
"""


@pytest.mark.parametrize(
    "content",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, BILLION_LAUGHS.decode().encode("utf-16")],
)
def test_hostile_xml_is_refused(team, api_as, video, content):
    response = upload(api_as("reviewer"), team, video, "cvat", content)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_file" and "DOCTYPE" in error["message"]
    assert not Mark.objects.exists()


@pytest.mark.parametrize(
    ("file_format", "content", "says"),
    [
        ("cvat", b"\x89PNG\r\n\x1a\n\x00\x00garbage", "not well-formed"),
        (
            "cvat",
            b"<annotations><track id='0' label='flicker'><box frame='x'/></track></annotations>",
            "frame must be a whole number",
        ),
        ("cvat", b"<annotations><image id='0' name='a.png'/></annotations>", "CVAT for images"),
        ("cvat", b"<dataset/>", "not a CVAT XML file"),
        ("labelstudio", b"\xff\xfe{garbage", "not JSON"),
        ("labelstudio", b"[" * 100000, "not JSON"),
        ("labelstudio", b'[{"annotations": 3}]', "must be a list"),
        ("labelstudio", b'[{"id": 1}, {"id": 2}]', "holds 2 tasks"),
        (
            "labelstudio",
            json.dumps(
                [
                    {
                        "annotations": [
                            {
                                "result": [
                                    {
                                        "type": "videorectangle",
                                        "value": {
                                            "labels": ["teeth"],
                                            "sequence": [
                                                {
                                                    "frame": 0,
                                                    "x": 1,
                                                    "y": 1,
                                                    "width": 1,
                                                    "height": 1,
                                                }
                                            ],
                                        },
                                    }
                                ]
                            }
                        ]
                    }
                ]
            ).encode(),
            "frame number from 1",
        ),
    ],
)
def test_garbage_is_a_400_naming_the_problem(team, api_as, video, file_format, content, says):
    response = upload(api_as("reviewer"), team, video, file_format, content)
    assert response.status_code == 400, response.content
    assert says in response.json()["error"]["message"]
    assert not Mark.objects.exists()


def test_empty_and_oversized_files(team, api_as, video, monkeypatch):
    assert upload(api_as("reviewer"), team, video, "cvat", b"").status_code == 400
    monkeypatch.setattr(interchange, "MAX_IMPORT_BYTES", 100)
    response = upload(api_as("reviewer"), team, video, "cvat", CVAT_WRITTEN)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert not Mark.objects.exists()


def test_unknown_label_is_refused_or_skipped(team, api_as, video):
    content = CVAT_WRITTEN.replace(b'label="flicker"', b'label="lens-flare"')
    refused = upload(api_as("reviewer"), team, video, "cvat", content)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "unknown_label"
    assert '\'lens-flare\' (line 35, <track id="1" label="lens-flare">' in error["message"]
    assert "edge-seam" in error["message"] and "skip_unknown" in error["message"]
    assert not Mark.objects.exists()

    skipped = upload(api_as("reviewer"), team, video, "cvat", content, skip_unknown=True)
    assert skipped.status_code == 200, skipped.content
    assert skipped.json()["created"] == 2
    assert skipped.json()["skipped_unknown"] == {"lens-flare": 3}
    assert {m.kind for m in Mark.objects.filter(media=video)} == {"edge-seam"}


@pytest.mark.parametrize("file_format", FORMATS)
def test_out_of_range_frames_write_nothing(team, api_as, video, file_format):
    generated_marks(team, video, seed=4)
    content = export(api_as("viewer"), team, video, file_format).content
    short = MediaItemFactory(project=team.project, frame_count=60)  # marks past frame 59
    response = upload(api_as("reviewer"), team, short, file_format, content)
    assert response.status_code == 400, response.content
    message = response.json()["error"]["message"]
    assert "0 to 59" in message and "Nothing was imported" in message
    assert ("line " in message) if file_format == "cvat" else ("annotations[0]" in message)
    assert not Mark.objects.filter(media=short).exists()


def test_a_video_still_processing_is_refused(team, api_as):
    pending = MediaItemFactory(project=team.project, status="probing", frame_count=None)
    response = upload(api_as("reviewer"), team, pending, "cvat", CVAT_WRITTEN)
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_ready"


def test_export_needs_a_known_format_and_video(team, api_as, video):
    client = api_as("viewer")
    assert export(client, team, video, "coco").status_code == 400
    url = reverse("markexchange-export", args=[team.project.pk])
    assert client.get(url, {"format": "cvat"}).status_code == 400
    assert client.get(url, {"format": "cvat", "media": 10**9}).status_code == 404


# -- roles and blind review ----------------------------------------------------------


def test_roles(team, api_as, video):
    assert upload(api_as("viewer"), team, video, "cvat", CVAT_WRITTEN).status_code == 403
    assert export(api_as("viewer"), team, video, "cvat").status_code == 200
    assert upload(api_as("outsider"), team, video, "cvat", CVAT_WRITTEN).status_code == 404
    assert export(api_as("outsider"), team, video, "cvat").status_code == 404
    assert export(api_as("anon"), team, video, "cvat").status_code == 401
    assert not Mark.objects.exists()


def test_another_projects_video_is_not_found(team, api_as):
    foreign = MediaItemFactory(project=MembershipFactory(role="owner").project)
    assert export(api_as("owner"), team, foreign, "labelstudio").status_code == 404
    response = upload(api_as("owner"), team, foreign, "cvat", CVAT_WRITTEN)
    assert response.status_code == 404
    assert not Mark.objects.exists()


@pytest.mark.parametrize("file_format", FORMATS)
def test_blind_review_export_shows_only_own_marks_until_the_verdict(
    team, api_as, video, file_format
):
    project = team.project
    project.blind_review = True
    project.save()
    other = MembershipFactory(project=project, role="reviewer").user
    reviewer = team.users["reviewer"]
    Mark.objects.create(
        project=project, media=video, kind="ghosting", start_frame=3, end_frame=9, created_by=other
    )
    Mark.objects.create(
        project=project,
        media=video,
        kind="teeth",
        start_frame=40,
        end_frame=44,
        region=[0.1, 0.1, 0.2, 0.2],
        created_by=reviewer,
    )
    before = export(api_as("reviewer"), team, video, file_format).content
    assert labels_in(before, file_format, video) == {"teeth"}
    # Importing the other reviewer's marks: nothing says they are there already.
    twin = MediaItemFactory(project=project, frame_count=120)
    foreign = export(api_as("viewer"), team, video, file_format).content
    Mark.objects.create(
        project=project, media=twin, kind="ghosting", start_frame=3, end_frame=9, created_by=other
    )
    report = upload(api_as("reviewer"), team, twin, file_format, foreign).json()
    assert report["created"] == 2 and report["skipped"] == 0

    Verdict.objects.create(
        project=project, media=video, reviewer=reviewer, label="fake", confidence=0.8
    )
    after = client_for(reviewer).get(
        reverse("markexchange-export", args=[project.pk]),
        {"media": video.pk, "format": file_format},
    )
    assert labels_in(after.content, file_format, video) == {"teeth", "ghosting"}

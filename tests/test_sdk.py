"""The Python client (deepreview_client) against a live server and a real worker:
upload -> detect -> read scores -> export, as a script would."""

from __future__ import annotations

import json
import zipfile

import pytest

from deepreview_client import ApiError, Client, JobFailed
from tests.media_paths import HOPPER, PD_CLIP, SHARED_MEDIA

FAKE = SHARED_MEDIA / "fake_videos" / "dfdc_fake_abofeumbvv.mp4"

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not (PD_CLIP.exists() and FAKE.exists()), reason="shared media absent"),
]


@pytest.fixture
def curator(team):  # noqa: ANN001, ANN201
    user = team.users["curator"]
    user.set_password("sdk-pass")
    user.save(update_fields=["password"])
    return user


def test_upload_detect_read_scores_and_export(
    team, curator, live_server, celery_worker_process, tmp_path
):
    client = Client.login(live_server.url, curator.username, "sdk-pass")
    project = team.project.pk
    assert project in [p["id"] for p in client.projects()]

    real = client.upload(project, PD_CLIP, origin="real")
    fake = client.upload(project, FAKE, origin="fake")
    again = client.upload(project, PD_CLIP)  # the same bytes: the item already there
    assert again["id"] == real["id"]
    for item in (real, fake):
        assert client.wait_ready(project, item["id"], timeout=300)["status"] == "ready"

    jobs = client.detect(project, [real["id"], fake["id"]], options={"frames": 8})
    heard: list[tuple[float, str]] = []
    for job in jobs:
        client.wait(project, job["id"], timeout=600, on_progress=lambda f, m: heard.append((f, m)))
    assert heard and heard[-1][0] == 1.0
    for item in (real, fake):
        run = client.detections(project, media=item["id"])[0]
        assert run["status"] == "ok" and 0.0 <= run["score_confident"] <= 1.0
        assert run["label"] in ("real", "fake")
        frames = client.detection_result(run)["frames"]
        assert frames, "the full result carries per-frame scores"

    options = {"frames_per_video": 2, "crop_size": 96, "ratios": [1, 0, 0]}
    export = client.export_create(
        project, "From the SDK", {"label_source": "ground_truth"}, options
    )
    client.wait(project, export["job"], timeout=300)
    path = client.download_export(project, export["id"], tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert "manifest.sha256" in archive.namelist()


def test_errors_carry_the_servers_reasons(team, curator, live_server):
    client = Client.login(live_server.url, curator.username, "sdk-pass")
    with pytest.raises(ApiError) as refused:
        client.detect(team.project.pk, [999_999], options={"frames": 0})
    assert refused.value.status == 400 and "frames" in refused.value.fields
    with pytest.raises(ApiError) as wrong:
        Client.login(live_server.url, curator.username, "not the password")
    assert wrong.value.status == 400
    outsider = Client(live_server.url, token="not-a-token")
    with pytest.raises(ApiError) as anonymous:
        outsider.projects()
    assert anonymous.value.status == 401
    assert JobFailed.__mro__[1] is Exception


def test_the_client_needs_only_the_standard_library():
    import subprocess
    import sys

    code = (
        "import sys, deepreview_client; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'rest_framework', 'deepreview', 'deepreview_workers', 'requests')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_cli_runs_detect_export_and_import_on_a_server(
    team, curator, live_server, celery_worker_process, tmp_path, capsys
):
    from deepreview_workers.cli import main

    token = Client.login(live_server.url, curator.username, "sdk-pass").token
    remote = ["--server", live_server.url, "--token", token]
    pid = str(team.project.pk)

    assert main([*remote, "detect", "--project", pid, "--frames", "8", str(PD_CLIP)]) == 0
    scored = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scored["video"] == str(PD_CLIP) and 0.0 <= scored["score_confident"] <= 1.0

    client = Client(live_server.url, token=token)
    fake = client.upload(team.project.pk, FAKE, origin="fake")
    client.wait_ready(team.project.pk, fake["id"], timeout=300)
    zip_path = tmp_path / "release.zip"
    flags = ["--label-source", "ground_truth", "--frames", "2", "--crop-size", "96"]
    flags += ["--ratios", "1,0,0"]
    assert main([*remote, "export", "--project", pid, "-o", str(zip_path), *flags]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert zip_path.exists() and exported["videos"] >= 1

    assert main([*remote, "import", str(zip_path), "--name", "Imported remotely"]) == 0
    imported = json.loads(capsys.readouterr().out)
    assert imported["project"] in [p["id"] for p in client.projects()]

    # A verb that only runs on local files says so.
    assert main([*remote, "sort", "--by", "blur", str(tmp_path)]) == 2
    assert "runs on local files only" in capsys.readouterr().err


def test_curation_swaps_and_review_from_a_script(team, curator, live_server, celery_worker_process):
    client = Client.login(live_server.url, curator.username, "sdk-pass")
    project = team.project.pk
    photo = client.upload(project, HOPPER, origin="real")
    client.wait_ready(project, photo["id"], timeout=300)

    faceset = client.faceset_create(project, "Hopper")
    (job,) = client.extract(project, faceset["id"], [photo["id"]], {"min_face_size": 40})
    client.wait(project, job["id"], timeout=600)
    faces = client.faces(project, faceset["id"])
    assert len(faces) == 1 and faces[0]["media"] == photo["id"]
    assert faceset["id"] in [f["id"] for f in client.facesets(project)]

    # Training needs consent recorded for both facesets: the server says so.
    other = client.faceset_create(project, "Nobody yet")
    model = client.swap_model_create(project, "H to N", faceset["id"], other["id"])
    assert model["arch"] == "original" and model["status"] == "new"
    with pytest.raises(ApiError) as refused:
        client.swap_train(project, model["id"], 10)
    assert refused.value.status == 400 and "consent" in refused.value.message.lower()

    video = client.upload(project, PD_CLIP, origin="real")
    client.wait_ready(project, video["id"], timeout=300)
    client.verdict(project, video["id"], "real", 0.9, "a press briefing")
    assert [v["label"] for v in client.verdicts(project, video["id"])] == ["real"]
    mark = client.mark_create(project, video["id"], "teeth", 0, 0, region=(0.1, 0.1, 0.5, 0.5))
    assert [m["id"] for m in client.marks(project, video["id"])] == [mark["id"]]
    with pytest.raises(ApiError) as bad_mark:
        client.mark_create(project, video["id"], "teeth", 5, 2)
    assert bad_mark.value.status == 400

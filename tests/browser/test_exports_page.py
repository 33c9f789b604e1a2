"""The dataset builder in a real Chromium: the live preview follows the split ratios,
an impossible identity-disjoint split says why and what to do (and the suggestion
fixes it), an empty selection says so, a build starts a job; viewers read exports
and datasheets without build or download buttons; the import card on the projects
page refuses files that are not exports and makes a project from one that is."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from deepreview.exports.models import DatasetExport
from deepreview.exports.services import EXPORT_JOB
from deepreview.review.models import Verdict
from deepreview_workers.pipeline.video_io import file_sha256
from tests.browser.conftest import wait_js
from tests.browser.test_upload_flow import sign_in
from tests.conftest import wait_for
from tests.factories import (
    ConversionFactory,
    IdentityFactory,
    JobFactory,
    MediaItemFactory,
    MembershipFactory,
)
from tests.pipeline.dataset.media import short_clip

pytestmark = [pytest.mark.browser]

# Full-page screenshots: keep the sticky top bar and preview where they belong.
UNSTICK = ".topbar, .export-side { position: static !important; }"

PEOPLE = ("Anna Berg", "Ben Okafor", "Chloe Martin", "David Chen", "Eva Novak", "Farid Haddad")
DATASHEET = """# Newsroom benchmark v1

A labeled deepfake detection benchmark exported by deepreview.

## Counts

| split | videos | real | fake | faces | identities |
| --- | --- | --- | --- | --- | --- |
| train | 8 | 5 | 3 | 64 | 4 |
| validation | 2 | 1 | 1 | 16 | 1 |
| test | 2 | 2 | 0 | 16 | 1 |

## Identity-disjointness

- No identity appears in two splits: **yes**
- Near-duplicate faces across splits removed: 0

## How labels were made

Labels are `ground_truth`: curators marked uploads real or fake.
"""


def _screenshot(page, path) -> None:  # noqa: ANN001
    page.screenshot(path=str(path), full_page=True, style=UNSTICK)


def _sha(name: str) -> str:
    """A distinct content hash per video: export keys are its first 16 characters."""
    return hashlib.sha256(name.encode()).hexdigest()


def _preview_ready(page) -> None:  # noqa: ANN001
    page.wait_for_selector("#preview-root[data-state='ready'] #preview-splits")


def _split_videos(page) -> dict[str, int]:  # noqa: ANN001
    rows = page.locator("#preview-splits tbody tr")
    return {
        rows.nth(i).get_attribute("data-split"): int(rows.nth(i).get_attribute("data-videos"))
        for i in range(rows.count())
    }


@pytest.fixture
def benchmark():  # noqa: ANN201
    """Twelve labeled videos of six people: reals, uploaded fakes and one fake made here
    that shows Ben's face on Anna (linking the two), plus an unlabeled video."""
    curator = MembershipFactory(role="curator", project__name="Newsroom benchmark")
    project = curator.project
    viewer = MembershipFactory(role="viewer", project=project)
    reviewer = MembershipFactory(role="reviewer", project=project, user__username="rita")
    people = {name: IdentityFactory(project=project, name=name) for name in PEOPLE}
    videos = []
    for name, count in (
        ("Anna Berg", 2),
        ("Ben Okafor", 2),
        ("Chloe Martin", 1),
        ("David Chen", 1),
        ("Eva Novak", 1),
        ("Farid Haddad", 1),
    ):
        for n in range(count):
            slug = name.split()[0].lower()
            file_name = f"{slug}_interview_{n + 1}.mp4"
            videos.append(
                MediaItemFactory(
                    project=project,
                    origin="real",
                    identity=people[name],
                    name=file_name,
                    sha256=_sha(file_name),
                )
            )
    for name in ("Chloe Martin", "David Chen", "Eva Novak"):
        slug = name.split()[0].lower()
        file_name = f"{slug}_viral_fake.mp4"
        videos.append(
            MediaItemFactory(
                project=project,
                origin="fake",
                identity=people[name],
                name=file_name,
                sha256=_sha(file_name),
            )
        )
    swap = ConversionFactory(
        project=project,
        output_media__name="anna_as_ben_swap.mp4",
        output_media__sha256=_sha("anna_as_ben_swap.mp4"),
        output_media__identity=people["Anna Berg"],
        provenance={
            "model": {"arch": "original"},
            "identity_shown": {"identity": "Ben Okafor"},
            "identity_replaced": {"identity": "Anna Berg"},
        },
    )
    videos.append(swap.output_media)
    MediaItemFactory(project=project, origin="unknown", name="unlabeled.mp4", sha256=_sha("u"))
    for video in videos[:3]:
        Verdict.objects.create(
            project=project, media=video, reviewer=reviewer.user, label=video.origin, confidence=0.9
        )
    return project, curator.user, viewer.user, videos


def _built_export(project, user) -> DatasetExport:  # noqa: ANN001
    artifact = default_storage.save(
        f"projects/{project.pk}/exports/newsroom-benchmark-v1.zip",
        ContentFile(b"PK\x05\x06" + b"\0" * 18),
    )
    job = JobFactory(project=project, kind=EXPORT_JOB, status="succeeded", progress=1.0)
    splits = {
        "train": {
            "videos": 8,
            "real_videos": 5,
            "fake_videos": 3,
            "faces": 64,
            "real": 40,
            "fake": 24,
            "identities": ["a", "b", "c", "d"],
        },
        "validation": {
            "videos": 2,
            "real_videos": 1,
            "fake_videos": 1,
            "faces": 16,
            "real": 8,
            "fake": 8,
            "identities": ["e"],
        },
        "test": {
            "videos": 2,
            "real_videos": 2,
            "fake_videos": 0,
            "faces": 16,
            "real": 16,
            "fake": 0,
            "identities": ["f"],
        },
    }
    return DatasetExport.objects.create(
        project=project,
        name="Newsroom benchmark v1",
        created_by=user,
        job=job,
        selection={
            "label_source": "ground_truth",
            "labels": ["fake", "real"],
            "identities": [],
            "methods": [],
            "method_options": {},
            "media": [],
        },
        options={
            "frames_per_video": 8,
            "crop_size": 224,
            "margin": 0.3,
            "ratios": [0.7, 0.15, 0.15],
            "seed": 0,
            "formats": ["imagefolder", "ffpp", "annotations"],
            "compressions": ["c23"],
        },
        artifact=artifact,
        size_bytes=48_300_000,
        manifest_sha256="9f2c4e1ab07d" + "5" * 52,
        summary={
            "files": 131,
            "bytes": 48_300_000,
            "faces": 96,
            "videos": 12,
            "splits": splits,
            "duplicates_removed": 2,
            "videos_without_faces": [],
        },
        datasheet=DATASHEET,
    )


def test_builder_preview_errors_and_build(page, live_server, artifacts, benchmark):
    project, curator, _viewer, videos = benchmark
    built = _built_export(project, curator)
    sign_in(page, live_server, curator.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.click("#exports-page-link")
    page.wait_for_url(f"**/projects/{project.pk}/exports/")

    # The default selection: every labeled ready video, split 70 / 15 / 15.
    _preview_ready(page)
    assert page.locator("[data-stat=videos] .stat-value").inner_text() == str(len(videos))
    assert page.locator("[data-stat=real] .stat-value").inner_text() == "8"
    assert page.locator("[data-stat=fake] .stat-value").inner_text() == "4"
    assert page.locator("[data-stat=identities] .stat-value").inner_text() == "6"
    assert "identity-disjoint: yes" in page.locator("#preview-disjoint").inner_text()
    assert page.locator("#preview-methods [data-method='deepreview-original']").inner_text() == (
        "deepreview-original 1"
    )
    before = _split_videos(page)
    assert sum(before.values()) == len(videos) and all(before.values())
    page.wait_for_selector("#preview-chart .main-svg")
    assert page.locator("#ratio-bar .ratio-train").get_attribute("data-share") == "70"
    assert page.locator("#build-export").is_enabled()

    # Ratios 60 / 40 / 0: the preview follows, the test split empties, the bar redraws.
    page.fill("#export-ratio-train", "60")
    page.fill("#export-ratio-validation", "40")
    page.fill("#export-ratio-test", "0")
    page.wait_for_selector("#preview-splits tr[data-split='test'][data-videos='0']")
    _preview_ready(page)
    after = _split_videos(page)
    assert after["test"] == 0 and after["train"] + after["validation"] == len(videos)
    assert after["validation"] > before["validation"]
    assert page.locator("#ratio-bar .ratio-validation").get_attribute("data-share") == "40"
    assert page.locator("#ratio-bar .ratio-test").is_hidden()
    _screenshot(page, artifacts / "exports-builder.png")

    # Only Anna: her videos and the swap that links her to Ben form one group, which
    # cannot fill two splits. The message says why; the suggestion makes it possible.
    page.check("input[name=identities][value='Anna Berg']")
    problem = page.locator("#preview-error[data-code='split_impossible']")
    problem.wait_for()
    text = problem.inner_text()
    assert "cannot be split without sharing a person" in text
    assert "Anna Berg and Ben Okafor" in text and "anna_as_ben_swap.mp4" in text
    assert "set validation to 0" in text
    assert page.locator("#preview-suggestion").is_visible()
    assert page.locator("#build-export").is_disabled()
    _screenshot(page, artifacts / "exports-split-impossible.png")
    page.click("#apply-suggestion")
    page.wait_for_selector("#preview-splits tr[data-split='train'][data-videos='3']")
    assert page.input_value("#export-ratio-validation") == "0"
    assert page.locator("#build-export").is_enabled()

    # No label ticked is refused on the page, next to the field.
    page.uncheck("input[name=labels][value=real]")
    page.uncheck("input[name=labels][value=fake]")
    page.wait_for_selector("#preview-error[data-code='invalid']")
    assert "at least one label" in page.locator("#preview-error").inner_text()
    assert "has-error" in page.locator(".field[data-field=labels]").get_attribute("class")
    page.check("input[name=labels][value=real]")
    page.check("input[name=labels][value=fake]")
    _preview_ready(page)

    # Consensus labels: nobody adjudicated anything yet, so nothing matches.
    page.click("label:has(input[name=label_source][value=consensus])")
    empty = page.locator("#preview-error[data-code='empty_selection']")
    empty.wait_for()
    assert "Nothing to export yet" in empty.inner_text()
    assert "Nothing matches this selection" in empty.inner_text()
    assert page.locator("#build-export").is_disabled()
    _screenshot(page, artifacts / "exports-empty-selection.png")

    # One reviewer's verdicts: Rita judged three videos.
    page.click("label:has(input[name=label_source][value=reviewer])")
    assert page.locator("#export-reviewer").input_value() == "rita"
    page.uncheck("input[name=identities][value='Anna Berg']")
    page.fill("#export-ratio-train", "100")
    videos_shown = "#preview-root[data-state='ready'] [data-stat=videos] .stat-value"
    page.wait_for_selector(f"{videos_shown} >> text='3'")

    # The existing export: facts, fingerprint, per-split counts, datasheet, download.
    item = page.locator(f"[data-export-id='{built.pk}']")
    assert item.get_attribute("data-status") == "succeeded"
    assert item.locator(".export-sha-short").inner_text() == "9f2c4e1ab07d"
    assert "131" in item.locator("[data-fact=files]").inner_text()
    assert "46.1 MB" in item.locator("[data-fact=size]").inner_text()
    assert "8 videos" in item.locator(".export-split[data-split=train]").inner_text()
    item.locator("[data-action=datasheet]").click()
    sheet = page.locator(f"#datasheet-{built.pk}")
    assert sheet.locator("table.data tbody tr").count() == 3
    assert sheet.locator("h3").first.inner_text() == "Newsroom benchmark v1"
    with page.expect_download() as download:
        item.locator("[data-action=download]").click()
    assert download.value.suggested_filename == "newsroom-benchmark-v1.zip"

    # Build: back to ground truth, everyone, 70 / 15 / 15; the new export is queued.
    page.click("label:has(input[name=label_source][value=ground_truth])")
    page.fill("#export-ratio-train", "70")
    page.fill("#export-ratio-validation", "15")
    page.fill("#export-ratio-test", "15")
    _preview_ready(page)
    wait_js(page, "!document.querySelector('#build-export').disabled")
    page.fill("#export-name", "newsroom-v2")
    page.click("#build-export")
    page.wait_for_selector("#build-status.success-text")
    created = DatasetExport.objects.exclude(pk=built.pk).get()
    assert created.name == "newsroom-v2" and created.options["ratios"] == [0.7, 0.15, 0.15]
    new_item = page.locator(f"[data-export-id='{created.pk}']")
    new_item.wait_for()
    assert new_item.get_attribute("data-status") == "queued"
    assert new_item.locator("[role=progressbar]").count() == 1
    _screenshot(page, artifacts / "exports-list.png")


def test_viewer_reads_exports_without_build_or_download(page, live_server, artifacts, benchmark):
    project, curator, viewer, _videos = benchmark
    built = _built_export(project, curator)
    sign_in(page, live_server, viewer.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/exports/")
    item = page.locator(f"[data-export-id='{built.pk}']")
    item.wait_for()
    assert page.locator("#export-form").count() == 0
    assert page.locator("#build-export").count() == 0
    assert item.locator("[data-action=download]").count() == 0
    assert item.locator("[data-action=delete]").count() == 0
    item.locator("[data-action=datasheet]").click()
    assert page.locator(f"#datasheet-{built.pk} li").count() == 2
    _screenshot(page, artifacts / "exports-viewer.png")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_import_card_refuses_non_exports_and_makes_a_project(
    page, live_server, artifacts, tmp_path
):
    owner = MembershipFactory(role="owner", project__name="Newsroom checks").user
    sign_in(page, live_server, owner.username)
    card = page.locator("#import-card")

    not_zip = tmp_path / "notes.zip"
    not_zip.write_bytes(b"just some text, not a zip")
    page.set_input_files("#import-file", str(not_zip))
    page.click("#import-button")
    page.wait_for_selector("#import-status.error-text")
    assert "not a zip archive" in card.locator("#import-status").inner_text()

    other = tmp_path / "photos.zip"
    other.write_bytes(_zip({"photo.jpg": b"\xff\xd8"}))
    page.set_input_files("#import-file", str(other))
    page.click("#import-button")
    wait_js(
        page,
        "document.querySelector('#import-status').textContent"
        ".includes('not a dataset this app can import')",
    )

    export = tmp_path / "newsroom-benchmark-v1.zip"
    export.write_bytes(_zip({"export.json": json.dumps({"schema": "deepreview.dataset"}).encode()}))
    page.set_input_files("#import-file", str(export))
    page.fill("#import-name", "Benchmark replica")
    page.click("#import-button")
    page.wait_for_selector("#import-status.success-text")
    row = card.locator(".import-item").first
    row.wait_for()
    assert row.locator(".import-project").inner_text() == "Benchmark replica"
    assert row.get_attribute("data-status") in ("queued", "running")
    _screenshot(page, artifacts / "import-card.png")
    row.locator(".import-project").click()
    page.wait_for_url("**/projects/*/")
    assert page.locator("h1").inner_text() == "Benchmark replica"


@pytest.mark.worker
def test_real_build_of_two_clips(page, live_server, artifacts, celery_worker_process, tmp_path):
    """Two short real clips of one speaker, built by the worker with the real library:
    the list follows the job to the end and shows what the zip holds."""
    membership = MembershipFactory(role="curator", project__name="White House addresses")
    project = membership.project
    speaker = IdentityFactory(project=project, name="Barack Obama")
    for count in (12, 16):
        path = short_clip(tmp_path / f"address_{count}.mp4", count)
        MediaItemFactory(
            project=project,
            origin="real",
            identity=speaker,
            name=path.name,
            file=ContentFile(path.read_bytes(), name=path.name),
            poster="",
            size_bytes=path.stat().st_size,
            sha256=file_sha256(path),
            width=512,
            height=388,
            fps=30.0,
            frame_count=count,
            duration_seconds=count / 30,
        )
    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/exports/")
    page.wait_for_selector("#preview-error[data-code='split_impossible']")  # one person
    page.click("#apply-suggestion")
    page.wait_for_selector("#preview-splits tr[data-split='train'][data-videos='2']")
    page.fill("#export-frames_per_video", "2")
    page.fill("#export-crop_size", "96")
    _preview_ready(page)
    wait_js(page, "!document.querySelector('#build-export').disabled")
    page.fill("#export-name", "obama-addresses")
    page.click("#build-export")

    export = wait_for(lambda: DatasetExport.objects.first(), timeout=10, message="the export row")
    item = page.locator(f"[data-export-id='{export.pk}']")
    item.wait_for()
    done = f"[data-export-id='{export.pk}'][data-status='succeeded']"
    page.wait_for_selector(done, timeout=240_000)
    export.refresh_from_db()
    assert item.locator(".export-sha-short").inner_text() == export.manifest_sha256[:12]
    assert "2 videos" in item.locator(".export-split[data-split=train]").inner_text()
    item.locator("[data-action=datasheet]").click()
    assert page.locator(f"#datasheet-{export.pk} h3").count() >= 1
    _screenshot(page, artifacts / "exports-real-build.png")
    with page.expect_download() as download:
        item.locator("[data-action=download]").click()
    saved = tmp_path / "download.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert {"export.json", "datasheet.md", "manifest.sha256"} <= set(archive.namelist())

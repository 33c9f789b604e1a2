"""The first run: ``load_demo`` builds the whole demo through a real worker, and every
page of the demo project shows it (screenshots in test-artifacts/demo-*.png).

The swap model trains 300 iterations here instead of the demo's default (a few minutes),
enough for its fake to show a face that detection finds and maps: everything else is the
build ``make run`` starts. Loading the demo again adds nothing.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Model

from deepreview.demo import services as demo_services
from deepreview.detection.models import DetectionRun
from deepreview.exports.models import DatasetExport
from deepreview.facesets.models import Face, Faceset
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from deepreview.projects.models import Identity, Membership, Project
from deepreview.review.models import Assignment, Consensus, GoldVideo, Mark, Verdict
from deepreview.swaps.models import ConsentRecord, Conversion, SwapModel
from tests.browser.conftest import wait_js
from tests.browser.test_upload_flow import sign_in
from tests.conftest import start_worker, stop_worker, wait_for
from tests.media_paths import SHARED_MEDIA, needs_shared_media

pytestmark = [pytest.mark.browser, pytest.mark.worker, needs_shared_media]

ITERATIONS = 300
COUNTED: tuple[type[Model], ...] = (
    Project,
    Membership,
    Identity,
    MediaItem,
    Faceset,
    Face,
    ConsentRecord,
    SwapModel,
    Conversion,
    DetectionRun,
    Verdict,
    Mark,
    Consensus,
    GoldVideo,
    Assignment,
    DatasetExport,
    Job,
)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_the_demo_builds_itself_and_every_page_shows_it(
    page, live_server, artifacts, settings, tmp_path, transactional_db
):
    settings.SHARED_MEDIA_DIR = SHARED_MEDIA
    settings.DEMO_SWAP_ITERATIONS = ITERATIONS
    worker = start_worker(
        tmp_path,
        settings.MEDIA_ROOT,
        env={
            "DEEPREVIEW_DEMO_SWAP_ITERATIONS": str(ITERATIONS),
            "DEEPREVIEW_SHARED_MEDIA": str(SHARED_MEDIA),
        },
    )
    try:
        call_command("load_demo", stdout=StringIO())
        project = Project.objects.get(name=demo_services.DEMO_PROJECT)
        base = f"{live_server.url}/projects/{project.pk}"
        missing: list[str] = []  # the login page once asked for a favicon that 404'd
        page.on("response", lambda r: r.status == 404 and missing.append(r.url))
        sign_in(page, live_server, demo_services.OWNER, demo_services.DEMO_PASSWORD)
        assert not missing, missing
        card = page.locator(f".project-card[data-project-id='{project.pk}']")
        assert "3 members" in card.inner_text()  # not the one membership the list is joined on
        page.goto(f"{base}/")
        page.wait_for_selector("#demo-build .demo-step")
        assert page.locator("#demo-build .demo-step").count() == len(demo_services.STEPS)
        page.screenshot(path=str(artifacts / "demo-building.png"), full_page=True)

        def complete() -> bool:
            state = demo_services.demo_status(project=project)
            failed = [s for s in state["steps"] if s["status"] == "failed"]
            assert not failed, f"{failed}\n{worker.log()[-3000:]}"
            return state["complete"]

        wait_for(complete, 900, interval=2, message="the demo build")
    finally:
        stop_worker(worker)

    # The project page: every step done, each with links to what it made.
    page.goto(f"{base}/")
    page.wait_for_selector("#demo-build[data-complete='true']")
    assert page.locator("#demo-build .demo-done").count() == len(demo_services.STEPS)
    assert page.locator("#facesets .faceset-list li").count() == 2
    page.screenshot(path=str(artifacts / "demo-project.png"), full_page=True)
    links = {
        a.inner_text(): a.get_attribute("href")
        for a in page.locator("#demo-build .demo-links a").all()
    }

    page.goto(live_server.url + links["Faceset: Katie Hill"])
    page.wait_for_selector("#face-grid img")
    assert page.locator("#face-counts").get_attribute("data-count") == str(
        Face.objects.filter(faceset__name="Katie Hill").count()
    )
    page.screenshot(path=str(artifacts / "demo-faceset.png"), full_page=True)

    page.goto(live_server.url + links["Swap model: loss curves and previews"])
    assert "demo model" in page.locator("#swap-description").inner_text()
    page.wait_for_selector("#loss-chart .main-svg")
    page.screenshot(path=str(artifacts / "demo-swap-model.png"), full_page=True)

    # Detection: the built-in detector scored every video, the external fake above the reals.
    runs = {r.media.name: r for r in DetectionRun.objects.filter(project=project)}
    assert len(runs) == MediaItem.objects.filter(project=project, kind="video").count() == 5
    external = runs["motioncoseg_result_final.mp4"].score_confident
    reals = [r.score_confident for r in runs.values() if r.media.origin == "real"]
    assert external > max(reals), (external, reals)
    assert runs[fake_name := Conversion.objects.get().output_media.name].status == "ok", fake_name
    page.goto(live_server.url + links["Detection: scores and heat maps"])
    page.wait_for_selector("#run-list-root >> text=motioncoseg_result_final.mp4")
    page.screenshot(path=str(artifacts / "demo-detection.png"), full_page=True)

    # Review: two reviewers disagree on the fake; the owner adjudicated; one gold video.
    fake = Conversion.objects.get(project=project).output_media
    assert sorted(Verdict.objects.filter(media=fake).values_list("label", flat=True)) == [
        "fake",
        "real",
    ]
    assert Consensus.objects.get(media=fake).label == "fake"
    assert GoldVideo.objects.filter(media__project=project).count() == 1
    page.goto(live_server.url + links["Review dashboard"])
    page.wait_for_selector("#disagreements-root >> text=Demo swap")
    page.screenshot(path=str(artifacts / "demo-review.png"), full_page=True)

    page.goto(live_server.url + links["Workspace: heat map"])
    page.wait_for_selector("#review-workspace[data-ready='true']", timeout=30_000)
    wait_js(page, "document.querySelector('#review-video').readyState >= 2")
    page.wait_for_selector("#btn-heat", state="visible")
    page.keyboard.press("m")
    page.wait_for_selector(".heat-layer", state="visible")
    page.screenshot(path=str(artifacts / "demo-workspace.png"), full_page=True)

    page.goto(live_server.url + links["Fact-check report"])
    page.wait_for_selector("#report-effective")
    assert "FAKE" in page.locator("#report-effective").inner_text()  # the adjudicated label
    assert "Built-in detector" in page.locator("#report-detector").inner_text()
    assert "fake probability" in page.locator("#report-detector").inner_text()
    page.wait_for_selector(".report-mark canvas.report-heat")
    page.screenshot(path=str(artifacts / "demo-report.png"), full_page=True)

    page.goto(live_server.url + links["Export and its datasheet"])
    page.wait_for_selector("text=Demo dataset")
    export = DatasetExport.objects.get(project=project)
    assert export.artifact and "## Composition" in export.datasheet
    page.screenshot(path=str(artifacts / "demo-exports.png"), full_page=True)

    # Loading the demo again (make run, a second time) adds nothing.
    before = _counts()
    call_command("load_demo", stdout=StringIO())
    assert _counts() == before

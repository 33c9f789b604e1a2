"""Detection pages in a real browser: the project's detection page (detectors,
training history charts, evaluation with a threshold slider, what gets caught,
create / train / run forms) and the detection card of a video page."""

from __future__ import annotations

import pytest

from deepreview.detection.models import Detector
from deepreview.jobs.models import Job
from deepreview_workers.pipeline.detection.metrics import equal_error_rate, roc_auc
from tests.browser.conftest import wait_js
from tests.browser.detection_data import (
    EPOCHS,
    FAKE_GROUPS,
    THRESHOLD,
    add_run,
    detection_study,
    trained_detector,
)
from tests.browser.test_swap_pages import VIDEO_SETTLED, clip_media
from tests.browser.test_upload_flow import sign_in
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser]

# Element screenshots scroll the element to the top of the window: keep the sticky
# top bar from covering it.
UNSTICK = ".topbar { position: static !important; }"


def _shot(page, selector: str, path) -> None:  # noqa: ANN001
    page.locator(selector).screenshot(path=str(path), style=UNSTICK)


def _confusion(page) -> tuple[int, int, int, int]:  # noqa: ANN001
    cell = lambda key: int(page.locator(f"#confusion-{key}").get_attribute("data-count"))  # noqa: E731
    return cell("tp"), cell("fn"), cell("fp"), cell("tn")


@pytest.fixture
def study_project():  # noqa: ANN201
    membership = MembershipFactory(role="curator", project__name="Newsroom detection study")
    return membership, detection_study(membership.project)


def test_detection_page_charts_threshold_caught_and_forms(
    page, live_server, artifacts, study_project
):
    membership, study = study_project
    project = membership.project
    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert "2 detectors · 13 detection runs" in page.locator("#detection").inner_text()
    page.click("#detection-page-link")
    page.wait_for_url(f"**/projects/{project.pk}/detection/")

    # Detectors: the trained one with its kept epoch's metrics, the untrained one.
    row = page.locator(f"#detector-table tr[data-detector-id='{study.detector.pk}']")
    row.wait_for()
    assert row.get_attribute("data-status") == "ready"
    best = study.detector.best
    assert row.locator(".detector-auc").inner_text() == f"{best['val']['auc']:.3f}"
    assert f"{best['epoch']} of {EPOCHS}" in row.inner_text()
    # Its threshold says what it flags: the calibrated detector's validation real videos.
    assert row.locator(".detector-threshold-note").inner_text() == "flags 10% of real videos"
    untrained = page.locator(f"#detector-table tr[data-detector-id='{study.untrained.pk}']")
    assert untrained.locator("[data-action=history]").is_disabled()

    # Training history: two Plotly charts with every epoch and the kept one marked.
    for chart in ("#history-rates", "#history-losses"):
        page.wait_for_selector(f"{chart}.js-plotly-plot .main-svg", timeout=15_000)
        assert page.locator(chart).get_attribute("data-epochs") == str(EPOCHS)
    assert page.locator("#history-rates .scatterlayer .trace").count() == 3
    assert f"kept: epoch {best['epoch']}" in page.locator("#history-rates").inner_text()
    summary = page.locator("#history-summary").inner_text()
    assert f"Kept epoch {best['epoch']} of {EPOCHS}" in summary
    log_losses = f"{best['log_loss_uncalibrated']:.3f} → {best['log_loss']:.3f}"
    assert f"Calibrated (Platt scaling): log loss {log_losses}" in summary
    assert "flags 10% of 10 validation real videos" in summary

    # Evaluation at the detector's own threshold: the server's figures.
    fakes = [score for group in FAKE_GROUPS for _, score, _ in group["fakes"]]
    reals = [0.08, 0.15, 0.22, 0.37, 0.52, 0.12]
    labels, scores = [1] * len(fakes) + [0] * len(reals), fakes + reals
    page.wait_for_selector(f"#eval-confusion[data-threshold='{THRESHOLD:.2f}']", timeout=15_000)
    page.wait_for_selector("#eval-roc.js-plotly-plot .main-svg")
    assert page.locator("#eval-auc").inner_text() == f"{roc_auc(labels, scores):.3f}"
    assert page.locator("#eval-eer").inner_text() == f"{equal_error_rate(labels, scores)[0]:.3f}"
    assert _confusion(page) == (4, 2, 1, 5)
    note = page.locator("#eval-note").inner_text()
    assert "ben_newsroom.mp4" in note and "no faces found: city_timelapse.mp4" in note
    assert page.locator("#eval-video-table tr.eval-wrong").count() == 3
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "detection-page.png"), full_page=True)

    # A lower threshold catches every fake and raises a second false alarm.
    page.locator("#eval-threshold").fill("0.3")
    page.wait_for_selector("#eval-confusion[data-threshold='0.30']", timeout=15_000)
    assert _confusion(page) == (6, 0, 2, 4)
    assert page.locator("#eval-threshold-value").inner_text() == "0.30"
    assert page.locator("#eval-accuracy").inner_text() == f"{10 / 12:.3f}"
    _shot(page, "#evaluation", artifacts / "detection-evaluation-0.30.png")

    # A subset of videos: leave the hard-edged fakes out.
    page.click("#eval-videos-summary")
    for name in ("ben_to_anna_hard_edge.mp4", "ben_to_anna_hard_edge_2.mp4"):
        page.locator("#eval-video-list label", has_text=name).locator("input").uncheck()
    page.wait_for_selector("#eval-scored:text-is('10')")
    assert _confusion(page) == (4, 0, 2, 4)
    assert page.locator("#eval-videos-summary").inner_text() == "12 of 14 labeled videos"
    page.click("#eval-threshold-reset")
    page.wait_for_selector(f"#eval-confusion[data-threshold='{THRESHOLD:.2f}']")

    # What gets caught: one row per way of making fakes, a column per detector and signal.
    table = page.locator("#caught-table")
    table.wait_for()
    assert table.locator("tbody tr").count() == len(FAKE_GROUPS)
    column = page.locator("#caught-table thead th[data-detector]").first
    assert column.inner_text() == study.detector.name
    # The detector's column (after six setting columns): rows sorted by their settings.
    cells = table.locator("tbody td:nth-child(7)").all_inner_texts()
    assert sorted(t.replace("\n", " ") for t in cells) == ["0% 0 / 1", "100% 2 / 2", "67% 2 / 3"]
    seam = page.locator("#caught-table thead th[data-signal='edge_seam']")
    assert seam.inner_text() == "Edge seam" and "swap mask's outline" in seam.get_attribute("title")
    _shot(page, "#caught", artifacts / "detection-caught.png")

    # Curators create a detector with options (the learning rate left empty follows the
    # starting point; self-blends are a "More options" knob) ...
    assert page.locator("#detector-learning-rate").input_value() == ""
    assert page.locator("#detector-learning-rate").get_attribute("placeholder") == "auto"
    assert page.locator("#detector-self-blend").input_value() == "0.5"
    page.locator("#detector-create-form details.option-more > summary").click()
    assert page.locator("#detector-self-blend").is_visible()
    _shot(page, "#detector-create-form", artifacts / "detection-create-form.png")
    page.fill("#detector-name", "Meso long run")
    page.select_option("#detector-arch", "meso4")
    page.fill("#detector-epochs", "30")
    page.fill("#detector-frames-per-video", "24")
    page.click("#detector-create-form button[type=submit]")
    page.wait_for_selector("#detector-status:has-text('Created “Meso long run”')")
    created = Detector.objects.get(project=project, name="Meso long run")
    assert created.options["epochs"] == 30 and created.options["frames_per_video"] == 24
    page.wait_for_selector(f"#detector-table tr[data-detector-id='{created.pk}']")

    # ... train it (the job shows in the training jobs panel) ...
    page.click(f"#detector-table tr[data-detector-id='{created.pk}'] [data-action=train]")
    page.wait_for_selector("#detector-status:has-text('queued as job')")
    job = Job.objects.get(kind="detector_train", params__detector_id=created.pk)
    page.wait_for_selector(f"#train-jobs tr[data-job-id='{job.pk}']")
    created_row = f"#detector-table tr[data-detector-id='{created.pk}']"
    page.wait_for_selector(f"{created_row}[data-status='training']")

    # ... and run detection on chosen videos with a chosen detector.
    page.wait_for_selector(f"#run-detector option[value='{study.detector.pk}']", state="attached")
    for video in (study.not_run, study.fakes[0]):
        page.check(f"#run-video-list label[data-media-id='{video.pk}'] input")
    page.select_option("#run-detector", str(study.detector.pk))
    page.fill("#run-frames", "16")
    page.click("#run-start")
    page.wait_for_selector("#run-status:has-text('Queued 2 detection jobs')")
    jobs = Job.objects.filter(kind="detect").order_by("media_id")
    assert {j.media_id for j in jobs} == {study.not_run.pk, study.fakes[0].pk}
    assert all(
        j.params
        == {"detector_id": study.detector.pk, "signals_only": False, "options": {"frames": 16}}
        for j in jobs
    )
    page.wait_for_selector("#detect-jobs tr[data-job-id]")
    assert page.locator("#run-table tbody tr").count() == 13
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "detection-page-after-actions.png"), full_page=True)


def test_viewer_reads_the_detection_page_without_forms(page, live_server, artifacts):
    membership = MembershipFactory(role="viewer", project__name="Read-only study")
    detection_study(membership.project)
    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{membership.project.pk}/detection/")
    page.wait_for_selector("#history-rates .main-svg", timeout=15_000)
    page.wait_for_selector("#eval-confusion[data-threshold]", timeout=15_000)
    page.wait_for_selector("#caught-table")
    assert not page.locator("#detector-create-form, #run-form, [data-action=train]").count()
    assert page.locator("#run-table tbody tr").count() == 13


def test_video_page_detection_card(page, live_server, artifacts):
    membership = MembershipFactory(role="curator", project__name="Newsroom detection study")
    project = membership.project
    detector = trained_detector(project)
    fake = clip_media(project, "address_2011_anna_to_ben.mp4", "fake")
    add_run(project, fake, None, None, {"edge_seam"})  # an older signals-only run
    add_run(project, fake, detector, 0.88, {"face_blur", "edge_seam"})
    empty = clip_media(project, "city_timelapse.mp4", "real")
    add_run(
        project,
        empty,
        detector,
        None,
        set(),
        status="no_faces",
        message="No faces found in the 32 analysed frames: nothing to score",
    )

    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/media/{fake.pk}/")
    page.wait_for_selector("#detection #detection-score")
    assert page.locator("#detection-outcome").inner_text() == "fake"
    assert page.locator("#detection-score").inner_text() == "0.880"
    assert "called fake" in page.locator("#detection-verdict").inner_text()
    assert f"{THRESHOLD:.2f}" in page.locator("#detection-verdict").inner_text()
    assert page.locator("#detection-frames").inner_text().startswith("31 of 32 analysed frames")
    assert page.locator("#signal-list li").count() == 7
    flagged = page.locator("#signal-list li.signal-out").evaluate_all(
        "items => items.map(i => i.dataset.signal)"
    )
    assert sorted(flagged) == ["edge_seam", "face_blur"]
    page.click("#signal-list li[data-signal='edge_seam'] summary")
    assert (
        "swap mask's outline"
        in page.locator("#signal-list li[data-signal='edge_seam'] .signal-description").inner_text()
    )
    assert "a minute" in page.locator("#signal-list li[data-signal='blinking']").inner_text()
    assert "1 earlier run" in page.locator("#detection").inner_text()
    _shot(page, "#detection", artifacts / "detection-video-card.png")
    page.evaluate("() => window.scrollTo(0, 0)")
    wait_js(page, VIDEO_SETTLED, timeout=15_000)
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "detection-video-page.png"), full_page=True)

    # Curators run detection on this video from the card; the job shows under Jobs.
    page.wait_for_selector(f"#detection-detector option[value='{detector.pk}']", state="attached")
    page.select_option("#detection-detector", str(detector.pk))  # the built-in is the default
    page.click("#detection-run")
    page.wait_for_selector("#detection-run-status:has-text('queued as job')")
    job = Job.objects.get(kind="detect", media=fake)
    assert job.params["detector_id"] == detector.pk
    page.wait_for_selector(f"#jobs-panel tr[data-job-id='{job.pk}']")

    # A video without faces says so, with no score.
    page.goto(f"{live_server.url}/projects/{project.pk}/media/{empty.pk}/")
    page.wait_for_selector("#detection-no-faces")
    assert "No faces found" in page.locator("#detection-no-faces").inner_text()
    assert page.locator("#detection-outcome").inner_text() == "no faces"
    assert not page.locator("#detection-score, #signal-list").count()
    _shot(page, "#detection", artifacts / "detection-video-no-faces.png")

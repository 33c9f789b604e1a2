"""A person's first session: sign in, upload a clip, watch the probe job finish."""

from __future__ import annotations

import re

import pytest

from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from tests.browser.conftest import wait_js
from tests.factories import PASSWORD, MembershipFactory
from tests.media_paths import PD_CLIP, needs_shared_media

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def sign_in(page, live_server, username: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@needs_shared_media
def test_sign_in_upload_and_watch_the_probe_job(
    page, live_server, celery_worker_process, artifacts
):
    membership = MembershipFactory(role="curator", project__name="Newsroom checks")
    project = membership.project
    sign_in(page, live_server, membership.user.username)
    page.screenshot(path=str(artifacts / "project-list.png"), full_page=True)
    page.click(f"[data-project-id='{project.pk}']")
    page.wait_for_selector("#upload-form")

    page.set_input_files("#upload-form input[type=file]", str(PD_CLIP))
    page.select_option("#upload-form select[name=origin]", "real")
    page.click("#upload-form button[type=submit]")

    # The probe job appears in the jobs panel and its progress reaches done.
    row = page.locator("#jobs-panel [data-job-id]").first
    row.wait_for(timeout=30_000)
    page.wait_for_selector("#jobs-panel [data-job-id][data-status='succeeded']", timeout=120_000)
    job = Job.objects.get(project=project, kind="probe")
    assert job.status == "succeeded"
    bar = page.locator(f"#jobs-panel [data-job-id='{job.pk}'] [aria-valuenow]").first
    assert bar.get_attribute("aria-valuenow") == "100"

    item = MediaItem.objects.get(project=project)
    # The grid shows the poster once the job is done.
    page.wait_for_selector(f"#media-grid img[src*='/files/media/{item.pk}/poster']", timeout=30_000)
    page.screenshot(path=str(artifacts / "project-page.png"), full_page=True)

    page.click(f"#media-grid a[href*='/media/{item.pk}/']")
    page.wait_for_selector("#video-player")
    wait_js(page, "document.querySelector('#video-player').readyState >= 1", timeout=30_000)
    counter = page.locator("#frame-counter")
    page.keyboard.press(".")
    page.keyboard.press(".")
    wait_js(
        page,
        "document.querySelector('#frame-counter').textContent.includes('frame 2 /')",
        timeout=10_000,
    )
    assert re.search(r"frame 2 / \d+", counter.text_content())
    page.screenshot(path=str(artifacts / "video-page.png"), full_page=True)

    # A face's "frame N" link lands on exactly that frame.
    page.goto(f"{page.url.split('#')[0]}#frame=17")
    wait_js(
        page,
        "document.querySelector('#frame-counter').textContent.includes('frame 17 /')",
        timeout=10_000,
    )


def test_outsider_gets_404_for_project_page_and_media_file(page, live_server, db):
    owner = MembershipFactory(role="owner")
    outsider = MembershipFactory(role="owner")
    sign_in(page, live_server, outsider.user.username)
    response = page.goto(f"{live_server.url}/projects/{owner.project.pk}/")
    assert response.status == 404

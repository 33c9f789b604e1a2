"""A curator picks a zip of faceswap / DeepFaceLab faces on the faceset page."""

from __future__ import annotations

import pytest

from deepreview.jobs.models import Job
from tests.browser.test_upload_flow import sign_in
from tests.factories import FacesetFactory, MembershipFactory

pytestmark = [pytest.mark.browser]


def test_import_card_refuses_a_file_that_is_not_a_zip(page, live_server, artifacts, tmp_path):
    membership = MembershipFactory(role="curator", project__name="Swap study")
    faceset = FacesetFactory(project=membership.project, name="From DeepFaceLab")
    not_zip = tmp_path / "faces.zip"
    not_zip.write_bytes(b"\x89PNG this is not a zip")

    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{membership.project.pk}/facesets/{faceset.pk}/")
    page.wait_for_selector("#import-faces-form", state="attached")
    if not page.locator("#import-faces-form").is_visible():
        page.click(".extract-card > summary")
    page.set_input_files("#import-faces-file", str(not_zip))
    page.select_option("#import-faces-format", "deepfacelab")
    page.click("#import-faces-form button[type=submit]")
    page.wait_for_selector("#import-faces-form .error-text")
    assert "zip" in page.locator("#import-faces-form .error-text").inner_text().lower()
    page.locator(".extract-card").screenshot(path=str(artifacts / "faceset-import.png"))
    assert not Job.objects.filter(kind="faceset_import").exists()

"""A curator cleans a faceset: sort by blur, shift-select a range, delete, undo."""

from __future__ import annotations

import pytest

from deepreview.facesets.models import CurationEvent, Face
from tests.browser.conftest import wait_js
from tests.browser.faceset_data import bulk_faces, make_faces
from tests.browser.test_upload_flow import sign_in
from tests.factories import FacesetFactory, IdentityFactory, MembershipFactory

pytestmark = [pytest.mark.browser]


def _cell(position: int) -> str:
    return f"#face-grid .face-cell[data-position='{position}'][data-face-id]"


def _wait_count(page, count: int) -> None:  # noqa: ANN001
    page.wait_for_selector(f"#face-counts[data-count='{count}']", timeout=15_000)


def test_sort_by_blur_shift_select_delete_and_undo(page, live_server, artifacts):
    membership = MembershipFactory(role="curator", project__name="Swap study")
    project = membership.project
    identity = IdentityFactory(project=project, name="Person A")
    faceset = FacesetFactory(project=project, name="Person A — portraits", identity=identity)
    faces = make_faces(faceset)
    assert len(faces) == 60

    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.locator("#facesets").screenshot(path=str(artifacts / "project-facesets.png"))
    page.click(f"#facesets [data-faceset-id='{faceset.pk}']")
    page.wait_for_selector("#face-grid")
    _wait_count(page, 60)
    page.click(".extract-card > summary")
    page.wait_for_selector("#extract-form .extract-media-item")
    page.locator(".extract-card").screenshot(path=str(artifacts / "faceset-extract.png"))
    page.click(".extract-card > summary")

    page.select_option("#sort-select", "blur")
    blurriest = list(
        Face.objects.filter(faceset=faceset).order_by("blur", "id").values_list("pk", flat=True)
    )
    page.wait_for_selector(f"{_cell(0)}[data-face-id='{blurriest[0]}']")
    page.wait_for_selector("#chart-pose .main-svg", timeout=15_000)

    page.click(_cell(0))
    page.click(_cell(4), modifiers=["Shift"])
    page.wait_for_selector("#face-counts[data-selected='5']")
    # The counter updates at once, the cells on the grid's next animation frame.
    wait_js(page, "document.querySelectorAll('#face-grid .face-cell.selected').length === 5")
    page.screenshot(path=str(artifacts / "faceset-selection.png"), full_page=True)

    page.click("#delete-selected")
    _wait_count(page, 55)
    deleted = set(
        Face.objects.filter(faceset=faceset, deleted_at__isnull=False).values_list("pk", flat=True)
    )
    assert deleted == set(blurriest[:5])
    assert CurationEvent.objects.get(faceset=faceset, action="delete").face_ids
    page.wait_for_selector("#faceset-history [data-action='delete']")
    # The sixth blurriest face now leads the grid.
    page.wait_for_selector(f"{_cell(0)}[data-face-id='{blurriest[5]}']")

    page.click("#undo-last")
    _wait_count(page, 60)
    assert not Face.objects.filter(faceset=faceset, deleted_at__isnull=False).exists()
    assert CurationEvent.objects.get(faceset=faceset, action="delete").undone_by is not None
    page.wait_for_selector(f"{_cell(0)}[data-face-id='{blurriest[0]}']")

    # The keyboard does the same: Delete deletes the selection, Ctrl+Z brings it back.
    page.click(_cell(2))
    page.keyboard.press("Delete")
    _wait_count(page, 59)
    page.keyboard.press("Control+z")
    _wait_count(page, 60)

    sharp = blurriest[-1]
    page.select_option("#sort-select", "blur")
    page.check("#sort-reverse")
    page.wait_for_selector(f"{_cell(0)}[data-face-id='{sharp}']")
    page.dblclick(_cell(0))
    page.wait_for_selector(f"#face-detail[data-face-id='{sharp}'] .face-frame-canvas")
    page.wait_for_timeout(500)  # let the crop, mask and frame images draw
    page.screenshot(path=str(artifacts / "faceset-page.png"), full_page=True)
    page.locator("#face-detail").screenshot(path=str(artifacts / "faceset-detail.png"))


def test_grid_stays_virtual_with_twenty_thousand_faces(page, live_server, artifacts):
    membership = MembershipFactory(role="viewer")
    faceset = FacesetFactory(project=membership.project, name="Big set")
    bulk_faces(faceset, 20_000)
    face_pages: list[str] = []
    page.on("request", lambda r: face_pages.append(r.url) if "/faces/?" in r.url else None)

    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{membership.project.pk}/facesets/{faceset.pk}/")
    _wait_count(page, 20_000)
    page.wait_for_selector(_cell(0))
    cells = page.locator("#face-grid .face-cell").count()
    assert 0 < cells < 400, f"{cells} cells in the DOM: the grid is not virtualised"

    # Jump to the end: only the pages in view load, never everything.
    page.eval_on_selector(".face-viewport", "el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_selector(_cell(19_999), timeout=15_000)
    assert page.locator("#face-grid .face-cell").count() < 400
    assert len(face_pages) <= 6, face_pages
    assert not page.locator("#delete-selected").count()  # viewers get no curation buttons
    assert not page.locator("#best-open, #move-open, #merge-open, #dedupe-open").count()
    page.screenshot(path=str(artifacts / "faceset-20k.png"))


def test_best_n_preview_apply_and_undo(page, live_server, artifacts):
    membership = MembershipFactory(role="curator", project__name="Swap study")
    project = membership.project
    faceset = FacesetFactory(project=project, name="Person A — portraits")
    FacesetFactory(project=project, name="Person B")
    make_faces(faceset)

    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/facesets/{faceset.pk}/")
    _wait_count(page, 60)

    page.click("#best-open")
    page.fill("#best-count", "20")
    page.click("#best-preview")
    page.wait_for_selector("#best-result[data-count='40']")
    page.wait_for_selector("#face-counts[data-selected='40']")
    assert Face.objects.filter(faceset=faceset, deleted_at__isnull=True).count() == 60

    page.click("#move-open")  # the other panels open in place; the move target lists Person B
    page.wait_for_selector("#move-target option:has-text('Person B')", state="attached")
    page.click("#best-open")
    page.screenshot(path=str(artifacts / "faceset-actions.png"), full_page=True)

    page.click("#best-apply")
    _wait_count(page, 20)
    assert Face.objects.filter(faceset=faceset, deleted_at__isnull=True).count() == 20
    page.wait_for_selector("#faceset-history [data-action='delete']:has-text('best 20')")

    page.click("#undo-last")
    _wait_count(page, 60)
    assert Face.objects.filter(faceset=faceset, deleted_at__isnull=True).count() == 60


def test_split_by_track_and_keep_one_person(page, live_server, artifacts):
    membership = MembershipFactory(role="curator", project__name="Swap study")
    project = membership.project
    faceset = FacesetFactory(project=project, name="Interview")
    faces = make_faces(faceset)  # five people, one track each, twelve faces per track

    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/facesets/{faceset.pk}/")
    _wait_count(page, 60)

    page.click("#split-open")
    page.click("#split-preview")
    page.wait_for_selector("#split-parts[data-parts='5'] .split-part img")
    page.wait_for_timeout(300)  # sample thumbnails
    page.screenshot(path=str(artifacts / "faceset-split-preview.png"), full_page=True)
    page.click("#split-apply")
    _wait_count(page, 12)
    assert project.facesets.count() == 5
    page.wait_for_selector("#faceset-history [data-action='split']")
    page.click("#undo-last")
    _wait_count(page, 60)
    assert project.facesets.count() == 1

    # Keep the person of one face: their whole track stays, the four others go.
    person = faces[30]
    page.select_option("#sort-select", "created")
    page.dblclick(f"#face-grid .face-cell[data-face-id='{person.pk}']")
    page.click(f"#face-detail[data-face-id='{person.pk}'] #keep-person")
    page.wait_for_selector("#keep-result[data-count='48']")
    page.wait_for_selector("#face-counts[data-selected='48']")
    page.screenshot(path=str(artifacts / "faceset-keep-person.png"), full_page=True)
    page.click("#keep-apply")
    _wait_count(page, 12)
    live = Face.objects.filter(faceset=faceset, deleted_at__isnull=True)
    assert set(live.values_list("track_id", flat=True)) == {person.track_id}

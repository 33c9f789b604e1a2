"""The annotator in a real Chromium: frame stepping by keys, a mark by keys and one by
dragging a region, both found again after a reload, a verdict, a mark conflict."""

from __future__ import annotations

import math
import re
import tempfile

import pytest
from django.core.files.base import ContentFile

from deepreview.media.services import media_local_path, media_save_previews
from deepreview.review import services
from deepreview.review.models import Mark, Verdict
from deepreview.review.selectors import review_scope
from deepreview_workers.pipeline.previews import render_previews
from tests.browser.conftest import wait_js
from tests.browser.test_upload_flow import sign_in
from tests.factories import (
    ConversionFactory,
    DetectionRunFactory,
    MediaItemFactory,
    MembershipFactory,
)
from tests.media_paths import PD_CLIP, needs_shared_media

pytestmark = [pytest.mark.browser, needs_shared_media]

FRAMES, FPS = 259, 30.0


def review_clip(project, *, fake: bool = False):  # noqa: ANN001, ANN201
    """The public-domain clip with its real poster, sprite and frame times; scored by a
    detector; when ``fake``, registered as a fake made here (frames 60-140 changed)."""
    data = PD_CLIP.read_bytes()
    item = MediaItemFactory(
        project=project,
        name="white_house_address.mp4",
        file=ContentFile(data, name="clip.mp4"),
        poster="",
        size_bytes=len(data),
        width=512,
        height=388,
        fps=FPS,
        frame_count=FRAMES,
        duration_seconds=FRAMES / FPS,
        origin="fake" if fake else "unknown",
        status="processing",
    )
    with media_local_path(item) as source, tempfile.TemporaryDirectory() as out:
        media_save_previews(item=item, previews=render_previews(source, out, max_tiles=60))
    frames = list(range(0, FRAMES, 6))
    wave = [0.5 + 0.45 * math.sin(f / 20) for f in frames]
    series = {
        "frames": frames,
        "score": [round(0.2 + 0.7 * (60 <= f <= 140), 3) for f in frames],
        "threshold": 0.5,
        "signals": {
            "face_blur": {
                "kind": "face-blur",
                "description": "Face sharpness against the frame",
                "unit": "log2",
                "higher_is_suspicious": True,
                "norm": wave,
                "raw": wave,
            },
            "edge_seam": {
                "kind": "edge-seam",
                "description": "Gradient along the mask edge",
                "unit": "ratio",
                "higher_is_suspicious": True,
                "norm": [1 - v for v in wave],
                "raw": wave,
            },
        },
    }
    DetectionRunFactory(
        project=project,
        media=item,
        label="fake",
        score_confident=0.81,
        score_mean=0.6,
        threshold=0.5,
        detector_name="meso4 v1",
        series=series,
    )
    if fake:
        ConversionFactory(
            project=project,
            output_media=item,
            frame_count=FRAMES,
            manipulated_count=81,
            manipulated_ranges=[[60, 140]],
        )
    item.refresh_from_db()
    return item


def frame_shown(page) -> int:  # noqa: ANN001
    return int(page.get_attribute("#frame-counter", "data-frame"))


def wait_frame(page, frame: int) -> None:  # noqa: ANN001
    wait_js(
        page,
        f"document.querySelector('#frame-counter').dataset.frame === '{frame}'",
        timeout=10_000,
    )
    assert re.search(rf"frame {frame} / {FRAMES}", page.text_content("#frame-counter"))


@pytest.fixture
def workspace(page, live_server):  # noqa: ANN001, ANN201
    membership = MembershipFactory(role="reviewer", project__name="Election checks")
    project = membership.project
    item = review_clip(project, fake=True)
    sign_in(page, live_server, membership.user.username)
    url = f"{live_server.url}/projects/{project.pk}/media/{item.pk}/review/"
    page.goto(url)
    page.wait_for_selector("#review-workspace[data-ready='true']", timeout=30_000)
    wait_js(page, "document.querySelector('#review-video').readyState >= 2")
    return {"url": url, "item": item, "user": membership.user, "project": project}


def test_step_mark_by_keys_and_region_reload_and_verdict(page, workspace, artifacts):
    item, user = workspace["item"], workspace["user"]
    # Frame stepping: . and → step one, Shift+→ ten, , and ← go back.
    page.keyboard.press(".")
    page.keyboard.press(".")
    wait_frame(page, 2)
    page.keyboard.press("Shift+ArrowRight")
    wait_frame(page, 12)
    page.keyboard.press("ArrowLeft")
    wait_frame(page, 11)

    # A mark by keys: kind 2 (skin-tone mismatch), [ at 11, five frames on, ].
    page.keyboard.press("2")
    page.keyboard.press("[")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_frame(page, 16)
    page.keyboard.press("]")
    page.wait_for_selector(".mark-row[data-kind='skin-tone-mismatch']", state="attached")
    by_keys = Mark.objects.get(media=item, kind="skin-tone-mismatch")
    assert (by_keys.start_frame, by_keys.end_frame, by_keys.region) == (11, 16, None)
    assert by_keys.created_by == user

    # A mark by dragging a region on the picture (kind 1, face blur) at frame 16.
    page.keyboard.press("1")
    box = page.locator(".region-layer").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.30, box["y"] + box["height"] * 0.20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.40, steps=4)
    page.mouse.move(box["x"] + box["width"] * 0.60, box["y"] + box["height"] * 0.60, steps=4)
    page.mouse.up()
    page.wait_for_selector(".mark-row[data-kind='face-blur']", state="attached")
    by_drag = Mark.objects.get(media=item, kind="face-blur")
    assert (by_drag.start_frame, by_drag.end_frame) == (16, 16)
    assert by_drag.region == pytest.approx([0.30, 0.20, 0.60, 0.60], abs=0.01)
    page.screenshot(path=str(artifacts / "review-workspace-marks.png"), full_page=True)

    # Reload: both marks come back, on the list and (at frame 16) as boxes.
    page.goto(f"{workspace['url']}#frame=16")
    page.wait_for_selector("#review-workspace[data-ready='true']", timeout=30_000)
    wait_frame(page, 16)
    page.click("[data-tab=marks]")
    kinds = page.eval_on_selector_all(".mark-row", "rows => rows.map(r => r.dataset.kind)")
    assert sorted(kinds) == ["face-blur", "skin-tone-mismatch"]
    assert page.locator(f".region-box[data-mark-id='{by_drag.pk}']").count() == 1

    # A verdict by key, then refined in the form.
    page.keyboard.press("f")
    page.wait_for_selector("#verdict-status[data-label='fake']", state="attached")
    page.click("[data-tab=verdict]")
    rationale = "Blurred face and a seam at the jaw, 11-16."
    page.fill("#verdict-form textarea[name=rationale]", rationale)
    page.click("#verdict-form button[type=submit]")
    wait_js(page, "document.querySelector('#verdict-status').textContent.includes('version 2')")
    verdict = Verdict.objects.get(media=item, reviewer=user)
    assert verdict.label == "fake" and verdict.version == 2 and "jaw" in verdict.rationale
    page.screenshot(path=str(artifacts / "review-workspace.png"), full_page=True)


def test_timeline_zoom_help_and_a_conflicting_edit(page, workspace, artifacts):
    item, user = workspace["item"], workspace["user"]
    mark = Mark.objects.create(
        project=workspace["project"],
        media=item,
        kind="teeth",
        start_frame=70,
        end_frame=90,
        note="smeared teeth",
        created_by=user,
    )
    page.reload()
    page.wait_for_selector("#review-workspace[data-ready='true']", timeout=30_000)
    canvas = page.locator(".timeline-canvas")
    assert canvas.get_attribute("data-end") == str(FRAMES)
    # Zoom with the wheel over the timeline, then jump to the next high-score frame.
    canvas.hover(position={"x": 600, "y": 30})
    page.mouse.wheel(0, -600)
    canvas = "document.querySelector('.timeline-canvas').dataset"
    wait_js(page, f"Number({canvas}.end) - Number({canvas}.start) < 200")
    page.keyboard.press("h")
    wait_frame(page, 60)
    page.keyboard.press("?")
    page.wait_for_selector(".key-help:not([hidden])")
    page.screenshot(path=str(artifacts / "review-workspace-help.png"))
    page.keyboard.press("Escape")

    # Someone else edits the mark after this page loaded it: saving ours gives a 409 and
    # their version is shown instead of silently overwriting it.
    page.keyboard.press("n")
    page.click("[data-tab=marks]")
    page.wait_for_selector(f".mark-row.selected[data-mark-id='{mark.pk}'] .mark-editor")
    Mark.objects.filter(pk=mark.pk).update(note="teeth smeared (curator)", version=2)
    page.fill(".mark-editor textarea[name=note]", "my note")
    page.click(".mark-editor button[type=submit]")
    page.wait_for_selector(".mark-editor .message.warning")
    assert page.input_value(".mark-editor textarea[name=note]") == "teeth smeared (curator)"
    assert Mark.objects.get(pk=mark.pk).note == "teeth smeared (curator)"
    page.screenshot(path=str(artifacts / "review-workspace-conflict.png"), full_page=True)


def test_other_reviewers_marks_appear_and_go_without_a_reload(page, workspace, artifacts):
    """The open page asks for mark changes every few seconds: a colleague's new mark
    shows up on the list and the timeline, and disappears when they delete it."""
    project, item = workspace["project"], workspace["item"]
    colleague = MembershipFactory(project=project, role="reviewer").user
    scope = review_scope(project=_with_role(project, "reviewer"), user=colleague)
    mark = services.mark_create(
        scope=scope, media=item, kind="teeth", start_frame=30, end_frame=45, note="teeth smear"
    )
    page.click("[data-tab=marks]")
    page.wait_for_selector(f".mark-row[data-mark-id='{mark.pk}']", timeout=15_000)
    page.screenshot(path=str(artifacts / "review-workspace-live-mark.png"), full_page=True)
    services.mark_delete(scope=scope, mark=mark, version=1)
    page.wait_for_selector(f".mark-row[data-mark-id='{mark.pk}']", state="detached", timeout=15_000)


def _with_role(project, role: str):  # noqa: ANN001, ANN202
    project.current_role = role
    return project

"""Swap pages in a real browser: the model page (loss chart, preview timelapse,
train refused without consent, frame preview, convert), the consent card of a
faceset, the swap models card of the project, and a fake's ground-truth overlay."""

from __future__ import annotations

import io
import json
import math
import zipfile

import av
import cv2
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from deepreview.jobs.models import Job
from deepreview.swaps.models import ConsentRecord, SwapModel
from tests.browser.conftest import wait_js
from tests.browser.test_upload_flow import sign_in
from tests.factories import (
    ConversionFactory,
    FaceFactory,
    FacesetFactory,
    IdentityFactory,
    MediaItemFactory,
    MembershipFactory,
    SwapModelFactory,
)
from tests.media_paths import FACES, PD_CLIP, require_shared_media

pytestmark = [pytest.mark.browser]

TILE = 96
CLIP_FRAMES, CLIP_W, CLIP_H, CLIP_FPS = 259, 512, 388, 30.0
FACE_CENTRE, FACE_AXES = (244, 190), (70, 92)  # where the clip's face is (dlib, frames 0-240)
FAKE_RANGE = (40, 200)  # inclusive output frames the ground truth marks as swapped
VIDEO_SETTLED = (
    "() => { const v = document.querySelector('#video-player');"
    " return v.readyState >= 3 && !v.seeking; }"
)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _square_face(path) -> Image.Image:  # noqa: ANN001
    image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    side = min(image.size)
    left, top = (image.width - side) // 2, max(0, (image.height - side) // 3)
    return image.crop((left, top, left + side, top + side)).resize((TILE, TILE), Image.LANCZOS)


def preview_grid(iteration: int, final: int) -> bytes:
    """A training preview as the trainer draws it: per row a face, its reconstruction
    and its swap; reconstructions sharpen as the iterations grow."""
    require_shared_media()
    faces = FACES
    a, b = [_square_face(p) for p in faces[:2]], [_square_face(p) for p in faces[2:4]]
    blur = 6.0 * (1 - iteration / final) + 0.3
    header = 20
    grid = Image.new("RGB", (TILE * 6 + 10, header + TILE * 2), "#0f1115")
    draw = ImageDraw.Draw(grid)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 12)
        labels = ["A", "A→A", "A→B", "B", "B→B", "B→A"]
    except OSError:  # no DejaVu: the default bitmap font has no arrows
        font, labels = ImageFont.load_default(), ["A", "A>A", "A>B", "B", "B>B", "B>A"]
    for col, label in enumerate(labels):
        draw.text((col * TILE + (10 if col > 2 else 0) + 6, 3), label, fill="#e6e9ed", font=font)
    for row in range(2):
        for side, (own, other) in enumerate(((a, b), (b, a))):
            x0 = side * (TILE * 3 + 10)
            y = header + row * TILE
            face, swap_source = own[row], other[row]
            grid.paste(face, (x0, y))
            grid.paste(face.filter(ImageFilter.GaussianBlur(blur)), (x0 + TILE, y))
            swapped = Image.blend(face, swap_source, min(0.85, iteration / final))
            grid.paste(swapped.filter(ImageFilter.GaussianBlur(blur)), (x0 + 2 * TILE, y))
    return _png(grid)


def loss_history(final: int, step: int = 200) -> list[list[float]]:
    rng = np.random.default_rng(7)
    points = []
    for iteration in range(step, final + 1, step):
        decay = math.exp(-iteration / 5000)
        loss_a = 0.11 * decay + 0.019 + rng.normal(0, 0.0015)
        loss_b = 0.13 * decay + 0.022 + rng.normal(0, 0.0015)
        points.append([iteration, round(loss_a, 6), round(loss_b, 6)])
    return points


def trained_model(project, faceset_a, faceset_b, *, final: int = 24_000) -> SwapModel:  # noqa: ANN001
    model = SwapModelFactory(
        project=project,
        name="Anna → Ben v1",
        faceset_a=faceset_a,
        faceset_b=faceset_b,
        arch="original",
    )
    previews = []
    for iteration in range(3000, final + 1, 3000):
        name = default_storage.save(
            f"{model.storage_prefix}/previews/{iteration:08d}.png",
            ContentFile(preview_grid(iteration, final)),
        )
        previews.append({"iteration": iteration, "name": name})
    history = loss_history(final)
    model.previews = previews
    model.history = history
    model.iteration = final
    model.target_iterations = final
    model.loss_a, model.loss_b = history[-1][1], history[-1][2]
    model.iterations_per_second = 11.6
    model.train_seconds = final / 11.6
    model.status = "stopped"
    model.checkpoint = default_storage.save(
        f"{model.storage_prefix}/checkpoint.pt", ContentFile(b"checkpoint")
    )
    model.save()
    return model


def clip_media(project, name: str, origin: str):  # noqa: ANN001, ANN201
    require_shared_media()
    data = PD_CLIP.read_bytes()
    return MediaItemFactory(
        project=project,
        name=name,
        origin=origin,
        file=ContentFile(data, name=name),
        poster="",
        size_bytes=len(data),
        width=CLIP_W,
        height=CLIP_H,
        fps=CLIP_FPS,
        frame_count=CLIP_FRAMES,
        duration_seconds=CLIP_FRAMES / CLIP_FPS,
    )


def face_mask() -> np.ndarray:
    mask = np.zeros((CLIP_H, CLIP_W), np.uint8)
    cv2.ellipse(mask, FACE_CENTRE, FACE_AXES, 0, 0, 360, 255, -1)
    return cv2.GaussianBlur(mask, (0, 0), 6)


def ground_truth(first: int, last: int) -> bytes:
    """The pipeline's ground-truth zip: manifest plus a full-size mask per swapped frame."""
    png = cv2.imencode(".png", face_mask())[1].tobytes()
    buffer = io.BytesIO()
    frames = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(CLIP_FRAMES):
            mask = f"masks/{index:07d}.png" if first <= index <= last else None
            if mask:
                archive.writestr(mask, png)
            frames.append(
                {
                    "frame_index": index,
                    "output_index": index,
                    "manipulated": mask is not None,
                    "mask": mask,
                    "box": [174, 98, 314, 282] if mask else None,
                    "face": None,
                }
            )
        manifest = {"schema": "deepreview.swap_ground_truth", "version": 1, "frames": frames}
        archive.writestr("manifest.json", json.dumps(manifest))
    return buffer.getvalue()


def side_by_side(frame_index: int) -> bytes:
    """What a preview job leaves: the original frame and the converted one."""
    require_shared_media()
    with av.open(str(PD_CLIP)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index == frame_index:
                original = frame.to_ndarray(format="rgb24")
                break
    size = (2 * FACE_AXES[0] + 20, 2 * FACE_AXES[1] + 20)
    face = np.asarray(_square_face(FACES[2]).resize(size))
    pasted = np.zeros_like(original)
    y0, x0 = FACE_CENTRE[1] - FACE_AXES[1] - 10, FACE_CENTRE[0] - FACE_AXES[0] - 10
    pasted[y0 : y0 + face.shape[0], x0 : x0 + face.shape[1]] = face
    alpha = (face_mask().astype(np.float32) / 255)[..., None]
    converted = (original * (1 - alpha) + pasted * alpha).astype(np.uint8)
    return _png(Image.fromarray(np.concatenate([original, converted], axis=1)))


def _caption(page) -> str:  # noqa: ANN001
    return page.locator("#preview-caption").inner_text()


@pytest.fixture
def swap_project():  # noqa: ANN201
    membership = MembershipFactory(role="curator", project__name="Swap study")
    project = membership.project
    anna = FacesetFactory(
        project=project,
        name="Anna — interviews",
        identity=IdentityFactory(project=project, name="Anna"),
    )
    ben = FacesetFactory(
        project=project,
        name="Ben — lectures",
        identity=IdentityFactory(project=project, name="Ben"),
    )
    return membership, anna, ben


def test_model_page_chart_timelapse_train_refusal_preview_and_convert(
    page, live_server, artifacts, swap_project
):
    membership, anna, ben = swap_project
    project = membership.project
    model = trained_model(project, anna, ben)
    source = clip_media(project, "address_2011.mp4", "real")
    fake = clip_media(project, "address_2011_anna_to_ben.mp4", "fake")
    ConversionFactory(
        project=project,
        swap_model=model,
        source_media=source,
        output_media=fake,
        frame_count=CLIP_FRAMES,
        manipulated_count=FAKE_RANGE[1] - FAKE_RANGE[0] + 1,
        manipulated_ranges=[list(FAKE_RANGE)],
    )

    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.wait_for_selector(f"#swap-model-table tr[data-model-id='{model.pk}']")
    page.locator("#swap-models").screenshot(path=str(artifacts / "swap-project-card.png"))
    page.click(f"#swap-model-table tr[data-model-id='{model.pk}'] a.swap-model-name")
    page.wait_for_url(f"**/projects/{project.pk}/swaps/{model.pk}/")

    # Loss chart and figures.
    page.wait_for_selector("#loss-chart .main-svg", timeout=15_000)
    assert page.locator("#loss-chart").get_attribute("data-points") == str(len(model.history))
    page.wait_for_selector("#stat-iteration:has-text('24,000')")
    assert page.locator("#train-iterations").input_value() == "25000"
    assert page.locator("#train-start").inner_text() == "Resume"

    # Timelapse: the latest preview first; the slider and Play step through the run.
    wait_js(page, "() => document.querySelector('#preview-image')?.naturalWidth > 0")
    assert _caption(page) == "Iteration 24,000 · latest"
    slider = page.locator("#preview-slider")
    slider.focus()
    page.keyboard.press("Home")
    assert _caption(page) == "Iteration 3,000"
    page.keyboard.press("ArrowRight")
    assert _caption(page) == "Iteration 6,000"
    wait_js(page, "() => document.querySelector('#preview-image').complete")
    page.locator("#previews").screenshot(path=str(artifacts / "swap-previews-6000.png"))
    page.click("#preview-play")
    wait_js(
        page,
        "() => document.querySelector('#preview-caption').textContent.endsWith('latest')",
        timeout=15_000,
    )
    assert page.locator("#preview-play").inner_text().endswith("Play")  # stopped at the end

    # Training refuses facesets without consent: the server's reason shows.
    page.click("#train-start")
    page.wait_for_selector("#train-status.error-text")
    message = page.locator("#train-status").inner_text()
    assert "no consent or licence record" in message and "Anna — interviews" in message
    assert not Job.objects.filter(kind="swap_train").exists()

    # Preview one frame: the page waits for the job and shows its image.
    page.wait_for_selector(f"#convert-media option[value='{source.pk}']", state="attached")
    page.select_option("#convert-media", str(source.pk))
    page.fill("#convert-frame", "130")
    page.select_option("#convert-color_transfer", "reinhard")
    page.fill("#convert-feather_px", "12")
    page.click("#convert-preview")
    page.wait_for_selector("#convert-status:has-text('waiting for a GPU worker')")
    job = Job.objects.get(kind="swap_preview")
    assert job.params["frame"] == 130 and job.params["model_id"] == model.pk
    assert job.params["options"]["color_transfer"] == "reinhard"
    assert job.params["options"]["feather_px"] == 12
    artifact = default_storage.save(
        f"projects/{project.pk}/jobs/{job.pk}/preview.png", ContentFile(side_by_side(130))
    )
    Job.objects.filter(pk=job.pk).update(
        status="succeeded", progress=1.0, result={"artifact": artifact}
    )
    wait_js(
        page,
        "() => document.querySelector('#convert-preview-image')?.naturalWidth > 0",
        timeout=15_000,
    )
    assert page.locator("#convert-preview-result").is_visible()

    # Convert the whole video: the job shows in the convert card's jobs panel.
    page.click("#convert-start")
    page.wait_for_selector("#convert-jobs tr[data-job-id]")
    convert_job = Job.objects.get(kind="swap_convert")
    assert convert_job.media_id == source.pk and convert_job.params["direction"] == "a-to-b"

    # The model's fakes, linked to their pages.
    fake_link = page.locator(f"#conversion-table tr[data-output-media='{fake.pk}'] a").first
    assert fake_link.inner_text() == fake.name
    page.evaluate("() => window.scrollTo(0, 0)")  # the sticky top bar stays on top
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "swap-model-page.png"), full_page=True)

    # A consent record on faceset A, added on its page, moves the refusal on to B.
    fix = page.locator("#train-status a.train-fix")
    assert fix.get_attribute("href") == f"/projects/{project.pk}/facesets/{anna.pk}/#consents"
    fix.click()
    page.wait_for_selector("#consent-root[data-count='0']")
    page.select_option("#consent-basis", "consent")
    page.fill("#consent-subject", "Anna Example")
    page.fill("#consent-reference", "Signed release form 2024-017")
    page.fill("#consent-scope", "Research on deepfake detection; fakes stay inside the lab.")
    page.set_input_files(
        "#consent-evidence",
        files=[
            {
                "name": "release-2024-017.txt",
                "mimeType": "text/plain",
                "buffer": b"signed",
            }
        ],
    )
    page.click("#consent-form button[type=submit]")
    page.wait_for_selector("#consent-root[data-count='1'] .consent-item[data-basis='consent']")
    record = ConsentRecord.objects.get(faceset=anna)
    assert record.subject == "Anna Example" and record.evidence
    assert page.locator(".consent-item .consent-evidence").get_attribute("href")
    page.locator("#consents").screenshot(path=str(artifacts / "swap-consent-card.png"))

    FaceFactory.create_batch(25, faceset=anna)  # A is ready now: the refusal names B
    page.go_back()
    page.wait_for_selector("#loss-chart .main-svg", timeout=15_000)
    page.click("#train-start")
    page.wait_for_selector("#train-status.error-text:has-text('Ben — lectures')")
    assert "no consent or licence record" in page.locator("#train-status").inner_text()
    page.locator("#training").screenshot(path=str(artifacts / "swap-training-refused.png"))


def test_fake_video_ground_truth_overlay(page, live_server, artifacts, swap_project):
    membership, anna, ben = swap_project
    project = membership.project
    model = SwapModelFactory(project=project, name="Anna → Ben v1", faceset_a=anna, faceset_b=ben)
    source = clip_media(project, "address_2011.mp4", "real")
    fake = clip_media(project, "address_2011_anna_to_ben.mp4", "fake")
    ConversionFactory(
        project=project,
        swap_model=model,
        source_media=source,
        output_media=fake,
        frame_count=CLIP_FRAMES,
        manipulated_count=FAKE_RANGE[1] - FAKE_RANGE[0] + 1,
        manipulated_ranges=[list(FAKE_RANGE)],
        masks=ContentFile(ground_truth(*FAKE_RANGE), name="groundtruth.zip"),
        provenance={"iteration": 24_000},
    )

    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/media/{fake.pk}/#frame=120")
    page.wait_for_selector("#ground-truth:not([hidden]) #ground-truth-model")
    assert page.locator("#ground-truth-model").inner_text() == model.name
    assert page.locator("#ground-truth-source").inner_text() == source.name
    assert "161 of 259 frames" in page.locator("#ground-truth-count").inner_text()
    page.wait_for_selector("#frame-counter[data-frame='120']")
    wait_js(page, VIDEO_SETTLED, timeout=15_000)

    page.check("#overlay-toggle")
    page.wait_for_selector("#mask-overlay[data-drawn='true']")
    box = page.locator("#mask-overlay").bounding_box()
    video_box = page.locator("#video-player").bounding_box()
    assert box and video_box and box["width"] > 100
    assert abs(box["height"] / box["width"] - CLIP_H / CLIP_W) < 0.02  # the picture's shape
    assert box["height"] <= video_box["height"] + 1
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "swap-fake-overlay.png"), full_page=True)

    # A frame outside the swapped range draws nothing.
    page.evaluate("() => { window.location.hash = '#frame=10'; }")
    page.wait_for_selector("#frame-counter[data-frame='10']")
    page.wait_for_selector("#mask-overlay[data-drawn='false']")
    assert "not manipulated" in page.locator("#overlay-state").inner_text()
    page.uncheck("#overlay-toggle")
    assert page.locator("#mask-overlay").is_hidden()


def test_create_a_model_from_the_project_page(page, live_server, artifacts, swap_project):
    membership, anna, ben = swap_project
    project = membership.project
    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.wait_for_selector("#swap-create-form")
    page.fill("#swap-name", "Ben → Anna")
    page.select_option("#swap-faceset-a", str(ben.pk))
    page.select_option("#swap-faceset-b", str(anna.pk))
    page.select_option("#swap-arch", "medium128")
    page.fill("#swap-batch_size", "8")
    page.click("#swap-create-form button[type=submit]")
    page.wait_for_url("**/swaps/*/")
    model = SwapModel.objects.get(project=project, name="Ben → Anna")
    assert (model.faceset_a, model.faceset_b, model.arch) == (ben, anna, "medium128")
    assert model.options == {"batch_size": 8}
    page.wait_for_selector("#loss-chart .main-svg", timeout=15_000)
    assert page.locator("#train-start").inner_text() == "Start training"
    assert page.locator("#train-iterations").input_value() == "1000"
    assert page.locator("#preview-root .preview-empty").is_visible()
    page.screenshot(path=str(artifacts / "swap-model-new.png"), full_page=True)


def test_training_runs_live_and_stops(page, live_server, artifacts, swap_project):
    membership, anna, ben = swap_project
    project = membership.project
    for faceset in (anna, ben):
        ConsentRecord.objects.create(
            faceset=faceset,
            basis="licence",
            subject="CC BY 4.0",
            scope="research",
            reference="https://creativecommons.org/licenses/by/4.0/",
        )
        FaceFactory.create_batch(25, faceset=faceset)
    model = SwapModelFactory(project=project, name="Live run", faceset_a=anna, faceset_b=ben)

    sign_in(page, live_server, membership.user.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/swaps/{model.pk}/")
    page.wait_for_selector("#loss-chart .main-svg", timeout=15_000)
    page.fill("#train-iterations", "2000")
    page.click("#train-start")
    page.wait_for_selector("#train-jobs tr[data-job-id][data-status='queued']")
    job = Job.objects.get(kind="swap_train", params__model_id=model.pk)
    assert job.params["iterations"] == 2000
    page.wait_for_selector("#train-start:disabled")
    page.wait_for_selector("#train-stop:enabled")
    page.wait_for_selector("#swap-status[data-status='training']")

    # The worker reports: the figures, the curve and the previews follow by themselves.
    Job.objects.filter(pk=job.pk).update(
        status="running", progress=0.6, message="iteration 1,200 of 2,000"
    )
    history = loss_history(1200, step=100)
    preview = default_storage.save(
        f"{model.storage_prefix}/previews/00001000.png", ContentFile(preview_grid(1000, 2000))
    )
    SwapModel.objects.filter(pk=model.pk).update(
        iteration=1200,
        loss_a=history[-1][1],
        loss_b=history[-1][2],
        iterations_per_second=9.5,
        train_seconds=126.0,
        history=history,
        previews=[{"iteration": 1000, "name": preview}],
    )
    page.wait_for_selector("#stat-iteration:has-text('1,200')", timeout=15_000)
    page.wait_for_selector(f"#loss-chart[data-points='{len(history)}']")
    page.wait_for_selector("#preview-caption:has-text('Iteration 1,000 · latest')")
    page.wait_for_selector("#training-note:has-text('iteration 1,200 of 2,000')")
    assert "it/s" in page.locator("#stat-speed").inner_text()
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "swap-training-live.png"), full_page=True)

    page.click("#train-stop")
    page.wait_for_selector("#train-status:has-text('Stop requested')")
    assert Job.objects.get(pk=job.pk).cancel_requested
    page.wait_for_selector("#train-stop:has-text('Stopping')")


def test_consent_records_owner_deletes_viewer_reads(page, live_server, artifacts, swap_project):
    membership, anna, _ben = swap_project
    project = membership.project
    ConsentRecord.objects.create(
        faceset=anna,
        basis="public_domain",
        subject="US federal government work",
        scope="Any use",
        reference="https://www.usa.gov/government-works",
    )
    viewer = MembershipFactory(project=project, role="viewer").user
    owner = MembershipFactory(project=project, role="owner").user

    sign_in(page, live_server, viewer.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/facesets/{anna.pk}/")
    page.wait_for_selector("#consent-root[data-count='1']")
    link = page.locator(".consent-item .consent-reference")
    assert link.get_attribute("href") == "https://www.usa.gov/government-works"
    assert not page.locator("#consent-form, .consent-delete").count()

    page.context.clear_cookies()
    sign_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/facesets/{anna.pk}/")
    page.wait_for_selector("#consent-root[data-count='1'] .consent-delete")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click(".consent-delete")
    page.wait_for_selector("#consent-root[data-count='0'] .consent-missing")
    assert not ConsentRecord.objects.filter(faceset=anna).exists()

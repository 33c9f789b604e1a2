"""The built-in detector's explanations in a real Chromium: its manipulation maps as a
heat overlay in the review workspace (toggled by key and button), why frames are
flagged, the calibrated probability and what its threshold means on the video page,
the detection runs table and the fact-check report (whose score chart charts the
scored frames, and whose key frames carry the map), and the detector choice.

The run is recorded through the real service (``detection_services.detection_record``)
from a result shaped like ``VideoDetection.as_dict()``: analysed frames with a score
and a map per face, landmark-only samples between them with no score, as real runs
have; no model runs here.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from deepreview.detection import services as detection_services
from deepreview.jobs.models import Job
from deepreview.media.services import media_local_path, media_save_previews
from deepreview.review.models import Mark
from deepreview_workers.pipeline.detection.external_check import describe
from deepreview_workers.pipeline.detection.signals import DEFAULT_SIGNALS, signals
from deepreview_workers.pipeline.previews import render_previews
from tests.browser.conftest import wait_js
from tests.browser.detection_data import add_run, trained_detector
from tests.browser.test_upload_flow import sign_in
from tests.factories import MediaItemFactory, MembershipFactory
from tests.media_paths import PD_CLIP, needs_shared_media

pytestmark = [pytest.mark.browser, needs_shared_media]

FRAMES, FPS, WIDTH, HEIGHT = 259, 30.0, 512, 388
ANALYSED = [round(i * (FRAMES - 1) / 31) for i in range(32)]
# Landmark-only samples every other frame between them (15 fps), scored by no detector.
SAMPLES = sorted(set(ANALYSED) | set(range(0, FRAMES, 2)))
FAKE_RANGE = (60, 140)
THRESHOLD, FPR = 0.5, 0.03
BOX = (172.0, 90.0, 328.0, 280.0)  # the speaker's face in the clip, source pixels
MAP_SIZE, CROP_MARGIN = 16, 0.3
SIGNAL_FLAG_FRAME = 196  # a landmark-only sample where flicker jumps
PERCENTILES = {
    "face_blur": 0.97,
    "edge_seam": 0.91,
    "skin_tone": 0.55,
    "mouth_sharpness": 0.88,
    "flicker": 0.42,
    "landmark_jitter": 0.12,
    "blinking": 0.5,
}
FUSION = 0.64
MAP_TEXT = "Most flagged faces (9 of 9) show manipulation at the mouth."
UNSTICK = ".topbar { position: static !important; }"
TESTED = {"measured": "2026-12-05", "bench": "bench/detect_external.py", "clips": 54}
EXTERNAL = {
    **TESTED,
    "reals": 27,
    "fakes": 27,
    "auc": 0.63,
    "by_kind": {"face swap": {"fakes": 5, "auc": 0.75}, "talking head": {"fakes": 10, "auc": 0.5}},
}
EXTERNAL |= describe(EXTERNAL)
FUSION_EXTERNAL = {**TESTED, "reals": 27, "fakes": 27, "auc": 0.55}
FUSION_EXTERNAL |= describe(FUSION_EXTERNAL)


def _score(frame: int) -> float:
    if FAKE_RANGE[0] <= frame <= FAKE_RANGE[1]:
        return round(0.84 + 0.1 * math.sin(frame / 9), 4)
    return round(0.08 + 0.05 * math.sin(frame / 13), 4)


def _map(strength: float) -> list[list[float]]:
    """A MAP_SIZE map over the 30%-margin crop: a blob on the mouth (crop-local
    (0.49, 0.67)) and a faint ring near the face outline, scaled by ``strength``."""
    rows = []
    for y in range(MAP_SIZE):
        row = []
        for x in range(MAP_SIZE):
            u, v = (x + 0.5) / MAP_SIZE, (y + 0.5) / MAP_SIZE
            mouth = math.exp(-(((u - 0.49) / 0.12) ** 2 + ((v - 0.67) / 0.08) ** 2))
            ring = math.exp(-(((math.hypot((u - 0.5) / 0.26, (v - 0.5) / 0.33) - 1) / 0.12) ** 2))
            row.append(round(min(1.0, strength * (mouth + 0.35 * ring)), 2))
        rows.append(row)
    return rows


def _signal_value(name: str, frame: int, analysed: bool) -> dict | None:
    info = signals.get(name).info()
    if not info["temporal"] and not analysed:
        return None  # frame-local signals are measured on analysed frames only
    z = 1.2 * math.sin(frame / 7 + len(name))
    if name == "flicker" and frame == SIGNAL_FLAG_FRAME:
        z = 4.1
    return {
        "raw": round(0.3 + 0.1 * z, 5),
        "z": round(z, 5),
        "norm": round(min(1.0, max(0.0, 0.5 + z / 8)), 5),
    }


def detection_result() -> dict:
    """A built-in detector's result on the clip (``VideoDetection.as_dict()`` shape)."""
    frames = []
    for index in SAMPLES:
        analysed = index in ANALYSED
        score = _score(index) if analysed else None
        face: dict = {
            "track": 0,
            "box": list(BOX),
            "confidence": 0.998 if analysed else None,
            "score": score,
            "signals": {n: v for n in DEFAULT_SIGNALS if (v := _signal_value(n, index, analysed))},
        }
        if analysed:
            fake = score >= THRESHOLD
            face["map"] = _map(0.95 if fake else 0.12)
            face["map_region"] = (
                {
                    "region": "mouth",
                    "peak": 0.95,
                    "shares": {
                        "face boundary": 0.21,
                        "eyes": 0.02,
                        "mouth": 0.71,
                        "whole face": 0.9,
                    },
                }
                if fake
                else None
            )
        frame: dict = {
            "index": index,
            "seconds": round(index / FPS, 5),
            "analysed": analysed,
            "score": score,
            "faces": [face],
        }
        if score is not None and score >= THRESHOLD:
            frame["flag"] = {"by": "detector", "score": score, "region": "mouth"}
        elif index == SIGNAL_FLAG_FRAME:
            frame["flag"] = {"by": "signal", "signal": "flicker", "z": 4.1}
        frames.append(frame)
    scores = [_score(f) for f in ANALYSED]
    flagged = sum(s >= THRESHOLD for s in scores)
    summaries = {}
    for name in DEFAULT_SIGNALS:
        info = signals.get(name).info()
        summaries[name] = {
            **info,
            "scale": {"method": "robust_z", "centre": 0.3, "spread": 0.1, "count": 40},
            "summary": {"count": 40, "mean": 0.31, "median": 0.3, "p90": 0.42, "max": 0.5},
        }
    detector = {
        "name": "Built-in detector",
        "arch": "efficientnet_lite0",
        "input_size": 224,
        "crop_margin": CROP_MARGIN,
        "threshold": THRESHOLD,
        "calibrated": True,
        "threshold_fpr": FPR,
        "has_map": True,
        "external_check": EXTERNAL,
    }
    return {
        "schema": "deepreview.detection",
        "version": 1,
        "source": {
            "name": "clip.mp4",
            "kind": "video",
            "frame_count": FRAMES,
            "fps": FPS,
            "width": WIDTH,
            "height": HEIGHT,
            "duration_seconds": FRAMES / FPS,
        },
        "status": "ok",
        "message": "32 faces in 32 of 32 analysed frames",
        "score": {
            "mean": round(sum(scores) / len(scores), 4),
            "confident": 0.87,
            "threshold": THRESHOLD,
            "label": "fake",
            "calibrated": True,
            "threshold_fpr": FPR,
        },
        "detector": detector,
        "frames_analysed": 32,
        "frames_with_faces": 32,
        "faces": 32,
        "tracks": 1,
        "signals": summaries,
        "frames": frames,
        "options": {"frames": 32},
        "device": "cpu",
        "seconds": 21.4,
        "stage_seconds": {},
        "map_summary": {
            "region": "mouth",
            "flagged_faces": flagged,
            "counts": {"face boundary": 0, "eyes": 0, "mouth": flagged, "whole face": 0},
            "text": MAP_TEXT,
        },
        "signal_reference": {
            "statistic": "p90",
            "reference_videos": 33,
            "source": "test",
            "signals": {n: {"value": 0.42, "percentile": p} for n, p in PERCENTILES.items()},
            "fusion_probability": FUSION,
            "fusion_external": FUSION_EXTERNAL,
        },
    }


def record(item, result: dict):  # noqa: ANN001, ANN201
    with tempfile.TemporaryDirectory() as out:
        path = Path(out) / "result.json"
        path.write_text(json.dumps(result, allow_nan=False))
        return detection_services.detection_record(
            item=item, detector=None, job=None, result=result, json_path=path
        )


def mapped_clip(project):  # noqa: ANN001, ANN201
    """The public-domain clip with its previews and a built-in detector run with maps."""
    data = PD_CLIP.read_bytes()
    item = MediaItemFactory(
        project=project,
        name="address_lipsync_suspect.mp4",
        file=ContentFile(data, name="clip.mp4"),
        poster="",
        size_bytes=len(data),
        width=WIDTH,
        height=HEIGHT,
        fps=FPS,
        frame_count=FRAMES,
        duration_seconds=FRAMES / FPS,
        origin="unknown",
        status="processing",
    )
    with media_local_path(item) as source, tempfile.TemporaryDirectory() as out:
        media_save_previews(item=item, previews=render_previews(source, out, max_tiles=60))
    item.refresh_from_db()
    return item, record(item, detection_result())


@pytest.fixture
def mapped(page, live_server):  # noqa: ANN001, ANN201
    membership = MembershipFactory(role="curator", project__name="Lip-sync checks")
    item, run = mapped_clip(membership.project)
    sign_in(page, live_server, membership.user.username)
    return {"project": membership.project, "item": item, "run": run, "user": membership.user}


def _opaque_pixels(page, selector: str) -> int:  # noqa: ANN001
    return page.evaluate(
        """selector => [...document.querySelectorAll(selector)].reduce((total, c) => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
            return total + n;
        }, 0)""",
        selector,
    )


def _wait_frame(page, frame: int) -> None:  # noqa: ANN001
    wait_js(
        page,
        f"document.querySelector('#frame-counter').dataset.frame === '{frame}'",
        timeout=10_000,
    )


def test_run_is_recorded_with_maps_and_flags(mapped):
    run = mapped["run"]
    assert run.detector is None and run.detector_name == "Built-in detector"
    assert run.series["calibrated"] is True and run.series["threshold_fpr"] == FPR
    assert sorted(int(f) for f in run.series["maps"]) == ANALYSED
    assert sum(1 for s in run.series["score"] if s is not None) == len(ANALYSED)
    assert len(run.series["frames"]) == len(SAMPLES) > len(ANALYSED)


def test_explanations_are_for_the_projects_members(db):  # noqa: ANN001
    membership = MembershipFactory(role="viewer")
    project = membership.project
    run = record(MediaItemFactory(project=project), detection_result())
    signals_only = record(
        MediaItemFactory(project=project),
        {**detection_result(), "score": None, "detector": None, "map_summary": None},
    )
    foreign = record(MediaItemFactory(), detection_result())
    client = Client()
    client.force_login(membership.user)
    url = reverse("detection-explanations-page", args=[project.pk])
    ids = f"{run.pk},{signals_only.pk},{foreign.pk},x"
    answer = client.get(url, {"runs": ids}).json()["runs"]
    assert set(answer) == {str(run.pk), str(signals_only.pk)}
    assert answer[str(run.pk)] == {
        "calibrated": True,
        "threshold": THRESHOLD,
        "threshold_fpr": FPR,
        "external_check": EXTERNAL,
        "map_summary": detection_result()["map_summary"],
        "signal_reference": detection_result()["signal_reference"],
        "flagged_frames": 10,
        "map_frames": len(ANALYSED),
    }
    plain = answer[str(signals_only.pk)]
    assert plain["calibrated"] is False and plain["threshold"] is None
    assert plain["map_summary"] is None
    assert plain["signal_reference"]["fusion_probability"] == FUSION
    outsider = MembershipFactory(role="curator").user
    client.force_login(outsider)
    assert client.get(url, {"runs": ids}).status_code == 404


def test_workspace_heat_overlay_and_flag_reasons(page, live_server, artifacts, mapped):
    project, item = mapped["project"], mapped["item"]
    url = f"{live_server.url}/projects/{project.pk}/media/{item.pk}/review/"
    page.goto(f"{url}#frame=100")
    page.wait_for_selector("#review-workspace[data-ready='true']", timeout=30_000)
    wait_js(page, "document.querySelector('#review-video').readyState >= 2")
    _wait_frame(page, 100)

    # Why the frame is flagged, under the player; the overlay is off until asked for.
    flag = page.locator("#frame-flag")
    assert flag.inner_text() == f"Flagged: detector {_score(100):.2f} at the mouth"
    assert page.locator(".heat-layer").is_hidden()
    button = page.locator("#btn-heat")
    assert button.is_visible() and button.get_attribute("aria-pressed") == "false"

    # m shows the map of the analysed frame at hand, drawn over the face.
    page.keyboard.press("m")
    page.wait_for_selector(".heat-layer[data-frame='100']", state="visible")
    assert button.get_attribute("aria-pressed") == "true"
    assert _opaque_pixels(page, ".heat-layer") > 500
    assert "Heat map of frame 100" in page.locator("#heat-status").inner_text()
    assert "at the mouth" in page.locator("#heat-status").inner_text()
    # The overlay lies over the picture, its strongest colours (yellow) over the mouth.
    hot = page.evaluate(
        """() => {
            const c = document.querySelector('.heat-layer');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0, sx = 0, sy = 0;
            for (let y = 0; y < c.height; y += 1) for (let x = 0; x < c.width; x += 1) {
                const i = (y * c.width + x) * 4;
                // strong heat: yellow (the outline and its label are a paler yellow, blue 71)
                if (d[i] > 250 && d[i + 1] > 200 && d[i + 2] < 60 && d[i + 3] > 100) {
                    n += 1; sx += x; sy += y;
                }
            }
            return [n, sx / n / c.width, sy / n / c.height];
        }"""
    )
    assert hot[0] > 50
    assert hot[1] == pytest.approx(248 / WIDTH, abs=0.05)
    assert hot[2] == pytest.approx(235 / HEIGHT, abs=0.05)
    page.locator(".review-stage").screenshot(
        path=str(artifacts / "detection-maps-workspace-overlay.png"), style=UNSTICK
    )
    page.screenshot(path=str(artifacts / "detection-maps-workspace.png"), full_page=True)

    # Two frames on, the same map still stands; far from any analysed frame, none.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    _wait_frame(page, 102)
    page.wait_for_selector(".heat-layer[data-frame='100']")
    page.goto(f"{url}#frame={SIGNAL_FLAG_FRAME}")  # a new hash: seeks in place
    _wait_frame(page, SIGNAL_FLAG_FRAME)
    # The flag line follows the frame a moment later: wait for it, do not read it once.
    expect(page.locator("#frame-flag")).to_have_text("Flagged: flicker z 4.1")

    # The button toggles it too, and the key map lists m.
    page.click("#btn-heat")
    page.wait_for_selector(".heat-layer", state="hidden")
    assert button.get_attribute("aria-pressed") == "false"
    page.click("#btn-heat")
    page.wait_for_selector(".heat-layer", state="visible")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    _wait_frame(page, 192)
    page.wait_for_selector(".heat-layer[data-frame='191']")
    # A real-looking frame: its faint map stays transparent, only the crop outline shows.
    assert f"Heat map of frame 191: fake probability {_score(191):.2f}" == (
        page.locator("#heat-status").inner_text()
    )
    page.keyboard.press("m")
    page.wait_for_selector(".heat-layer", state="hidden")
    page.keyboard.press("?")
    page.wait_for_selector(".key-help:not([hidden])")
    help_text = page.locator(".key-help").inner_text()
    assert "heat map" in help_text
    page.locator(".key-help-card").screenshot(path=str(artifacts / "detection-maps-keys.png"))
    page.keyboard.press("Escape")

    # The timeline: the score strip over the analysed frames and a row of flagged frames.
    page.locator(".timeline-card").screenshot(
        path=str(artifacts / "detection-maps-timeline.png"), style=UNSTICK
    )


def test_report_charts_scored_frames_and_draws_maps(page, live_server, artifacts, mapped):
    project, item, user = mapped["project"], mapped["item"], mapped["user"]
    Mark.objects.create(
        project=project,
        media=item,
        kind="lip-sync",
        start_frame=60,
        end_frame=140,
        region=[0.3, 0.45, 0.65, 0.8],
        note="Mouth shapes do not follow the words.",
        created_by=user,
    )
    page.goto(f"{live_server.url}/projects/{project.pk}/media/{item.pk}/report/")
    wait_js(
        page,
        "() => [...document.querySelectorAll('img.report-keyframe')].every("
        "i => i.complete && i.naturalWidth > 0)",
        timeout=30_000,
    )

    # The headline is the calibrated probability and what its threshold means.
    headline = page.locator("#report-effective")
    assert headline.get_attribute("data-source") == "detector"
    assert page.locator("#report-headline-score").inner_text() == "0.87"
    assert page.locator("#report-headline-kind").inner_text() == "fake probability"
    threshold = page.locator("#report-headline-threshold").inner_text()
    assert threshold == f"threshold {THRESHOLD:.2f} flags 3% of real videos"
    assert "Built-in detector" in page.locator("#report-detector").inner_text()

    # The mark's key frame is the analysed frame in its middle, with the map over it.
    mark = page.locator(".report-mark")
    assert "/frames/100?width=480" in mark.locator("img").get_attribute("src")
    assert mark.locator(".report-frame").get_attribute("data-map-frame") == "100"
    page.wait_for_selector(".report-mark canvas.report-heat")
    assert _opaque_pixels(page, ".report-mark canvas.report-heat") > 1000
    evidence = page.locator("#report-maps .report-map-frame")
    assert evidence.count() == 3
    wait_js(page, "() => document.querySelectorAll('#report-maps canvas.report-heat').length === 3")
    assert page.locator("#report-map-summary").inner_text() == MAP_TEXT

    # The score chart plots every scored frame (landmark-only samples have no score).
    page.wait_for_selector("#report-score-chart .main-svg", timeout=15_000)
    chart = page.locator("#report-score-chart")
    assert chart.get_attribute("data-points") == str(len(ANALYSED))
    assert chart.locator(".scatterlayer .point").count() == len(ANALYSED)
    assert "flags 3% of real videos" in chart.inner_text()
    page.wait_for_selector("#report-signal-chart .main-svg")
    for trace in page.locator("#report-signal-chart .scatterlayer .trace").all():
        assert trace.locator("path.js-line").get_attribute("d")  # every signal is drawn

    # The signals' second opinion and their percentiles among real videos.
    assert f"fake probability {FUSION:.2f}" in page.locator("#report-second-opinion").inner_text()
    assert "weak: video AUC 0.55" in page.locator("#report-second-opinion").inner_text()
    # What the bench measured on other tools' fakes, and where a low score clears nothing.
    assert page.locator("#report-external-check").inner_text() == EXTERNAL["text"]
    warning = page.locator("#report-external-warning").inner_text()
    assert warning == "A low score does not clear talking heads."
    assert page.locator("#report-headline-warning").count() == 0  # the headline says fake
    percentiles = page.locator("#report-percentiles li").all_inner_texts()
    assert percentiles[0] == "Face blur: higher than 97% of real videos"
    assert "Landmark jitter: lower than 88% of real videos" in percentiles
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "detection-maps-report.png"), full_page=True)
    page.locator("#report-charts").screenshot(
        path=str(artifacts / "detection-maps-report-charts.png"), style=UNSTICK
    )
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 688, "height": 1000})
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "detection-maps-report-print.png"), full_page=True)
    page.pdf(path=str(artifacts / "detection-maps-report.pdf"), format="A4", print_background=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1360, "height": 1000})

    # A project detector without calibration: its score is never a bare label.
    plain = MediaItemFactory(
        project=project,
        name="uncalibrated_suspect.mp4",
        fps=FPS,
        frame_count=FRAMES,
        width=WIDTH,
        height=HEIGHT,
    )
    uncalibrated = detection_result()
    uncalibrated["score"] = {**uncalibrated["score"], "calibrated": False, "threshold_fpr": None}
    uncalibrated["detector"] = {
        **uncalibrated["detector"],
        "name": "Meso baseline",
        "calibrated": False,
        "has_map": False,
        "external_check": None,  # only the built-in detector ships the bench's figures
    }
    for frame in uncalibrated["frames"]:
        for face in frame["faces"]:
            face.pop("map", None)
            face.pop("map_region", None)
    uncalibrated["map_summary"] = None
    record(plain, uncalibrated)
    page.goto(f"{live_server.url}/projects/{project.pk}/media/{plain.pk}/report/")
    headline = page.locator("#report-effective")
    assert headline.get_attribute("data-calibrated") == "false"
    assert page.locator("#report-headline-kind").inner_text() == (
        "uncalibrated score, not a probability"
    )
    assert page.locator("#report-headline-threshold").inner_text() == "threshold 0.50"
    assert "uncalibrated score 0.870" in page.locator("#report-detector").inner_text()
    assert not page.locator("#report-maps").count()
    page.wait_for_selector("#report-score-chart .main-svg", timeout=15_000)
    assert not page.locator("#report-external-check").count()
    page.locator("#report-finding").screenshot(
        path=str(artifacts / "detection-maps-report-uncalibrated.png"), style=UNSTICK
    )

    # The built-in detector calling a video real: the headline says what that cannot clear.
    calm = MediaItemFactory(
        project=project, name="calm_talking_head.mp4", fps=FPS, frame_count=FRAMES
    )
    low = detection_result()
    low["score"] = {**low["score"], "confident": 0.08, "label": "real"}
    record(calm, low)
    page.goto(f"{live_server.url}/projects/{project.pk}/media/{calm.pk}/report/")
    assert page.locator("#report-effective").get_attribute("class").endswith("report-label-real")
    warning = page.locator("#report-headline-warning").inner_text()
    assert warning == "A low score does not clear talking heads."
    page.locator("#report-finding").screenshot(
        path=str(artifacts / "detection-maps-report-real.png"), style=UNSTICK
    )

    # Signals only: the fusion's score heads the report, with what it is worth.
    alone = MediaItemFactory(project=project, name="signals_only.mp4", fps=FPS, frame_count=FRAMES)
    fused = {"confident": FUSION, "threshold": 0.5, "label": "fake", "calibrated": False}
    signals_only = {**detection_result(), "detector": None, "map_summary": None}
    record(alone, signals_only | {"score": {**signals_only["score"], **fused}})
    page.goto(f"{live_server.url}/projects/{project.pk}/media/{alone.pk}/report/")
    assert page.locator("#report-headline-kicker").inner_text() == "SIGNALS SUGGEST FAKE"
    assert page.locator("#report-headline-warning").inner_text() == (
        "signals' fusion, weak: video AUC 0.55 on 54 clips from other tools, 0.5 being chance"
    )
    assert not page.locator("#report-external-check").count()
    assert "Second opinion" not in page.locator("#report-detector").inner_text()
    page.locator("#report-finding").screenshot(
        path=str(artifacts / "detection-maps-report-signals-only.png"), style=UNSTICK
    )


def test_video_page_and_runs_table_say_what_the_score_means(page, live_server, artifacts, mapped):
    project, item = mapped["project"], mapped["item"]
    detector = trained_detector(project)
    older = MediaItemFactory(project=project, name="older_signals_only.mp4", origin="real")
    add_run(project, older, None, None, {"edge_seam"})  # a signals-only run from before

    page.goto(f"{live_server.url}/projects/{project.pk}/media/{item.pk}/")
    page.wait_for_selector("#detection #detection-evidence")
    assert page.locator("#detection-detector-name").inner_text().startswith("Built-in detector")
    assert page.locator("#detection-score-kind").inner_text() == "Fake probability"
    assert page.locator("#detection-score").inner_text() == "0.87"
    verdict = page.locator("#detection-verdict").inner_text()
    assert verdict == "At or above the threshold 0.50, which flags 3% of real videos: called fake."
    assert page.locator("#detection-map-summary").inner_text() == MAP_TEXT
    assert f"{FUSION:.2f}" in page.locator("#detection-second-opinion").inner_text()
    assert "weak: video AUC 0.55" in page.locator("#detection-second-opinion").inner_text()
    external = page.locator("#detection-external-check").inner_text()
    assert external == f"{EXTERNAL['text']} A low score does not clear talking heads."
    assert external.startswith("Video AUC 0.63 on 54 clips from other tools (27 fake")
    assert page.locator("#signal-percentiles li").first.inner_text() == (
        "Face blur: higher than 97% of real videos"
    )
    page.locator("#detection").screenshot(
        path=str(artifacts / "detection-maps-video-card.png"), style=UNSTICK
    )

    # The detector choice: built-in first (the default), trained ones, signals only last.
    select = "#detection-detector"
    page.wait_for_selector(f"{select} option[value='{detector.pk}']", state="attached")
    options = page.locator(f"{select} option").all_inner_texts()
    assert options[0].startswith("Built-in detector") and options[-1] == "Forensic signals only"
    assert page.input_value(select) == "builtin"
    page.click("#detection-run")
    page.wait_for_selector("#detection-run-status:has-text('queued as job')")
    job = Job.objects.get(kind="detect", media=item)
    assert job.params["detector_id"] is None and job.params["signals_only"] is False
    job.delete()
    page.evaluate("() => { document.querySelector('#detection-run-status').textContent = ''; }")
    page.select_option(select, "signals")
    page.click("#detection-run")
    page.wait_for_selector("#detection-run-status:has-text('queued as job')")
    job = Job.objects.get(kind="detect", media=item)
    assert job.params["detector_id"] is None and job.params["signals_only"] is True

    # The runs table: the probability's meaning under the built-in run.
    page.goto(f"{live_server.url}/projects/{project.pk}/detection/")
    evidence = page.locator(f"#run-table tr.run-evidence[data-run-id='{mapped['run'].pk}']")
    evidence.wait_for(timeout=15_000)
    text = evidence.inner_text()
    assert "calibrated probability, threshold 0.50 flags 3% of real videos" in text
    assert "at the mouth" in text and f"fake probability {FUSION:.2f}" in text
    assert "face blur higher than 97% of real videos" in text
    row = page.locator(f"#run-table tr[data-run-id='{mapped['run'].pk}']").first
    assert "Built-in detector" in row.inner_text() and "prob." in row.inner_text()
    old = page.locator("#run-table tbody tr", has_text="older_signals_only.mp4")
    assert "forensic signals only" in old.inner_text() and "signals only" in old.inner_text()
    assert page.input_value("#run-detector") == "builtin"
    page.locator("#run-list-root").screenshot(
        path=str(artifacts / "detection-maps-runs-table.png"), style=UNSTICK
    )

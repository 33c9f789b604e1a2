"""The project review page and the fact-check report in a real browser: a curator
assigns two videos to a reviewer, the reviewer finds them in the inbox, an owner reads
the agreement (alpha, mark overlap per kind, gold accuracy, disagreements), and the
report shows every mark with its key frame and region, the charts, and prints."""

from __future__ import annotations

import io
import math

import av
import pytest
from django.core.files.base import ContentFile

from deepreview.review.models import Assignment, Consensus, GoldVideo, Mark, Verdict
from tests.browser.conftest import wait_js
from tests.browser.test_upload_flow import sign_in
from tests.factories import (
    DetectionRunFactory,
    DetectorFactory,
    MediaItemFactory,
    MembershipFactory,
)
from tests.media_paths import PD_CLIP, needs_shared_media

pytestmark = [pytest.mark.browser, needs_shared_media]

CLIP_FRAMES, CLIP_FPS, CLIP_W, CLIP_H = 259, 30.0, 512, 388
SIGNALS = ["face_blur", "edge_seam", "skin_tone", "mouth_sharpness", "flicker"]

# name, origin, poster frame, {reviewer: (label, confidence, rationale)}
VIDEOS = [
    (
        "press_briefing_2011.mp4",
        "unknown",
        90,
        {
            "chloe": (
                "fake",
                0.8,
                "A seam runs along the jaw while the head turns (frames 60–120).",
            ),
            "dev": ("fake", 0.7, "Jaw outline doubles when he turns left."),
            "eve": ("uncertain", 0.4, "Compression hides most detail; cannot tell."),
        },
    ),
    (
        "townhall_q_and_a.mp4",
        "real",
        30,
        {
            "chloe": ("real", 0.9, "Consistent lighting and natural blinking."),
            "dev": ("real", 0.8, "Nothing unusual."),
        },
    ),
    (
        "anna_to_ben_press.mp4",
        "fake",
        150,
        {
            "chloe": ("fake", 0.85, "Flicker on the cheek from frame 10."),
            "dev": ("real", 0.6, "Looks clean to me."),
            "eve": ("fake", 0.7, "Cheek tone jumps between frames."),
        },
    ),
    (
        "studio_interview.mp4",
        "real",
        200,
        {
            "chloe": ("uncertain", 0.5, "Low light, hard to say."),
            "dev": ("real", 0.75, "Teeth and lips are sharp."),
            "eve": ("uncertain", 0.5, "Too dark."),
        },
    ),
    (
        "rally_livestream.mp4",
        "unknown",
        240,
        {
            "chloe": ("fake", 0.7, "Lip-sync drifts behind the audio."),
            "dev": ("uncertain", 0.5, "Maybe lip-sync, maybe the stream."),
        },
    ),
    ("podcast_cut.mp4", "unknown", 10, {}),
    ("street_vox_pop.mp4", "unknown", 120, {}),
    ("backlit_statement.mp4", "unknown", 60, {}),
]
GOLD = {
    "townhall_q_and_a.mp4": "real",
    "anna_to_ben_press.mp4": "fake",
    "studio_interview.mp4": "real",
}
DETECTOR = {
    "press_briefing_2011.mp4": ("fake", 0.83),
    "podcast_cut.mp4": ("real", 0.12),
    "backlit_statement.mp4": ("fake", 0.71),
}
# reviewer, video, kind, start, end, region, note
MARKS = [
    (
        "chloe",
        "press_briefing_2011.mp4",
        "edge-seam",
        60,
        120,
        [0.34, 0.42, 0.66, 0.86],
        "Blending seam along the left jaw, clearest when the head turns.",
    ),
    (
        "dev",
        "press_briefing_2011.mp4",
        "edge-seam",
        70,
        130,
        [0.36, 0.45, 0.64, 0.88],
        "Double jaw outline.",
    ),
    (
        "chloe",
        "press_briefing_2011.mp4",
        "face-blur",
        150,
        200,
        [0.38, 0.18, 0.62, 0.62],
        "Face softer than the collar and the flag behind.",
    ),
    (
        "dev",
        "press_briefing_2011.mp4",
        "lip-sync",
        210,
        250,
        None,
        "Mouth closes before the word ends.",
    ),
    ("chloe", "anna_to_ben_press.mp4", "flicker", 10, 40, None, ""),
    ("eve", "anna_to_ben_press.mp4", "flicker", 15, 45, None, ""),
    ("chloe", "rally_livestream.mp4", "lip-sync", 100, 180, None, ""),
    ("dev", "rally_livestream.mp4", "lip-sync", 110, 170, None, ""),
]


def _clip_frames(indices: set[int]) -> dict[int, bytes]:
    """JPEG posters from the public-domain clip's own frames, one decode."""
    posters: dict[int, bytes] = {}
    with av.open(str(PD_CLIP)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in indices:
                image = frame.to_image().convert("RGB")
                image.thumbnail((320, 320))
                buffer = io.BytesIO()
                image.save(buffer, format="JPEG", quality=85)
                posters[index] = buffer.getvalue()
            if index >= max(indices):
                break
    return posters


def _series() -> dict:
    """A detection series over 32 sampled frames: the score and the seam and blur
    signals rise where the reviewers marked the seam and the blur."""
    frames = [round(i * (CLIP_FRAMES - 1) / 31) for i in range(32)]

    def bump(frame: int, centre: float, width: float) -> float:
        return math.exp(-(((frame - centre) / width) ** 2))

    score = [round(0.25 + 0.65 * max(bump(f, 95, 35), 0.8 * bump(f, 175, 25)), 3) for f in frames]
    signals = {}
    for i, name in enumerate(SIGNALS):
        centre = {"edge_seam": 95, "face_blur": 175}.get(name)
        norm = [
            round(0.5 + (0.42 * bump(f, centre, 30) if centre else 0.08 * math.sin(f / 17 + i)), 3)
            for f in frames
        ]
        signals[name] = {
            "kind": name.replace("_", "-"),
            "description": name,
            "unit": "",
            "higher_is_suspicious": True,
            "norm": norm,
            "raw": norm,
        }
    return {"frames": frames, "score": score, "threshold": 0.5, "signals": signals}


@pytest.fixture
def newsroom(db):  # noqa: ANN001, ANN201
    owner = MembershipFactory(
        role="owner", user__username="ana", project__name="Newsroom fact-checks"
    )
    project = owner.project
    users = {"ana": owner.user}
    for name, role in (
        ("ben", "curator"),
        ("chloe", "reviewer"),
        ("dev", "reviewer"),
        ("eve", "reviewer"),
        ("vic", "viewer"),
    ):
        users[name] = MembershipFactory(project=project, role=role, user__username=name).user
    posters = _clip_frames({frame for _, _, frame, _ in VIDEOS})
    clip = PD_CLIP.read_bytes()
    videos = {}
    for name, origin, poster_frame, verdicts in VIDEOS:
        video = MediaItemFactory(
            project=project,
            name=name,
            origin=origin,
            frame_count=CLIP_FRAMES,
            fps=CLIP_FPS,
            duration_seconds=CLIP_FRAMES / CLIP_FPS,
            width=CLIP_W,
            height=CLIP_H,
            codec="h264",
            pix_fmt="yuv420p",
            container="mov,mp4,m4a,3gp,3g2,mj2",
            has_audio=True,
            audio_codec="aac",
            size_bytes=len(clip),
            uploaded_by=users["ben"],
            file=ContentFile(clip, name="clip.mp4"),
            poster=ContentFile(posters[poster_frame], name="poster.jpg"),
        )
        videos[name] = video
        for reviewer, (label, confidence, rationale) in verdicts.items():
            Verdict.objects.create(
                project=project,
                media=video,
                reviewer=users[reviewer],
                label=label,
                confidence=confidence,
                rationale=rationale,
            )
    for reviewer, name, kind, start, end, region, note in MARKS:
        Mark.objects.create(
            project=project,
            media=videos[name],
            kind=kind,
            start_frame=start,
            end_frame=end,
            region=region,
            note=note,
            created_by=users[reviewer],
        )
    for name, label in GOLD.items():
        GoldVideo.objects.create(
            project=project, media=videos[name], label=label, set_by=users["ana"]
        )
    Consensus.objects.create(
        project=project,
        media=videos["rally_livestream.mp4"],
        label="fake",
        note="Audio drift confirmed against the original broadcast.",
        decided_by=users["ana"],
    )
    detector = DetectorFactory(
        project=project, name="MesoNet newsroom v2", status="ready", threshold=0.5
    )
    for name, (label, score) in DETECTOR.items():
        DetectionRunFactory(
            project=project,
            media=videos[name],
            detector=detector,
            detector_name=detector.name,
            label=label,
            score_confident=score,
            score_mean=round(score * 0.9, 3),
            threshold=0.5,
            frames_analysed=32,
            frames_with_faces=32,
            series=_series() if name == "press_briefing_2011.mp4" else {},
        )
    # Chloe already has three videos in her inbox, two of them done.
    for name in ("press_briefing_2011.mp4", "townhall_q_and_a.mp4", "studio_interview.mp4"):
        Assignment.objects.create(
            project=project, media=videos[name], reviewer=users["chloe"], assigned_by=users["ben"]
        )
    return project, users, videos


def _settle(page) -> None:  # noqa: ANN001
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)


def test_assign_inbox_agreement_and_report(page, live_server, artifacts, newsroom):
    project, users, videos = newsroom
    review_url = f"{live_server.url}/projects/{project.pk}/review/"

    # A curator opens the review page from the project page and assigns two videos.
    sign_in(page, live_server, "ben")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.click("#review-page-link")
    page.wait_for_url(review_url)
    page.wait_for_selector("#review-queue tbody tr")
    assert page.locator("#review-queue tbody tr").count() == len(VIDEOS)
    targets = [videos["street_vox_pop.mp4"], videos["backlit_statement.mp4"]]
    for video in targets:
        page.locator(f"#review-queue tr[data-media-id='{video.pk}'] .queue-check").check()
    page.wait_for_selector("#assign-reviewers input[data-username='chloe']")
    page.locator("#assign-reviewers input[data-username='chloe']").check()
    assert page.locator("#queue-selection").inner_text() == "2 videos selected"
    page.click("#assign-button")
    page.wait_for_selector("#assign-status.success-text")
    assert page.locator("#assign-status").inner_text() == "Assigned: 2 new."
    for video in targets:
        row = page.locator(f"#review-queue tr[data-media-id='{video.pk}']")
        assert "chloe" in row.locator(".queue-assigned").inner_text()
    assert set(
        Assignment.objects.filter(reviewer=users["chloe"]).values_list("media_id", flat=True)
    ) >= {v.pk for v in targets}
    # The unreviewed video with a detector score goes by the detector's suggestion,
    # labelled as such; a reviewed one by its reviewers, with the detector beside it.
    backlit = page.locator(
        f"#review-queue tr[data-media-id='{videos['backlit_statement.mp4'].pk}']"
    )
    assert "detector suggestion" in backlit.inner_text()
    press = page.locator(
        f"#review-queue tr[data-media-id='{videos['press_briefing_2011.mp4'].pk}']"
    )
    assert "0.83" in press.locator(".detector-suggestion").inner_text()
    assert press.locator("[data-state]").first.get_attribute("data-state") == "undecided"
    _settle(page)
    page.screenshot(path=str(artifacts / "review-page-curator.png"), full_page=True)

    # The reviewer finds both in the inbox, unreviewed, with her progress.
    page.context.clear_cookies()
    sign_in(page, live_server, "chloe")
    page.goto(review_url)
    page.wait_for_selector("#inbox-list li")
    inbox = page.locator("#inbox-list")
    assert inbox.locator("li").count() == 5
    for video in targets:
        item = inbox.locator(f"li[data-media-id='{video.pk}']")
        assert item.get_attribute("data-state") == "unreviewed"
        assert video.name in item.inner_text()
    progress = page.locator("#inbox-progress-text").inner_text()
    assert "2 of 5 done" in progress and "1 undecided" in progress and "2 unreviewed" in progress
    assert page.locator("#blind-review").count() == 0  # owners only
    assert page.locator("#review-queue th", has_text="Gold").count() == 0  # gold stays secret
    _settle(page)
    page.screenshot(path=str(artifacts / "review-inbox-reviewer.png"), full_page=True)

    # The owner reads the agreement: alpha, the overlap chart, gold accuracy.
    page.context.clear_cookies()
    sign_in(page, live_server, "ana")
    page.goto(review_url)
    alpha = page.locator("#agreement-alpha")
    alpha.wait_for()
    wait_js(page, "() => document.querySelector('#agreement-alpha').textContent.trim() !== ''")
    assert float(alpha.inner_text()) == pytest.approx(_expected_alpha(), abs=0.005)
    page.wait_for_selector("#agreement-overlap-chart .main-svg", timeout=15_000)
    bars = page.locator("#agreement-overlap-chart .barlayer .point")
    assert bars.count() == 4  # edge seam, face blur, flicker, lip-sync
    assert "Edge seam" in page.locator("#agreement-overlap-chart").inner_text()
    chloe = page.locator("#agreement-reviewers tr[data-reviewer='chloe']")
    assert "2/3 correct (67%)" in chloe.locator(".reviewer-gold").inner_text()
    disagreements = page.locator("#disagreement-list tbody tr")
    assert disagreements.count() >= 2
    split = page.locator(
        f"#disagreement-list tr[data-media-id='{videos['anna_to_ben_press.mp4'].pk}']"
    )
    assert "needs adjudication" in split.inner_text()
    assert split.locator("a", has_text="Adjudicate").count() == 1
    assert page.locator("#blind-review .switch").is_visible()
    gold_rows = page.locator("#review-queue .badge-gold")
    gold_rows.first.wait_for()
    assert gold_rows.count() == len(GOLD)
    _settle(page)
    page.screenshot(path=str(artifacts / "review-page-owner.png"), full_page=True)

    # The owner turns blind review on; the project remembers.
    page.locator("#blind-review .switch").click()
    page.wait_for_selector("#blind-review-status.success-text")
    project.refresh_from_db()
    assert project.blind_review is True

    # A video of unknown origin becomes a gold check once the owner says the truth.
    podcast = videos["podcast_cut.mp4"]
    cell = page.locator(f"#review-queue tr[data-media-id='{podcast.pk}'] .queue-gold")
    cell.locator(".gold-button").click()
    cell.locator(".gold-choice[data-label='fake']").click()
    cell.locator(".badge-gold").wait_for()
    assert GoldVideo.objects.get(media=podcast).label == "fake"

    # The report: every mark with its key frame decoded from the clip and its region.
    press_video = videos["press_briefing_2011.mp4"]
    page.goto(f"{live_server.url}/projects/{project.pk}/media/{press_video.pk}/")
    workspace = f"/projects/{project.pk}/media/{press_video.pk}/review/"
    assert page.locator("#review-video-link").get_attribute("href") == workspace
    page.locator(".page-header").screenshot(path=str(artifacts / "media-page-review-links.png"))
    page.click("#review-report-link")
    page.wait_for_url(f"**/projects/{project.pk}/media/{press_video.pk}/report/")
    marks = page.locator(".report-mark")
    assert marks.count() == 4
    wait_js(
        page,
        "() => [...document.querySelectorAll('img.report-keyframe')].every("
        "i => i.complete && i.naturalWidth > 0)",
        timeout=30_000,
    )
    assert page.locator(".report-keyframe").count() == 4
    assert page.locator(".report-region").count() == 3
    seam = marks.filter(has_text="Blending seam").first
    assert "60–120" in seam.inner_text() and "00:02.000" in seam.inner_text()
    assert "/frames/90?width=480" in seam.locator("img").get_attribute("src")
    for chart in ("#report-score-chart", "#report-signal-chart"):
        page.wait_for_selector(f"{chart} .main-svg", timeout=15_000)
    assert page.locator("#report-signal-chart .scatterlayer .trace").count() == len(SIGNALS)
    text = page.locator("#review-report").inner_text()
    assert press_video.sha256 in text
    assert "A seam runs along the jaw" in text and "Compression hides most detail" in text
    assert "MesoNet newsroom v2" in text
    _settle(page)
    page.screenshot(path=str(artifacts / "review-report.png"), full_page=True)
    # Printed: no top bar or buttons, marks and charts each start a page, and the
    # charts fit the width of an A4 page (210 mm less 14 mm margins: about 688 px).
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 688, "height": 1000})
    page.wait_for_timeout(300)
    assert not page.locator("#report-print").is_visible()
    assert not page.locator(".topbar").is_visible()
    breaks = page.evaluate(
        "() => ['report-marks', 'report-charts'].map("
        "id => getComputedStyle(document.getElementById(id)).breakBefore)"
    )
    assert breaks == ["page", "page"]
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.report-chart .main-svg')].map("
        "svg => svg.getBoundingClientRect().right)"
    )
    assert widths and max(widths) <= 688
    page.screenshot(path=str(artifacts / "review-report-print.png"), full_page=True)
    page.pdf(path=str(artifacts / "review-report.pdf"), format="A4", print_background=True)

    # With blind review on, a reviewer is told why others' reviews are missing.
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1360, "height": 1000})
    page.context.clear_cookies()
    sign_in(page, live_server, "eve")
    page.goto(review_url)
    assert "appear" in page.locator("#blind-notice").inner_text()


def _expected_alpha() -> float:
    """Krippendorff's nominal alpha of VIDEOS' verdicts, by hand (coincidence matrix)."""
    from collections import Counter
    from itertools import permutations

    pairs: Counter = Counter()
    for _, _, _, verdicts in VIDEOS:
        labels = [label for label, _, _ in verdicts.values()]
        if len(labels) < 2:
            continue
        for a, b in permutations(range(len(labels)), 2):
            pairs[(labels[a], labels[b])] += 1 / (len(labels) - 1)
    totals: Counter = Counter()
    for (a, _), value in pairs.items():
        totals[a] += value
    n = sum(totals.values())
    observed = sum(v for (a, b), v in pairs.items() if a != b)
    expected = sum(totals[a] * totals[b] for a in totals for b in totals if a != b) / (n - 1)
    return 1 - observed / expected

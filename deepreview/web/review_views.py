"""Review pages: the annotator of one video, the project's review page and the
fact-check report. Thin like the other pages: check access, read through the review
selectors (which apply blind review), render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from deepreview.media.models import MediaItem, MediaKind
from deepreview.media.serializers import file_url
from deepreview.projects import selectors
from deepreview.projects.roles import Role, role_at_least
from deepreview.review import payloads as review_payloads
from deepreview.review import selectors as review_selectors
from deepreview.review.selectors import review_scope
from deepreview.web.views import page_url_template

MAP_EVIDENCE_FRAMES = 3  # the report shows the detector's map on at most this many frames


def map_reach(fps: float | None) -> int:
    """Frames away from an analysed frame its map still stands for the picture: a
    sixth of a second, at least two (the review workspace uses the same)."""
    return max(2, round((fps if fps and fps > 0 else 25) / 6))


def mark_key_frame(mark: object, map_frames: list[int], reach: int) -> tuple[int, int | None]:
    """A mark's key frame and the analysed frame whose map is drawn over it (or None).

    The key frame is the middle of the mark's range, unless the detector mapped a frame
    inside the range: then the mapped frame nearest the middle, so the map shows it."""
    middle = (mark.start_frame + mark.end_frame) // 2
    inside = [f for f in map_frames if mark.start_frame <= f <= mark.end_frame]
    if inside:
        key = min(inside, key=lambda f: (abs(f - middle), f))
        return key, key
    near = [f for f in map_frames if abs(f - middle) <= reach]
    return middle, min(near, key=lambda f: (abs(f - middle), f)) if near else None


def map_evidence_frames(maps: dict, threshold: float | None) -> list[dict]:
    """Where the detector sees manipulation: its highest-scoring mapped frames at or
    above the threshold (at most ``MAP_EVIDENCE_FRAMES``, in frame order), or else its
    single highest-scoring mapped frame, marked as below the threshold."""
    frames = []
    for key, faces in maps.items():
        scored = [f for f in faces if f.get("score") is not None]
        if not scored:
            continue
        top = max(scored, key=lambda f: f["score"])
        frames.append({"frame": int(key), "score": top["score"], "region": top.get("region")})
    frames.sort(key=lambda e: (-e["score"], e["frame"]))
    above = [e for e in frames if threshold is not None and e["score"] >= threshold]
    chosen = above[:MAP_EVIDENCE_FRAMES] or frames[:1]
    for entry in chosen:
        entry["above"] = threshold is not None and entry["score"] >= threshold
    return sorted(chosen, key=lambda e: e["frame"])


@login_required
def review_workspace(request: HttpRequest, project_id: int, media_id: int) -> HttpResponse:
    """The annotator: player, frame timeline, marks, verdict and comments of one video.

    Everything it shows comes from the review API, which applies blind review; the page
    itself carries only addresses and the viewer's abilities.
    """
    project = selectors.access_project(request.user, project_id)
    item = get_object_or_404(MediaItem.objects.filter(project=project, kind="video"), pk=media_id)
    role = project.current_role
    pid, mid = project.pk, item.pk
    urls = {
        "timeline": reverse("review-timeline", args=[pid, mid]),
        "mark_changes": reverse("review-mark-changes", args=[pid, mid]),
        "summary": reverse("review-detail", args=[pid, mid]),
        "marks": reverse("mark-list", args=[pid]),
        "mark": page_url_template("mark-detail", pid),
        "verdicts": reverse("verdict-list", args=[pid]),
        "comments": reverse("comment-list", args=[pid]),
        "comment": page_url_template("comment-detail", pid),
        "adjudicate": reverse("review-adjudicate", args=[pid, mid]),
    }
    scope = review_scope(project=project, user=request.user)
    context = {
        "project": project,
        "item": item,
        "role": role,
        "blind": not scope.reveals(item.pk),
        "playback_url": file_url(item, "playback"),
        "review_page_url": reverse("review-page", args=[pid]),
        "report_url": reverse("review-report-page", args=[pid, mid]),
        "username": request.user.get_username(),
        "can_annotate": role_at_least(role, Role.REVIEWER),
        "can_curate": role_at_least(role, Role.CURATOR),
        "can_adjudicate": role == Role.OWNER,
        "api_urls": urls,
        "poster_url": file_url(item, "poster") if item.poster else "",
    }
    return render(request, "web/review_workspace.html", context)


@login_required
def review_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project's review: the member's inbox, every video's review state, agreement
    and disagreements. The page script reads it all from the review API, which
    applies blind review and gold secrecy; the page carries addresses and abilities."""
    project = selectors.access_project(request.user, project_id)
    role = project.current_role
    pid = project.pk
    urls = {
        "reviews": reverse("review-list", args=[pid]),
        "agreement": reverse("review-agreement", args=[pid]),
        "inbox": reverse("assignment-inbox", args=[pid]),
        "assignments": reverse("assignment-list", args=[pid]),
        "gold": page_url_template("review-gold", pid),
        "members": reverse("member-list", args=[pid]),
        "project": reverse("project-detail", args=[pid]),
    }
    context = {
        "project": project,
        "role": role,
        "blind": review_scope(project=project, user=request.user).blind,
        "can_annotate": role_at_least(role, Role.REVIEWER),
        "can_curate": role_at_least(role, Role.CURATOR),
        "is_owner": role == Role.OWNER,
        "api_urls": urls,
        "workspace_page_url": page_url_template("review-workspace-page", pid),
        "report_page_url": page_url_template("review-report-page", pid),
        "media_page_url": page_url_template("media-detail-page", pid),
    }
    return render(request, "web/review_page.html", context)


@login_required
def review_report(request: HttpRequest, project_id: int, media_id: int) -> HttpResponse:
    """The fact-check report of one video, printable to PDF by the browser.

    Built only from the review selectors and reports, so blind review holds: a blind
    reviewer's report shows their own verdict and marks and no ground truth.
    """
    project = selectors.access_project(request.user, project_id)
    scope = review_scope(project=project, user=request.user)
    item = review_selectors.review_video(scope=scope, media_id=media_id)
    if item.kind != MediaKind.VIDEO:
        raise Http404("Reports are for videos.")
    timeline = review_payloads.timeline(scope=scope, media=item)
    detection = timeline["detection"] or {}
    marks = list(review_selectors.mark_list(scope=scope, media=item))
    maps = detection.get("maps") or {}
    map_frames = sorted(int(frame) for frame in maps)
    reach = map_reach(item.fps)
    for mark in marks:
        mark.key_frame, mark.map_frame = mark_key_frame(mark, map_frames, reach)
    evidence = map_evidence_frames(maps, detection.get("threshold"))
    shown = {m.map_frame for m in marks if m.map_frame is not None} | {e["frame"] for e in evidence}
    series = {
        "frames": detection.get("frames", []),
        "score": detection.get("score", []),
        "threshold": detection.get("threshold"),
        "calibrated": detection.get("calibrated"),
        "threshold_fpr": detection.get("threshold_fpr"),
        "external_check": detection.get("external_check"),
        "crop_margin": detection.get("crop_margin"),
        "signals": detection.get("signals", {}),
        # Only the maps the report draws: the marks' key frames and the evidence frames.
        "maps": {str(frame): maps[str(frame)] for frame in sorted(shown)},
    }
    context = {
        "project": project,
        "item": item,
        "role": project.current_role,
        "scope": scope,
        "summary": review_payloads.video_summary(scope=scope, media=item),
        "marks": marks,
        "map_evidence": evidence,
        "kinds": {k.slug: k for k in review_selectors.artifact_kinds(project=project)},
        "timeline": timeline,
        "series": series,
        "frame_url": reverse("media-frame", args=[item.pk, 0]).rsplit("/", 1)[0],
        "review_page_url": reverse("review-page", args=[project.pk]),
        "workspace_url": reverse("review-workspace-page", args=[project.pk, item.pk]),
        "generated_at": timezone.now(),
    }
    return render(request, "web/review_report.html", context)

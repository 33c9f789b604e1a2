"""Server-rendered pages. Thin: check access, call a service, render."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from deepreview.core.errors import ApplicationError
from deepreview.demo.models import DemoBuild
from deepreview.detection import services as detection_services
from deepreview.detection.models import DetectionRun
from deepreview.exports import services as export_services
from deepreview.exports.selection import video_method
from deepreview.facesets import selectors as faceset_selectors
from deepreview.facesets import services as faceset_services
from deepreview.media.models import MediaItem, Origin
from deepreview.media.provenance import media_provenance_panel
from deepreview.media.selectors import access_media
from deepreview.media.serializers import file_url
from deepreview.projects import selectors, services
from deepreview.projects.models import Project
from deepreview.projects.roles import Role, role_at_least
from deepreview.review.selectors import review_scope
from deepreview.swaps.models import SwapModel
from deepreview.web.detection_explain import run_explanation
from deepreview.web.forms import (
    FacesetForm,
    IdentityForm,
    MemberAddForm,
    MemberChangeForm,
    ProjectForm,
)
from deepreview_workers.pipeline.dataset.types import ExportOptions
from deepreview_workers.pipeline.options.spec import option_spec, options_values


def page_url_template(name: str, *args: int) -> str:
    """A page's address with ``{id}`` in place of its last argument, for the page scripts."""
    return reverse(name, args=[*args, 0]).replace("/0/", "/{id}/")


# Swap model statuses in the job status palette (badge classes).
SWAP_STATUS_CLASSES = {
    "new": "status-queued",
    "training": "status-running",
    "stopped": "status-cancelled",
    "completed": "status-succeeded",
    "failed": "status-failed",
}


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = services.project_create(created_by=request.user, **form.cleaned_data)
        messages.success(request, f"Created project “{project.name}”.")
        return redirect("project-detail-page", project_id=project.pk)
    roles = dict(request.user.memberships.values_list("project_id", "role"))
    # Counted over all the project's rows: annotating the user's own filtered list would
    # count through the join on their membership, so every project showed one member.
    mine = selectors.project_list_for_user(user=request.user).values("pk")
    projects = Project.objects.filter(pk__in=mine).annotate(
        media_count=Count("media", distinct=True), member_count=Count("memberships", distinct=True)
    )
    for project in projects:
        project.current_role = roles.get(project.pk)
    return render(request, "web/project_list.html", {"projects": projects, "form": form})


@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.access_project(request.user, project_id)
    role = project.current_role
    context = {
        "project": project,
        "role": role,
        "is_owner": role == Role.OWNER,
        "can_curate": role_at_least(role, Role.CURATOR),
        "memberships": selectors.membership_list(project=project),
        "identities": selectors.identity_list(project=project),
        "origins": Origin.choices,
        "roles": Role.choices,
        "member_form": MemberAddForm(),
        "identity_form": IdentityForm(),
        "facesets": faceset_selectors.faceset_list(project=project).select_related("identity"),
        "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        "swap_model_page_url": page_url_template("swap-model-detail-page", project.pk),
        "faceset_page_url": page_url_template("faceset-detail-page", project.pk),
        "is_demo": DemoBuild.objects.filter(project=project).exists(),
    }
    return render(request, "web/project_detail.html", context)


def _redirect_with_error(
    request: HttpRequest, project_id: int, error: ApplicationError
) -> HttpResponse:
    messages.error(request, error.message)
    return redirect("project-detail-page", project_id=project_id)


@login_required
@require_POST
def member_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.access_project(request.user, project_id, min_role=Role.OWNER)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a user name and a role.")
        return redirect("project-detail-page", project_id=project.pk)
    try:
        member = services.member_add(project=project, added_by=request.user, **form.cleaned_data)
    except ApplicationError as exc:
        return _redirect_with_error(request, project.pk, exc)
    messages.success(request, f"Added {member.user.username} as {member.role}.")
    return redirect("project-detail-page", project_id=project.pk)


@login_required
@require_POST
def member_change(request: HttpRequest, project_id: int, membership_id: int) -> HttpResponse:
    project = selectors.access_project(request.user, project_id, min_role=Role.OWNER)
    membership = get_object_or_404(selectors.membership_list(project=project), pk=membership_id)
    form = MemberChangeForm(request.POST)
    form.is_valid()
    try:
        if form.cleaned_data.get("remove"):
            services.member_remove(membership=membership)
            messages.success(request, f"Removed {membership.user.username}.")
        elif form.cleaned_data.get("role"):
            services.member_set_role(membership=membership, role=form.cleaned_data["role"])
            messages.success(request, f"{membership.user.username} is now {membership.role}.")
    except ApplicationError as exc:
        return _redirect_with_error(request, project.pk, exc)
    return redirect("project-detail-page", project_id=project.pk)


@login_required
@require_POST
def identity_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.access_project(request.user, project_id, min_role=Role.CURATOR)
    form = IdentityForm(request.POST)
    if form.is_valid():
        try:
            services.identity_create(project=project, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            return _redirect_with_error(request, project.pk, exc)
    return redirect("project-detail-page", project_id=project.pk)


@login_required
def media_detail(request: HttpRequest, project_id: int, media_id: int) -> HttpResponse:
    item: MediaItem = access_media(request.user, media_id)
    if item.project_id != project_id:
        return redirect("media-detail-page", project_id=item.project_id, media_id=item.pk)
    role = item.project.current_role
    sprite = item.sprite_meta or {}
    scope = review_scope(project=item.project, user=request.user)
    context = {
        "project": item.project,
        "item": item,
        "role": role,
        # Blind review: the origin and ground truth wait for the reviewer's own verdict.
        "origin_hidden": not scope.reveals(item.pk),
        "can_curate": role_at_least(role, Role.CURATOR),
        "playback_url": file_url(item, "playback"),
        "original_url": file_url(item, "original"),
        "poster_url": file_url(item, "poster") if item.poster else None,
        "sprite_url": file_url(item, "sprite") if item.sprite else None,
        "frame_pts_url": file_url(item, "frame_pts") if item.frame_pts else "",
        "sprite": sprite,
        "sprite_indices": json.dumps(sprite.get("frame_indices", [])),
        "media_page_url": page_url_template("media-detail-page", project_id),
        "swap_model_page_url": page_url_template("swap-model-detail-page", project_id),
        "provenance": media_provenance_panel(item),
    }
    return render(request, "web/media_detail.html", context)


@login_required
@require_POST
def faceset_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.access_project(request.user, project_id, min_role=Role.CURATOR)
    form = FacesetForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the faceset a name (up to 200 characters).")
        return redirect("project-detail-page", project_id=project.pk)
    try:
        faceset = faceset_services.faceset_create(
            project=project,
            created_by=request.user,
            name=form.cleaned_data["name"],
            description=form.cleaned_data.get("description", ""),
            identity_id=form.cleaned_data.get("identity"),
        )
    except ApplicationError as exc:
        return _redirect_with_error(request, project.pk, exc)
    messages.success(request, f"Created faceset “{faceset.name}”. Extract faces into it below.")
    return redirect("faceset-detail-page", project_id=project.pk, faceset_id=faceset.pk)


@login_required
def faceset_detail(request: HttpRequest, project_id: int, faceset_id: int) -> HttpResponse:
    project = selectors.access_project(request.user, project_id)
    faceset = faceset_selectors.faceset_get(project=project, faceset_id=faceset_id)
    role = project.current_role
    pid, fid = project.pk, faceset.pk
    # The page script reads every API address from data attributes: no URL is built in JS.
    urls = {
        "faceset": reverse("faceset-detail", args=[pid, fid]),
        "faces": reverse("face-list", args=[pid, fid]),
        "ids": reverse("face-ids", args=[pid, fid]),
        "remove": reverse("face-remove", args=[pid, fid]),
        "restore": reverse("face-restore", args=[pid, fid]),
        "history": reverse("faceset-history", args=[pid, fid]),
        "undo": reverse("faceset-undo", args=[pid, fid]),
        "stats": reverse("faceset-stats", args=[pid, fid]),
        "extract": reverse("faceset-extract", args=[pid, fid]),
        "import_faces": reverse("faceset-import-faces", args=[pid, fid]),
        "media": reverse("media-list", args=[pid]),
        "jobs": reverse("job-list", args=[pid]),
        "facesets": reverse("faceset-list", args=[pid]),
        "move": reverse("face-move", args=[pid, fid]),
        "merge": reverse("faceset-merge", args=[pid, fid]),
        "dedupe": reverse("faceset-dedupe", args=[pid, fid]),
        "best": reverse("faceset-best", args=[pid, fid]),
        "split": reverse("faceset-split", args=[pid, fid]),
        "keep_person": reverse("faceset-keep-person", args=[pid, fid]),
        "consents": reverse("consent-list", args=[pid, fid]),
    }
    context = {
        "project": project,
        "faceset": faceset,
        "role": role,
        "can_curate": role_at_least(role, Role.CURATOR),
        "is_owner": role == Role.OWNER,
        "api_urls": urls,
        "media_page_url": reverse("media-detail-page", args=[pid, 0]).replace("/0/", "/{id}/"),
    }
    return render(request, "web/faceset_detail.html", context)


@login_required
def swap_model_detail(request: HttpRequest, project_id: int, model_id: int) -> HttpResponse:
    project = selectors.access_project(request.user, project_id)
    model = get_object_or_404(
        SwapModel.objects.filter(project=project).select_related(
            "faceset_a", "faceset_b", "created_by"
        ),
        pk=model_id,
    )
    role = project.current_role
    pid, mid = project.pk, model.pk
    urls = {
        "detail": reverse("swapmodel-detail", args=[pid, mid]),
        "train": reverse("swapmodel-train", args=[pid, mid]),
        "stop": reverse("swapmodel-stop", args=[pid, mid]),
        "convert": reverse("swapmodel-convert", args=[pid, mid]),
        "preview": reverse("swapmodel-preview", args=[pid, mid]),
        "jobs": reverse("job-list", args=[pid]),
        "media": reverse("media-list", args=[pid]),
        "conversions": reverse("conversion-list", args=[pid]),
    }
    context = {
        "project": project,
        "model": model,
        "role": role,
        "can_curate": role_at_least(role, Role.CURATOR),
        "status_class": SWAP_STATUS_CLASSES.get(model.status, "status-queued"),
        "api_urls": urls,
        "media_page_url": page_url_template("media-detail-page", pid),
        "artifact_url": reverse("job-artifact", kwargs={"job_id": 0}).replace("/0/", "/{id}/"),
    }
    return render(request, "web/swap_model_detail.html", context)


@login_required
def detection_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """Detectors, their training and evaluation, what gets caught, and detection runs.

    Viewers see everything; the forms (create, train, run) are for curators, and the
    API they post to checks the role again.
    """
    project = selectors.access_project(request.user, project_id)
    role = project.current_role
    pid = project.pk
    urls = {
        "detectors": reverse("detector-list", args=[pid]),
        "detector": page_url_template("detector-detail", pid),
        "train": page_url_template("detector-train", pid),
        "evaluation": page_url_template("detector-evaluation", pid),
        "caught": reverse("detector-caught", args=[pid]),
        "detections": reverse("detection-list", args=[pid]),
        "explanations": reverse("detection-explanations-page", args=[pid]),
        "media": reverse("media-list", args=[pid]),
        "jobs": reverse("job-list", args=[pid]),
    }
    labeled = detection_services.labeled_videos(project)
    form_spec = {
        "archs": list(detection_services.DETECTOR_ARCHS),
        "min_videos_per_label": detection_services.MIN_VIDEOS_PER_LABEL,
    }
    context = {
        "project": project,
        "role": role,
        "can_curate": role_at_least(role, Role.CURATOR),
        "api_urls": urls,
        "media_page_url": page_url_template("media-detail-page", pid),
        "labeled_real": labeled.filter(origin=Origin.REAL).count(),
        "labeled_fake": labeled.filter(origin=Origin.FAKE).count(),
        "form_spec": form_spec,
    }
    return render(request, "web/detection.html", context)


MAX_EXPLAINED_RUNS = 100


@login_required
def detection_explanations(request: HttpRequest, project_id: int) -> JsonResponse:
    """What the scores of some runs mean (``?runs=1,2,3``), for the detection card and
    the runs table: calibration, the threshold's false-positive rate on real videos,
    the map summary and the signals' percentiles among real videos. Read from each
    run's stored series; any member of the project may read them, like the runs."""
    project = selectors.access_project(request.user, project_id)
    raw = request.GET.get("runs", "")
    ids = [int(v) for v in raw.split(",") if v.strip().isdigit()][:MAX_EXPLAINED_RUNS]
    runs = DetectionRun.objects.filter(project=project, pk__in=ids)
    return JsonResponse({"runs": {str(run.pk): run_explanation(run) for run in runs}})


@login_required
def exports_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """The dataset builder (selection, options, live preview) and the project's exports.

    Everyone in the project sees the exports; the builder, the preview and the downloads
    are for curators, and the API checks the role again.
    """
    project = selectors.access_project(request.user, project_id)
    role = project.current_role
    pid = project.pk
    urls = {
        "exports": reverse("export-list", args=[pid]),
        "export": page_url_template("export-detail", pid),
        "preview": reverse("export-preview", args=[pid]),
    }
    reviewers = [
        m.user.username
        for m in selectors.membership_list(project=project).order_by("user__username")
        if role_at_least(m.role, Role.REVIEWER) and m.user.is_active
    ]
    fakes = MediaItem.objects.filter(project=project, conversion__isnull=False).select_related(
        "conversion", "conversion__swap_model"
    )
    made_here = {video_method(media, "fake")[0] for media in fakes}
    spec = {
        "identities": list(
            selectors.identity_list(project=project).order_by("name").values_list("name", flat=True)
        ),
        "reviewers": reviewers,
        "methods": ["real", "uploaded", *sorted(m for m in made_here if m)],
        "defaults": options_values(export_services.export_options({})),
        "ranges": {
            f["name"]: [f["min"], f["max"]]
            for f in option_spec(ExportOptions)
            if f["kind"] in ("int", "float")
        },
    }
    context = {
        "project": project,
        "role": role,
        "can_curate": role_at_least(role, Role.CURATOR),
        "api_urls": urls,
        "builder_spec": spec,
    }
    return render(request, "web/exports.html", context)

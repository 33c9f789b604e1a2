"""Every endpoint, every role: the permission matrix row by row."""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse
from rest_framework.test import APIClient

from deepreview.jobs.models import Job
from tests.conftest import client_for
from tests.factories import IdentityFactory, JobFactory, MediaItemFactory, MembershipFactory
from tests.security.permission_matrix import MATRIX, PUBLIC, USER_ONLY, expected_status

CALLERS = ["anon", "outsider", "viewer", "reviewer", "curator", "owner"]
PAGES = {
    "project-detail-page",
    "media-detail-page",
    "member-add-page",
    "member-change-page",
    "identity-add-page",
    "faceset-add-page",
    "faceset-detail-page",
    "swap-model-detail-page",
    "detection-page",
    "detection-explanations-page",
    "review-workspace-page",
    "review-page",
    "review-report-page",
    "exports-page",
}


def _target(team, name: str, method: str) -> tuple[str, dict]:
    """URL and request body for one row, with fresh objects to act on."""
    project = team.project
    pid = project.pk
    media = MediaItemFactory(project=project)
    if name == "project-list":
        return reverse(name), {"name": "New"}
    if name == "job-options":
        return reverse(name), {}
    if name == "project-detail":
        return reverse(name, args=[pid]), {"name": "Renamed"}
    if name == "member-list":
        extra = MembershipFactory(role="viewer").user  # a user in no role here yet
        return reverse(name, args=[pid]), {"username": extra.username, "role": "reviewer"}
    if name == "member-detail":
        membership = MembershipFactory(project=project, role="viewer")
        return reverse(name, args=[pid, membership.pk]), {"role": "reviewer"}
    if name == "identity-list":
        return reverse(name, args=[pid]), {"name": "Someone"}
    if name == "identity-detail":
        return reverse(name, args=[pid, IdentityFactory(project=project).pk]), {"name": "Other"}
    if name == "media-list":
        return reverse(name, args=[pid]), {}
    if name == "media-detail":
        return reverse(name, args=[pid, media.pk]), {"origin": "fake"}
    if name in ("job-list",):
        return reverse(name, args=[pid]), {}
    if name in ("job-detail", "job-cancel"):
        return reverse(name, args=[pid, JobFactory(project=project).pk]), {}
    if name == "job-retry":
        job = JobFactory(project=project, status=Job._meta.get_field("status").choices[3][0])
        return reverse(name, args=[pid, job.pk]), {}
    if name in ("demo-list", "demo-retry"):
        from deepreview.demo.models import DemoBuild

        DemoBuild.objects.get_or_create(project=project)
        return reverse(name, args=[pid]), {}
    if name == "job-artifact":
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        stored = default_storage.save(f"projects/{pid}/exports/x.zip", ContentFile(b"PK zip"))
        job = JobFactory(project=project, status="succeeded", result={"artifact": stored})
        return reverse(name, kwargs={"job_id": job.pk}), {}
    if name == "media-file":
        return reverse(name, kwargs={"media_id": media.pk, "variant": "original"}), {}
    if name == "faceset-add-page":
        return reverse(name, args=[pid]), {"name": "Person A faces"}
    if name == "faceset-detail-page":
        from tests.factories import FacesetFactory

        return reverse(name, args=[pid, FacesetFactory(project=project).pk]), {}
    if name.startswith(("faceset", "face-")):
        return _faceset_target(project, media, name)
    if name in ("detection-page", "detection-explanations-page", "exports-page"):
        return reverse(name, args=[pid]), {}
    if name.startswith(("detector", "detection")):
        return _detection_target(project, media, name)
    if name == "review-page":
        return reverse(name, args=[pid]), {}
    if name == "review-report-page":
        return reverse(name, args=[pid, media.pk]), {}
    if name.startswith(("artifactkind", "mark", "verdict", "assignment", "comment", "review")):
        return _review_target(team, media, name)
    if name.startswith(("export", "import")):
        return _export_target(project, name)
    if name == "media-frame":
        from django.core.files.base import ContentFile

        from tests.media_paths import PD_CLIP, require_shared_media

        require_shared_media()
        clip = ContentFile(PD_CLIP.read_bytes(), name="clip.mp4")
        video = MediaItemFactory(project=project, frame_count=259, file=clip)
        return reverse(name, kwargs={"media_id": video.pk, "frame": 3}), {}
    if name.startswith(("consent", "swap", "conversion")):
        return _swap_target(project, media, name)
    if name == "project-detail-page":
        return reverse(name, args=[pid]), {}
    if name in ("media-detail-page", "review-workspace-page"):
        return reverse(name, args=[pid, media.pk]), {}
    if name == "member-add-page":
        return reverse(name, args=[pid]), {
            "username": MembershipFactory().user.username,
            "role": "viewer",
        }
    if name == "member-change-page":
        membership = MembershipFactory(project=project, role="viewer")
        return reverse(name, args=[pid, membership.pk]), {"role": "reviewer"}
    if name == "identity-add-page":
        return reverse(name, args=[pid]), {"name": "Someone"}
    raise AssertionError(f"No target for {name}")


def _faceset_target(project, media, name: str) -> tuple[str, dict]:  # noqa: ANN001
    from deepreview.facesets import services as faceset_services
    from tests.factories import FaceFactory, FacesetFactory

    faceset = FacesetFactory(project=project)
    face = FaceFactory(faceset=faceset)
    pid = project.pk
    if name == "faceset-list":
        return reverse(name, args=[pid]), {"name": "New faceset"}
    if name == "faceset-extract":
        return reverse(name, args=[pid, faceset.pk]), {"media": [media.pk]}
    if name == "faceset-import-faces":
        return reverse(name, args=[pid, faceset.pk]), {"file": _zip_upload()}
    if name == "faceset-undo":
        event = faceset_services.faces_delete(faceset=faceset, face_ids=[face.pk], user=None)
        return reverse(name, args=[pid, faceset.pk]), {"event": event.pk}
    if name == "faceset-merge":
        return reverse(name, args=[pid, faceset.pk]), {"source": FacesetFactory(project=project).pk}
    if name == "faceset-dedupe":
        return reverse(name, args=[pid, faceset.pk]), {"dry_run": True}
    if name == "faceset-best":
        return reverse(name, args=[pid, faceset.pk]), {"count": 1, "dry_run": True}
    if name == "faceset-split":
        return reverse(name, args=[pid, faceset.pk]), {"by": "track", "dry_run": True}
    if name == "faceset-keep-person":
        return reverse(name, args=[pid, faceset.pk]), {"face": face.pk, "dry_run": True}
    if name == "face-move":
        target = FacesetFactory(project=project).pk
        return reverse(name, args=[pid, faceset.pk]), {"ids": [face.pk], "target": target}
    if name.startswith("faceset"):
        return reverse(name, args=[pid, faceset.pk]), {}
    if name == "face-file":
        return reverse(name, kwargs={"face_id": face.pk, "variant": "crop"}), {}
    if name == "face-detail":
        return reverse(name, args=[pid, faceset.pk, face.pk]), {}
    return reverse(name, args=[pid, faceset.pk]), {"ids": [face.pk]}


def _zip_upload():  # noqa: ANN202
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("00001_0.jpg", b"not checked until the job runs")
    return SimpleUploadedFile("faces.zip", buffer.getvalue(), content_type="application/zip")


def _swap_target(project, media, name: str) -> tuple[str, dict]:  # noqa: ANN001
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from deepreview.swaps.models import ConsentRecord
    from tests.factories import ConversionFactory, FaceFactory, SwapModelFactory

    pid = project.pk
    model = SwapModelFactory(project=project)
    if name.startswith("consent"):
        record = ConsentRecord.objects.create(
            faceset=model.faceset_a,
            basis="consent",
            subject="Person A",
            scope="research",
            evidence=ContentFile(b"signed", name="form.pdf"),
        )
        if name == "consent-evidence":
            return reverse(name, kwargs={"consent_id": record.pk}), {}
        args = [pid, model.faceset_a_id] + ([record.pk] if name == "consent-detail" else [])
        body = {
            "basis": "licence",
            "subject": "CC BY 4.0",
            "scope": "research",
            "reference": "https://creativecommons.org/licenses/by/4.0/",
        }
        return reverse(name, args=args), body
    if name == "swapmodel-list":
        body = {"name": "A to B", "faceset_a": model.faceset_a_id, "faceset_b": model.faceset_b_id}
        return reverse(name, args=[pid]), body
    if name == "swapmodel-train":
        for faceset in (model.faceset_a, model.faceset_b):
            ConsentRecord.objects.create(
                faceset=faceset, basis="consent", subject="x", scope="research", reference="form 1"
            )
            FaceFactory.create_batch(25, faceset=faceset)
        return reverse(name, args=[pid, model.pk]), {"iterations": 10}
    if name == "swapmodel-stop":
        JobFactory(project=project, kind="swap_train", params={"model_id": model.pk})
    if name in ("swapmodel-convert", "swapmodel-preview"):
        model.checkpoint = "projects/x/checkpoint.pt"
        model.save()
        return reverse(name, args=[pid, model.pk]), {"media": media.pk, "frame": 0}
    if name == "swap-preview-file":
        stored = default_storage.save(f"projects/{pid}/swaps/p.png", ContentFile(b"\x89PNG"))
        model.previews = [{"iteration": 10, "name": stored}]
        model.save()
        return reverse(name, kwargs={"model_id": model.pk, "iteration": 10}), {}
    if name.startswith("swapmodel") or name == "swap-model-detail-page":
        return reverse(name, args=[pid, model.pk]), {}
    conversion = ConversionFactory(project=project, swap_model=model)
    if name == "conversion-masks":
        return reverse(name, kwargs={"conversion_id": conversion.pk}), {}
    if name == "conversion-mask-frame":
        return reverse(name, kwargs={"conversion_id": conversion.pk, "frame": 1}), {}
    if name == "conversion-detail":
        return reverse(name, args=[pid, conversion.pk]), {}
    return reverse(name, args=[pid]), {}


def _detection_target(project, media, name: str) -> tuple[str, dict]:  # noqa: ANN001
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from tests.factories import DetectionRunFactory, DetectorFactory

    pid = project.pk
    detector = DetectorFactory(project=project, checkpoint="projects/x/detector.pt")
    if name == "detector-list":
        return reverse(name, args=[pid]), {"name": "Meso", "arch": "meso4"}
    if name == "detector-caught":
        return reverse(name, args=[pid]), {}
    if name == "detector-train":
        for origin in ("real", "real", "fake", "fake"):
            MediaItemFactory(project=project, origin=origin)
    if name.startswith("detector"):
        return reverse(name, args=[pid, detector.pk]), {}
    if name == "detection-list":
        return reverse(name, args=[pid]), {"media": [media.pk], "detector": detector.pk}
    stored = default_storage.save(f"projects/{pid}/d.json", ContentFile(b'{"frames": []}'))
    run = DetectionRunFactory(project=project, media=media, detector=detector, result=stored)
    if name == "detection-result":
        return reverse(name, kwargs={"run_id": run.pk}), {}
    return reverse(name, args=[pid, run.pk]), {}


def _review_target(team, media, name: str) -> tuple[str, dict]:  # noqa: ANN001
    """Marks and comments belong to the reviewer: reviewers change their own, curators
    and owners anyone's, so each role's row reaches the same answer."""
    from deepreview.review.models import ArtifactKind, Assignment, Comment, Mark

    project, pid = team.project, team.project.pk
    reviewer = team.users["reviewer"]
    if name == "artifactkind-list":
        return reverse(name, args=[pid]), {"slug": "watermark", "label": "Watermark"}
    if name == "artifactkind-detail":
        kind = ArtifactKind.objects.create(project=project, slug=f"k{media.pk}", label="K")
        return reverse(name, args=[pid, kind.pk]), {}
    if name == "mark-list":
        body = {"media": media.pk, "kind": "edge-seam", "start_frame": 1, "end_frame": 4}
        return f"{reverse(name, args=[pid])}?media={media.pk}", body
    if name == "mark-detail":
        mark = Mark.objects.create(
            project=project,
            media=media,
            kind="flicker",
            start_frame=0,
            end_frame=2,
            created_by=reviewer,
        )
        return reverse(name, args=[pid, mark.pk]), {"end_frame": 3, "version": 1}
    if name == "markexchange-export":
        return f"{reverse(name, args=[pid])}?media={media.pk}&format=cvat", {}
    if name == "markexchange-import":
        from django.core.files.uploadedfile import SimpleUploadedFile

        content = b'<annotations><tag frame="1" label="flicker"/></annotations>'
        upload = SimpleUploadedFile("marks.xml", content)
        return reverse(name, args=[pid]), {"file": upload, "media": media.pk, "format": "cvat"}
    if name == "verdict-list":
        body = {"media": media.pk, "label": "fake", "confidence": 0.7}
        return f"{reverse(name, args=[pid])}?media={media.pk}", body
    if name == "assignment-list":
        return reverse(name, args=[pid]), {"media": [media.pk], "reviewers": [reviewer.pk]}
    if name == "assignment-detail":
        assignment = Assignment.objects.create(project=project, media=media, reviewer=reviewer)
        return reverse(name, args=[pid, assignment.pk]), {}
    if name == "comment-list":
        body = {"media": media.pk, "frame": 3, "body": "look at the teeth"}
        return f"{reverse(name, args=[pid])}?media={media.pk}", body
    if name == "comment-detail":
        comment = Comment.objects.create(
            project=project, media=media, frame=1, author=reviewer, body="x"
        )
        return reverse(name, args=[pid, comment.pk]), {}
    if name in ("assignment-inbox", "review-list", "review-agreement"):
        return reverse(name, args=[pid]), {}
    if name == "review-adjudicate":
        return reverse(name, args=[pid, media.pk]), {"label": "real"}
    if name == "review-gold":
        return reverse(name, args=[pid, media.pk]), {"label": "real"}
    if name == "review-mark-changes":
        return f"{reverse(name, args=[pid, media.pk])}?since=0", {}
    return reverse(name, args=[pid, media.pk]), {}


def _export_target(project, name: str) -> tuple[str, object]:  # noqa: ANN001
    import io
    import zipfile

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from deepreview.exports.models import DatasetExport

    pid = project.pk
    if name == "import-list":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("export.json", '{"schema": "deepreview.dataset", "version": 1}')
        buffer.seek(0)
        buffer.name = "release.zip"
        return reverse(name), {"file": buffer, "name": "Imported"}
    for person in ("Ann", "Bo"):
        identity = IdentityFactory(project=project, name=f"{person}{pid}")
        MediaItemFactory(project=project, origin="real", identity=identity)
    body = {
        "name": "release",
        "selection": {"label_source": "ground_truth"},
        "options": {"ratios": [1, 0, 0]},
    }
    if name in ("export-list", "export-preview"):
        return reverse(name, args=[pid]), body
    export = DatasetExport.objects.create(project=project, name="r", selection={}, options={})
    if name == "export-download":
        export.artifact = default_storage.save(
            f"projects/{pid}/exports/r.zip", ContentFile(b"PK zip")
        )
        export.save()
        return reverse(name, kwargs={"export_id": export.pk}), {}
    return reverse(name, args=[pid, export.pk]), {}


def _call(client: APIClient, method: str, url: str, body: dict, *, name: str):  # noqa: ANN202
    if name in ("import-list", "markexchange-import", "faceset-import-faces") and method == "POST":
        return client.post(url, body, format="multipart")
    if name == "media-list" and method == "POST":
        from tests.media_paths import HOPPER, require_shared_media

        require_shared_media()
        with HOPPER.open("rb") as handle:
            return client.post(url, {"file": handle}, format="multipart")
    if method == "GET":
        return client.get(url)
    if name.endswith("-page"):
        return getattr(client, method.lower())(url, body)
    return getattr(client, method.lower())(url, body, format="json")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("name", "method", "min_role", "ok"), MATRIX)
def test_permission_matrix(team, caller, name, method, min_role, ok):
    url, body = _target(team, name, method)
    user = None if caller == "anon" else team.users[caller]
    page = name in PAGES
    if page:
        from django.test import Client

        client = Client()
        if user is not None:
            client.force_login(user)
    else:
        client = client_for(user)
    response = _call(client, method, url, body, name=name)
    response.close()  # file responses hold their file open until closed
    expected = expected_status(min_role, ok, caller, page=page)
    assert response.status_code == expected, (
        f"{caller} {method} {url}: {response.status_code}, expected {expected}: "
        f"{getattr(response, 'content', b'')[:300]!r}"
    )


def _routes() -> set[tuple[str, str]]:
    """(url name, method) for every named route; "*" for plain Django views."""
    routes: set[tuple[str, str]] = set()

    def walk(patterns) -> None:  # noqa: ANN001
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                if "admin" not in str(pattern.pattern):
                    walk(pattern.url_patterns)
                continue
            name = pattern.name
            if not name or name in PUBLIC or name in USER_ONLY or name.endswith("-format"):
                continue
            actions = getattr(pattern.callback, "actions", None)
            if actions:
                # HEAD runs the GET action: its row covers it.
                routes.update((name, m.upper()) for m in actions if m.upper() != "HEAD")
            else:
                routes.add((name, "*"))

    walk(get_resolver().url_patterns)
    return routes


def test_matrix_covers_every_endpoint():
    covered = {(name, method) for name, method, _, _ in MATRIX}
    covered |= {(name, "*") for name, _, _, _ in MATRIX}
    missing = sorted(_routes() - covered)
    assert not missing, f"Endpoints with no row in permission_matrix.py: {missing}"

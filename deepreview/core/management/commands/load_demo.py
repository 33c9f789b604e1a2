"""Create the demo project: an owner, a reviewer, identities and the fixture media.

Idempotent: running it again keeps what is there and adds what is missing.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction

from deepreview.media.services import media_upload
from deepreview.projects import services as project_services
from deepreview.projects.models import Identity, Membership, Project
from deepreview.projects.roles import Role
from deepreview.review.services import assignments_create

DEMO_PASSWORD = "deepreview-demo"
DEMO_PROJECT = "Demo: public-domain faces"
FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "media"

# fixture file -> (identity, origin); see fixtures/README.md for sources and licences.
DEMO_MEDIA = {
    "clips/pd_obama_2011_whitehouse_address.mp4": ("Barack Obama", "real"),
    "faces/pd_usnavy_grace_hopper.jpg": ("Grace Hopper", "real"),
    "faces/pd_congress_W000817_elizabeth_warren.jpg": ("Elizabeth Warren", "real"),
    "faces/pd_congress_K000367_amy_klobuchar.jpg": ("Amy Klobuchar", "real"),
    "faces/pd_congress_S000148_chuck_schumer.jpg": ("Chuck Schumer", "real"),
}


class Command(BaseCommand):
    help = "Create the demo users and project and load the fixture media."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--no-media", action="store_true", help="Users and project only")

    def handle(self, *args: object, no_media: bool = False, **options: object) -> None:
        users = {
            name: self._user(name, staff=(name == "demo-admin"))
            for name in ("demo-owner", "demo-reviewer", "demo-admin")
        }
        with transaction.atomic():
            project = Project.objects.filter(name=DEMO_PROJECT).first()
            if project is None:
                project = project_services.project_create(
                    name=DEMO_PROJECT,
                    created_by=users["demo-owner"],
                    description="Public-domain portraits and a White House address clip.",
                )
            Membership.objects.get_or_create(
                project=project, user=users["demo-reviewer"], defaults={"role": Role.REVIEWER}
            )
        if not no_media:
            self._load_media(project, users["demo-owner"], users["demo-reviewer"])
        self.stdout.write(self.style.SUCCESS(f"Demo project #{project.pk}: {project.name}"))
        self.stdout.write(
            f"Logins: demo-owner / {DEMO_PASSWORD} (owner), demo-reviewer / {DEMO_PASSWORD} "
            f"(reviewer), demo-admin / {DEMO_PASSWORD} (staff, /admin/)"
        )

    def _user(self, username: str, *, staff: bool) -> object:
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": staff, "is_superuser": staff}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _load_media(self, project: Project, owner: object, reviewer: object) -> None:
        for relative, (identity_name, origin) in DEMO_MEDIA.items():
            path = FIXTURES / relative
            if not path.exists():
                self.stderr.write(f"Missing fixture {path}; skipped.")
                continue
            identity, _ = Identity.objects.get_or_create(project=project, name=identity_name)
            with path.open("rb") as handle:
                upload = UploadedFile(handle, name=path.name, size=path.stat().st_size)
                item, created = media_upload(
                    project=project,
                    upload=upload,
                    uploaded_by=owner,
                    origin=origin,
                    identity_id=identity.pk,
                )
            self.stdout.write(f"  {'added' if created else 'kept '} {item.name}")
            if item.kind == "video":
                # The demo reviewer finds the clip in their review inbox.
                assignments_create(project=project, media_ids=[item.pk],
                                   reviewer_ids=[reviewer.pk], assigned_by=owner)  # fmt: skip

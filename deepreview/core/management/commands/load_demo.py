"""Create the demo project: an owner, a reviewer, identities and public-domain media.

Nothing borrowed is kept in the repository: the demo media (US federal government works)
is read from the shared media folder, ``settings.SHARED_MEDIA_DIR``
(``DEEPREVIEW_SHARED_MEDIA``, default ``../shared/media`` beside the repository), and the
project's description names each file's source and licence as that folder's
``SOURCES.md`` gives them. Without the folder the project is created empty and its
description says how to add media.

Idempotent: running it again keeps what is there and adds what is missing.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction

from deepreview.media.models import MediaItem
from deepreview.media.services import media_upload
from deepreview.projects import services as project_services
from deepreview.projects.models import Identity, Membership, Project
from deepreview.projects.roles import Role
from deepreview.review.services import assignments_create

DEMO_PASSWORD = "deepreview-demo"
DEMO_PROJECT = "Demo: public-domain faces"

# file in the shared media folder -> (identity, origin)
DEMO_MEDIA = {
    "real_videos/pd_obama_2011_whitehouse_address.mp4": ("Barack Obama", "real"),
    "real_images/pd_usnavy_grace_hopper.jpg": ("Grace Hopper", "real"),
    "real_images/pd_congress_W000817_elizabeth_warren.jpg": ("Elizabeth Warren", "real"),
    "real_images/pd_congress_K000367_amy_klobuchar.jpg": ("Amy Klobuchar", "real"),
    "real_images/pd_congress_S000148_chuck_schumer.jpg": ("Chuck Schumer", "real"),
}

EMPTY_DESCRIPTION = (
    "No media yet. The demo's public-domain clip and portraits are read from the shared "
    "media folder, which was not found: set DEEPREVIEW_SHARED_MEDIA to the folder holding "
    "real_videos/ and real_images/ (default ../shared/media beside the repository) and run "
    "`python manage.py load_demo` again, or upload your own videos and photos here."
)


def media_sources(shared: Path, relative: str) -> tuple[str, str] | None:
    """(source, licence) of one shared file, from the ``SOURCES.md`` that lists it.

    Entries are ``### <path>`` sections with ``- **Repo / path:**``, ``- **Commit:**`` and
    ``- **Licence / provenance:**`` lines; a subfolder may have its own SOURCES.md.
    """
    candidates = [(shared / "SOURCES.md", relative)]
    head, _, rest = relative.partition("/")
    if rest:
        candidates.append((shared / head / "SOURCES.md", rest))
    for sources, name in candidates:
        if not sources.is_file():
            continue
        fields: dict[str, str] = {}
        inside = False
        for line in sources.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                if inside:
                    break
                inside = line.strip() == f"### {name}"
            elif inside and line.startswith("- **") and ":**" in line:
                key, _, value = line[4:].partition(":**")
                fields[key.strip()] = value.strip().replace("`", "")
        if "Repo / path" in fields:
            source = fields["Repo / path"].replace(" : ", ": ")
            commit = fields.get("Commit", "").split("last commit touching the file ")
            if len(commit) == 2:
                source += f" @ {commit[1].split(';')[0].strip()[:8]}"
            return source, fields.get("Licence / provenance", "licence not stated")
    return None


def sources_description(shared: Path, relatives: list[str]) -> str:
    lines = [
        "Public-domain portraits and a White House address clip (US federal government "
        "works), read from the shared media folder. Sources and licences, from its "
        "SOURCES.md:"
    ]
    for relative in relatives:
        found = media_sources(shared, relative)
        name = Path(relative).name
        if found is None:
            lines.append(f"{name}: no entry in SOURCES.md.")
        else:
            source, licence = found
            lines.append(f"{name}: {source}. Licence: {licence}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Create the demo users and project and load the public-domain shared media."

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
                    name=DEMO_PROJECT, created_by=users["demo-owner"], description=EMPTY_DESCRIPTION
                )
            Membership.objects.get_or_create(
                project=project, user=users["demo-reviewer"], defaults={"role": Role.REVIEWER}
            )
        shared = Path(settings.SHARED_MEDIA_DIR)
        used: list[str] = []
        if no_media:
            pass
        elif shared.is_dir():
            used = self._load_media(project, shared, users["demo-owner"], users["demo-reviewer"])
        else:
            self.stderr.write(
                f"No shared media at {shared} (DEEPREVIEW_SHARED_MEDIA): the demo project "
                "stays without media."
            )
        if used:
            description = sources_description(shared, used)
        elif not MediaItem.objects.filter(project=project).exists():
            description = EMPTY_DESCRIPTION
        else:
            description = project.description  # media from an earlier run: keep its sources
        if project.description != description:
            project.description = description
            project.save(update_fields=["description"])
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

    def _load_media(
        self, project: Project, shared: Path, owner: object, reviewer: object
    ) -> list[str]:
        """Add the demo files that are in ``shared``; returns those now in the project."""
        used = []
        for relative, (identity_name, origin) in DEMO_MEDIA.items():
            path = shared / relative
            if not path.is_file():
                self.stderr.write(f"Missing shared media file {path}; skipped.")
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
            used.append(relative)
            self.stdout.write(f"  {'added' if created else 'kept '} {item.name}")
            if item.kind == "video":
                # The demo reviewer finds the clip in their review inbox.
                assignments_create(project=project, media_ids=[item.pk],
                                   reviewer_ids=[reviewer.pk], assigned_by=owner)  # fmt: skip
        return used

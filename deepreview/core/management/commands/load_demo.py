"""Create the demo accounts and project, load the demo media and start building the demo.

Nothing borrowed is kept in the repository: the demo media is read from the shared
media folder, ``settings.SHARED_MEDIA_DIR`` (``DEEPREVIEW_SHARED_MEDIA``, default
``../shared/media`` beside the repository), and the project's description names each
file's source and licence as that folder's ``SOURCES.md`` gives them. Without the folder
the project is created empty and its description says how to add media.

The rest of the demo (facesets, a swap model and its fake, detection, review, an export)
is built by the worker, step by step (``deepreview.demo.services``); the project page
shows its progress. Idempotent: running it again keeps what is there and adds what is
missing.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from deepreview.demo.services import (
    ADMIN,
    DEMO_PASSWORD,
    OWNER,
    REVIEWER,
    SECOND_REVIEWER,
    demo_load,
)


class Command(BaseCommand):
    help = "Create the demo users and project, load the shared media and start the demo build."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--no-media", action="store_true", help="Users and project only")

    def handle(self, *args: object, no_media: bool = False, **options: object) -> None:
        shared = Path(settings.SHARED_MEDIA_DIR)
        load = demo_load(shared=shared, with_media=not no_media)
        if not no_media and not load.shared_found:
            self.stderr.write(
                f"No shared media at {shared} (DEEPREVIEW_SHARED_MEDIA): the demo project "
                "stays without media."
            )
        for relative in load.missing:
            self.stderr.write(f"Missing shared media file {shared / relative}; skipped.")
        for relative in load.added:
            self.stdout.write(f"  added {Path(relative).name}")
        for relative in load.kept:
            self.stdout.write(f"  kept  {Path(relative).name}")
        project = load.project
        self.stdout.write(self.style.SUCCESS(f"Demo project #{project.pk}: {project.name}"))
        if load.added or load.kept:
            self.stdout.write(
                "The worker builds the rest of the demo (facesets, a swap model and its fake, "
                "detection, review, an export); the project page shows its progress."
            )
        self.stdout.write(
            f"Logins: {OWNER} / {DEMO_PASSWORD} (owner), {REVIEWER} and {SECOND_REVIEWER} / "
            f"{DEMO_PASSWORD} (reviewers), {ADMIN} / {DEMO_PASSWORD} (staff, /admin/)"
        )

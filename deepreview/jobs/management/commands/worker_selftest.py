"""Queue a self-test job on a queue and (optionally) wait for a worker to run it."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from deepreview.jobs import services
from deepreview.jobs.kinds import QUEUES
from deepreview.jobs.models import FINAL_STATUSES, Job
from deepreview.projects.models import Project


class Command(BaseCommand):
    help = "Check that a worker on QUEUE is alive: queue a self-test job and follow it."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument(
            "--project", type=int, required=True, help="project id to file it under"
        )
        parser.add_argument("--queue", default="cpu", choices=QUEUES)
        parser.add_argument("--seconds", type=float, default=3.0)
        parser.add_argument("--timeout", type=float, default=60.0, help="0 = do not wait")

    def handle(self, *args: object, **options: object) -> None:
        if not Project.objects.filter(pk=options["project"]).exists():
            raise CommandError(f"No project #{options['project']}.")
        job = services.job_create(
            project_id=options["project"],
            kind="selftest",
            queue=options["queue"],
            params={"seconds": options["seconds"], "steps": 10},
        )
        self.stdout.write(f"Queued self-test job #{job.pk} on '{options['queue']}'.")
        deadline = time.monotonic() + float(options["timeout"])
        while options["timeout"] and time.monotonic() < deadline:
            job = Job.objects.get(pk=job.pk)
            self.stdout.write(f"  {job.status:9} {job.progress:4.0%} {job.message}")
            if job.status in FINAL_STATUSES:
                if job.status != "succeeded":
                    raise CommandError(f"Self-test {job.status}: {job.error or job.message}")
                self.stdout.write(self.style.SUCCESS(f"Worker {job.worker_host} is healthy."))
                return
            time.sleep(1)
        if options["timeout"]:
            raise CommandError("No worker finished the self-test in time; is one consuming it?")

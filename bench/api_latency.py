"""API latency under a realistic project size: prints p50/p95 per endpoint.

    .venv/bin/python bench/api_latency.py [--media 2000] [--jobs 2000] [--requests 200]

Runs in-process against a scratch SQLite database (or DATABASE_URL) with the
Django test client, so it measures the app (queries, serialisation), not the
network.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--media", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="deepreview-bench-")
    os.environ.setdefault("DEEPREVIEW_DATA_DIR", scratch)
    os.environ.setdefault("DEEPREVIEW_DEBUG", "true")
    os.environ["DJANGO_SETTINGS_MODULE"] = "deepreview.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    call_command("migrate", verbosity=0)

    from django.contrib.auth import get_user_model

    from deepreview.jobs.models import Job
    from deepreview.media.models import MediaItem
    from deepreview.projects.services import project_create

    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    project = project_create(name="bench", created_by=user)
    MediaItem.objects.bulk_create(
        MediaItem(
            project=project,
            kind="video",
            name=f"clip{i}.mp4",
            file=f"x/{i}.mp4",
            size_bytes=1,
            sha256=f"{i:064x}",
            width=640,
            height=360,
            fps=25,
            frame_count=250,
            status="ready",
        )
        for i in range(args.media)
    )
    Job.objects.bulk_create(
        Job(project=project, kind="probe", status="succeeded") for _ in range(args.jobs)
    )
    client = Client()
    client.force_login(user)
    endpoints = {
        "media list (48)": f"/api/projects/{project.pk}/media/?page_size=48",
        "media list filtered": f"/api/projects/{project.pk}/media/?page_size=48&origin=unknown",
        "jobs list (20)": f"/api/projects/{project.pk}/jobs/?page_size=20",
        "project page": f"/projects/{project.pk}/",
    }
    print(f"{args.media} media, {args.jobs} jobs, {args.requests} requests each")
    print(f"{'endpoint':24} {'p50 ms':>8} {'p95 ms':>8}")
    for name, url in endpoints.items():
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"{name:24} {statistics.median(times):8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()

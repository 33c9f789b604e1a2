"""Workers killed mid-job: does every job still end once, with nothing written twice?

    .venv/bin/python bench/chaos.py [--kills 20] [--seed 0] [--timeout 300]

Runs a real Celery worker (prefork, one pool process) on a scratch embedded stack
(SQLite and the filesystem broker in a temporary folder), loads the public-domain clip
from the shared media, then repeats ``--kills`` times: queue an extract, detect or
dataset-export job, wait a random moment after it starts running, SIGKILL the worker's
pool process (the worker itself survives and starts a new one; the job's message was
not acknowledged, so it is delivered again), and wait for the job to end.

Prints, per round and in total: jobs finished (succeeded), failed with a reason, stuck
(not ended after ``--timeout`` seconds) and duplicated (faces, detection runs or
exports written twice for one job). The targets are 0 stuck and 0 duplicates.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("DEEPREVIEW_SHARED_MEDIA", REPO.parent / "shared" / "media"))
CLIP = SHARED / "real_videos" / "pd_obama_2011_whitehouse_address.mp4"
KINDS = ("extract", "detect", "dataset_export")


def _pool_pids(worker_pid: int) -> list[int]:
    """The worker's child processes (its pool), whichever of its threads started them."""
    pids: set[int] = set()
    for children in Path(f"/proc/{worker_pid}/task").glob("*/children"):
        pids.update(int(p) for p in children.read_text().split())
    return sorted(pids)


def _wait(predicate, timeout: float, interval: float = 0.2):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    if not CLIP.is_file():
        sys.exit(f"{CLIP} is missing: set DEEPREVIEW_SHARED_MEDIA")
    scratch = Path(tempfile.mkdtemp(prefix="deepreview-chaos-"))
    os.environ.update(
        DEEPREVIEW_DEBUG="true",
        DEEPREVIEW_DATA_DIR=str(scratch),
        DJANGO_SETTINGS_MODULE="deepreview.settings",
        DEEPREVIEW_JOB_PROGRESS_INTERVAL="0.2",
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from deepreview.detection import services as detection_services
    from deepreview.detection.models import DetectionRun
    from deepreview.exports import services as export_services
    from deepreview.exports.models import DatasetExport
    from deepreview.facesets import services as faceset_services
    from deepreview.facesets.models import Face
    from deepreview.jobs.models import FINAL_STATUSES, Job
    from deepreview.media.models import MediaItem
    from deepreview.media.services import media_add_local
    from deepreview.projects import services as project_services

    owner = get_user_model().objects.create_user("chaos", password="chaos-bench")
    project = project_services.project_create(name="chaos", created_by=owner)
    log = (scratch / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "deepreview",
            "worker",
            "-Q",
            "cpu,io,gpu",
            "--concurrency",
            "1",
            "-n",
            "chaos@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        item, _ = media_add_local(
            project=project, path=CLIP, name=CLIP.name, added_by=owner, origin="real"
        )
        ready = _wait(lambda: MediaItem.objects.get(pk=item.pk).status == "ready", 120)
        if not ready:
            sys.exit(f"the clip was not probed; see {scratch / 'worker.log'}")
        faceset = faceset_services.faceset_create(project=project, name="chaos", created_by=owner)
        rng = random.Random(args.seed)
        totals = {"succeeded": 0, "failed": 0, "stuck": 0, "duplicated": 0, "killed": 0}
        print(
            f"{'round':>5s} {'job':14s} {'killed after':>12s} {'ended':10s} {'attempts':>8s} "
            f"{'seconds':>7s}  duplicates"
        )
        for number in range(1, args.kills + 1):
            kind = KINDS[(number - 1) % len(KINDS)]
            if kind == "extract":
                [job] = faceset_services.faceset_extract(
                    faceset=faceset,
                    media_ids=[item.pk],
                    options={"target_fps": 4.0},
                    requested_by=owner,
                )
            elif kind == "detect":
                [job] = detection_services.detect_request(
                    project=project,
                    media_ids=[item.pk],
                    detector_id=None,
                    options={},
                    requested_by=owner,
                )
            else:
                export = export_services.export_request(
                    project=project,
                    name=f"chaos-{number}",
                    requested_by=owner,
                    selection={"label_source": "ground_truth", "labels": ["real"]},
                    options={"frames_per_video": 4, "ratios": [1, 0, 0]},
                )
                job = export.job
            started = time.monotonic()
            _wait(lambda pk=job.pk: Job.objects.get(pk=pk).status == "running", 60, 0.05)
            delay = rng.uniform(0.2, 2.0)
            time.sleep(delay)
            killed = ""
            if Job.objects.get(pk=job.pk).status == "running":
                for pid in _pool_pids(worker.pid):
                    os.kill(pid, signal.SIGKILL)
                    killed = f"{delay:.1f} s"
                    totals["killed"] += 1
            ended = _wait(
                lambda pk=job.pk: Job.objects.get(pk=pk).status in FINAL_STATUSES, args.timeout
            )
            job.refresh_from_db()
            duplicates = []
            if kind == "extract":
                saved = job.result.get("faces_saved") if ended else None
                rows = Face.objects.filter(job=job).count()
                if saved is not None and rows != saved:
                    duplicates.append(f"{rows} face rows for {saved} faces")
            elif kind == "detect":
                runs = DetectionRun.objects.filter(job=job).count()
                if runs > 1:
                    duplicates.append(f"{runs} detection runs")
            else:
                artifacts = DatasetExport.objects.filter(job=job).exclude(artifact="").count()
                if artifacts > 1:
                    duplicates.append(f"{artifacts} exports")
            status = job.status if ended else "STUCK"
            totals[
                "stuck" if not ended else "succeeded" if status == "succeeded" else "failed"
            ] += 1
            totals["duplicated"] += bool(duplicates)
            print(
                f"{number:5d} {kind:14s} {killed or 'not killed':>12s} {status:10s} "
                f"{job.attempts:8d} {time.monotonic() - started:7.1f}  "
                f"{'; '.join(duplicates) or '-'}",
                flush=True,
            )
            if status == "failed":
                print(f"      reason: {job.error.splitlines()[0] if job.error else '?'}")
        print(
            f"\nkills {totals['killed']}: succeeded {totals['succeeded']}, failed with a "
            f"reason {totals['failed']}, stuck {totals['stuck']}, duplicated "
            f"{totals['duplicated']} (targets: 0 stuck, 0 duplicated)"
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        print(f"scratch data and worker log: {scratch}")


if __name__ == "__main__":
    main()

"""The review API under load: p95 of saving a mark and of loading the timeline data of
an 18,000-frame video while 50 simulated reviewers work at once, against the app served
by gunicorn on Postgres, beside the p95 of a trivial endpoint measured in the same run.

    .venv/bin/python bench/api_load.py [--database-url postgres://USER@HOST:PORT/NAME]
        [--seconds 30] [--warmup 5] [--reviewers 50] [--marks 2000] [--frames 18000]
        [--workers 5] [--threads 1] [--conn-max-age 60] [--think 0.5-1.5]
        [--mix timeline=2,save=2,trivial=1] [--recreate] [--samples FILE.csv]

1. Creates the database if it is missing (``--recreate`` drops it first), migrates it
   and seeds a project owned by this script (its users and project are named
   ``apiload-*`` and re-made on every run, so runs do not pile up marks): 50 reviewers
   with API tokens, a ready 18,000-frame 30 fps video (no file: these endpoints only
   read the row) with a 240-tile sprite and two detection runs whose series hold 32
   analysed frames plus 465 landmark-only samples of the 7 signals, 2,000 marks by the
   50 reviewers and a verdict from half of them; and a 300-frame video with 20 marks.
2. Counts the SQL queries of each measured request in-process (Django test client,
   ``CaptureQueriesContext``) on both videos, which must be equal, with the time each
   takes in-process and the part of it spent in Postgres.
3. Starts gunicorn on a free localhost port (``DEEPREVIEW_DEBUG=false``, persistent
   database connections unless ``--conn-max-age 0``) and runs the reviewers as threads
   with stdlib ``http.client`` (the lightest client: it shares the CPUs with the
   server), each picking timeline / save / trivial by ``--mix`` and thinking a uniform
   ``--think`` between requests. Latency is measured at the client, connection and
   all. After ``--warmup`` seconds it records ``--seconds`` seconds.
4. Prints the environment, the latency table, the targets with PASS/FAIL and how many
   cores gunicorn, Postgres, the client and other programs used meanwhile.

The default server is 5 sync workers (2 x cores + 1 on the 2-core machine it was tuned
on): requests are CPU-bound Python, so threads in one process (gthread) queue a cheap
save behind a timeline serialisation holding the GIL, while separate processes let the
kernel share the cores among them. The trivial endpoint is the project detail: token
auth, the membership check and one small row, the fixed cost every endpoint pays.

Targets (issue 6): saving a mark p95 <= 50 ms and <= 2x the trivial endpoint's p95;
timeline data p95 <= 200 ms; SQL queries per request independent of marks and frames.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/deepreview_bench"
PREFIX = "apiload-"  # names of the users and project this script owns and re-makes
SAVE, TIMELINE, TRIVIAL = "save", "timeline", "trivial"
LABELS = {
    SAVE: "save a mark      POST /api/projects/<p>/marks/",
    TIMELINE: "timeline data    GET  /api/projects/<p>/reviews/<id>/timeline/",
    TRIVIAL: "trivial          GET  /api/projects/<p>/  (project detail)",
}
EXPECTED_STATUS = {SAVE: 201, TIMELINE: 200, TRIVIAL: 200}
SAVE_P95_MS, SAVE_TO_TRIVIAL, TIMELINE_P95_MS = 50.0, 2.0, 200.0

# name: (artifact kind, unit, higher_is_suspicious, temporal) as the detection library's
# signal plugins declare them; temporal ones are measured on every sample, the others
# on analysed frames only, which is what makes the series partly null.
SIGNALS = {
    "face_blur": ("face-blur", "log2 ratio", True, False),
    "edge_seam": ("edge-seam", "log2 ratio", True, False),
    "skin_tone": ("skin-tone-mismatch", "delta E (Lab)", True, False),
    "mouth_sharpness": ("teeth", "log2 ratio", True, False),
    "flicker": ("flicker", "log2 ratio", True, True),
    "landmark_jitter": ("unnatural-head-movement", "% of face width", True, True),
    "blinking": ("gaze-error", "eye aspect ratio", None, True),
}


# -- figures ---------------------------------------------------------------------------


def percentile(sorted_ms: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (NaN when empty)."""
    if not sorted_ms:
        return math.nan
    return sorted_ms[max(math.ceil(pct / 100 * len(sorted_ms)) - 1, 0)]


@dataclass
class Recorder:
    """Latencies and errors of the recorded window, shared by the reviewer threads."""

    times: dict[str, list[float]] = field(default_factory=lambda: {n: [] for n in LABELS})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    samples: list[str] = field(default_factory=list)  # the first few error messages
    log: list[tuple[float, str, float, bool]] = field(default_factory=list)  # for --samples
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, started: float, ms: float, error: str | None) -> None:
        with self.lock:
            self.times[name].append(ms)
            self.log.append((started, name, ms, error is None))
            if error is not None:
                self.errors[name] += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{name}: {error}")


# -- database --------------------------------------------------------------------------


def ensure_database(url: str, *, recreate: bool) -> None:
    """Create the database named in ``url`` (dropping it first with ``recreate``) through
    the server's ``postgres`` maintenance database."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if recreate:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


# -- seed ------------------------------------------------------------------------------


@dataclass
class Seed:
    project: int
    big: int  # the 18,000-frame video
    small: int  # the 300-frame video
    tokens: list[str]  # one per reviewer
    big_marks: int


def detection_series(frame_count: int, fps: float, rng: random.Random) -> dict:
    """A run's ``series`` as ``deepreview.detection.services.detection_series`` writes
    it, for a run with the job's defaults: 32 analysed frames spread over the video,
    plus landmark-only samples at 15 fps within half a second of each (the temporal
    signals' window); spatial signals and the score exist on analysed frames only."""
    analysed = sorted({round(i * (frame_count - 1) / 31) for i in range(32)})
    step, half = max(round(fps / 15), 1), round(fps / 2)
    temporal = {
        j
        for i in analysed
        for j in range(max(i - half, 0), min(i + half, frame_count - 1) + 1)
        if j % step == 0
    } - set(analysed)
    frames = sorted(set(analysed) | temporal)
    is_analysed = [f in set(analysed) for f in frames]

    def value(on: bool, scale: float) -> float | None:
        return round(rng.gauss(0, 1) * scale, 5) if on else None

    signals = {}
    for name, (kind, unit, higher, is_temporal) in SIGNALS.items():
        present = [is_temporal or a for a in is_analysed]
        signals[name] = {
            "kind": kind,
            "description": f"{name.replace('_', ' ')} against the video's own "
            "typical value (robust z, 0.5 is typical)",
            "unit": unit,
            "higher_is_suspicious": higher,
            "norm": [
                None if v is None else round(min(max(0.5 + v / 6, 0), 1), 5)
                for v in (value(p, 1.0) for p in present)
            ],
            "raw": [value(p, 2.0) for p in present],
        }
    return {
        "frames": frames,
        "score": [round(rng.random(), 5) if a else None for a in is_analysed],
        "threshold": 0.5,
        "signals": signals,
    }


def seed_video(
    *, project: object, reviewers: list, name: str, frames: int, marks: int, rng: random.Random
) -> tuple[int, int]:
    """A ready video row with sprite, two detection runs, ``marks`` marks and a verdict
    from half the reviewers; returns (media id, marks)."""
    from deepreview.detection.models import DetectionRun
    from deepreview.media.models import MediaItem
    from deepreview.review.models import Mark, Verdict
    from deepreview.review.taxonomy import builtin_kinds

    fps = 30.0
    every = max(math.ceil(frames / 240), 1)
    indices = list(range(0, frames, every))
    media = MediaItem.objects.create(
        project=project,
        kind="video",
        name=name,
        file=f"bench/{name}",
        size_bytes=frames * 4000,
        sha256=f"{rng.getrandbits(256):064x}",
        status="ready",
        container="mov,mp4,m4a,3gp,3g2,mj2",
        codec="h264",
        pix_fmt="yuv420p",
        width=1280,
        height=720,
        fps=fps,
        frame_count=frames,
        duration_seconds=frames / fps,
        origin="fake",
        poster=f"bench/{name}.poster.jpg",
        sprite=f"bench/{name}.sprite.jpg",
        frame_pts=f"bench/{name}.pts.json",
        sprite_meta={
            "columns": 16,
            "rows": math.ceil(len(indices) / 16),
            "tile_width": 160,
            "tile_height": 90,
            "every_n_frames": every,
            "frame_indices": indices,
        },
    )
    # An older signals-only run and a newer scored one: the timeline picks the scored.
    for scored in (False, True):
        DetectionRun.objects.create(
            project=project,
            media=media,
            detector_name="meso4 (bench)" if scored else "",
            status="ok",
            score_mean=0.71 if scored else None,
            score_confident=0.83 if scored else None,
            threshold=0.5 if scored else None,
            label="fake" if scored else "",
            frames_analysed=32,
            frames_with_faces=32,
            signals={n: {"kind": k, "unit": u} for n, (k, u, _, _) in SIGNALS.items()},
            result="",
            series=detection_series(frames, fps, rng),
            seconds=7.5,
        )
    kinds = [k.slug for k in builtin_kinds()]
    rows = []
    for i in range(marks):
        author = reviewers[i % len(reviewers)]
        fields = mark_body(rng, media.pk, frames, kinds)
        del fields["media"]
        rows.append(
            Mark(project=project, media=media, created_by=author, updated_by=author, **fields)
        )
    Mark.objects.bulk_create(rows, batch_size=1000)
    Verdict.objects.bulk_create(
        Verdict(project=project, media=media, reviewer=user, label="fake", confidence=0.8)
        for user in reviewers[::2]
    )
    return media.pk, marks


def seed(args: argparse.Namespace) -> Seed:
    """Re-make this script's users and project (earlier runs' rows are deleted, so runs
    do not accumulate marks) and return what the reviewers need."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from deepreview.projects.models import Membership, Project
    from deepreview.projects.roles import Role
    from deepreview.projects.services import project_create

    rng = random.Random(args.seed)
    user_model = get_user_model()
    Project.objects.filter(name__startswith=PREFIX).delete()
    user_model.objects.filter(username__startswith=PREFIX).delete()
    # Unusable passwords: hashing 50 real ones would take longer than the whole seed.
    owner = user_model.objects.create(username=f"{PREFIX}owner", password=make_password(None))
    project = project_create(name=f"{PREFIX}project", created_by=owner)
    reviewers = user_model.objects.bulk_create(
        user_model(username=f"{PREFIX}reviewer{i:02d}", password=make_password(None))
        for i in range(args.reviewers)
    )
    Membership.objects.bulk_create(
        Membership(project=project, user=user, role=Role.REVIEWER, added_by=owner)
        for user in reviewers
    )
    tokens = Token.objects.bulk_create(Token(key=Token.generate_key(), user=u) for u in reviewers)
    big, big_marks = seed_video(
        project=project,
        reviewers=reviewers,
        name="long-review.mp4",
        frames=args.frames,
        marks=args.marks,
        rng=rng,
    )
    small, _ = seed_video(
        project=project, reviewers=reviewers, name="short-review.mp4", frames=300, marks=20, rng=rng
    )
    return Seed(project.pk, big, small, [t.key for t in tokens], big_marks)


# -- requests --------------------------------------------------------------------------


def mark_body(rng: random.Random, media: int, frames: int, kinds: list[str]) -> dict:
    """A mark as the annotator sends it (the seed makes the existing ones the same way): a
    range of up to 10 s, a region box half the time, a note now and then."""
    start = rng.randrange(frames)
    body: dict = {
        "media": media,
        "kind": rng.choice(kinds),
        "start_frame": start,
        "end_frame": min(start + rng.randrange(300), frames - 1),
    }
    if rng.random() < 0.5:
        x0, y0 = rng.uniform(0, 0.7), rng.uniform(0, 0.7)
        body["region"] = [round(x0, 5), round(y0, 5), round(x0 + 0.25, 5), round(y0 + 0.3, 5)]
    if rng.random() < 0.3:
        body["note"] = "blending halo along the jaw, strongest when the head turns"
    return body


def request_for(
    name: str, seed: Seed, media: int, frames: int, rng: random.Random, kinds: list[str]
) -> tuple[str, str, bytes | None]:
    base = f"/api/projects/{seed.project}/"
    if name == SAVE:
        return "POST", base + "marks/", json.dumps(mark_body(rng, media, frames, kinds)).encode()
    if name == TIMELINE:
        return "GET", base + f"reviews/{media}/timeline/", None
    return "GET", base, None


@dataclass
class SqlTimer:
    """Seconds spent in cursor.execute (Postgres and the transfer), to the microsecond:
    the query log's own times are rounded to the millisecond."""

    seconds: float = 0.0

    def __call__(
        self, execute: Callable, sql: str, params: object, many: bool, context: dict
    ) -> object:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def count_queries(seed: Seed, args: argparse.Namespace, repeat: int = 5) -> dict[str, list]:
    """Per endpoint and video size: (query counts seen, median ms in-process, median ms
    of it waiting on SQL, response bytes)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from deepreview.review.taxonomy import builtin_kinds

    kinds = [k.slug for k in builtin_kinds()]
    client = Client(HTTP_AUTHORIZATION=f"Token {seed.tokens[0]}")
    rng = random.Random(args.seed)
    figures: dict[str, list] = {}
    for name in LABELS:
        figures[name] = []
        for media, frames in ((seed.small, 300), (seed.big, args.frames)):
            counts, total, sql_ms = set(), [], []
            for i in range(repeat + 1):  # the first request of a process loads URLconf etc.
                method, path, body = request_for(name, seed, media, frames, rng, kinds)
                timer = SqlTimer()
                with (
                    CaptureQueriesContext(connection) as queries,
                    connection.execute_wrapper(timer),
                ):
                    started = time.perf_counter()
                    if method == "POST":
                        response = client.post(path, body, content_type="application/json")
                    else:
                        response = client.get(path)
                    elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != EXPECTED_STATUS[name]:
                    raise SystemExit(
                        f"{method} {path}: {response.status_code} {response.content!r}"
                    )
                counts.add(len(queries))
                if i:
                    total.append(elapsed)
                    sql_ms.append(timer.seconds * 1000)
            middle = repeat // 2
            figures[name].append(
                (counts, sorted(total)[middle], sorted(sql_ms)[middle], len(response.content))
            )
    return figures


# -- the server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_cpu_seconds(pid: int | None) -> float:
    """CPU seconds of a process tree (Linux /proc; 0 elsewhere): each live process's own
    time plus what its exited, reaped children used (cutime, cstime), so Postgres
    backends that ended with their connection still count."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:
        return 0.0
    own = sum(int(v) for v in stat[11:15]) / os.sysconf("SC_CLK_TCK")
    return own + sum(process_cpu_seconds(child) for child in children)


def postmaster_pid() -> int | None:
    """The local Postgres server's main process: the parent of this connection's backend
    (None when the database runs elsewhere)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot (Linux /proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / os.sysconf("SC_CLK_TCK"), total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def gunicorn(
    args: argparse.Namespace, env: dict[str, str], log: Path, probe: tuple[str, str]
) -> Iterator[subprocess.Popen]:
    """Run gunicorn until the block ends, however it ends (Ctrl-C included): SIGTERM for
    a graceful stop, then SIGKILL to its process group if it lingers."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "deepreview.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        args.worker_class,
        # gthread: longer than the longest think time, so idle reviewers keep their
        # connection (sync workers close it after every response; the client reconnects).
        "--keep-alive",
        "5",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        # Its own session: a Ctrl-C meant for this script does not reach gunicorn before
        # the finally below stops it in order.
        server = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_up(server, args.port, probe, log)
        yield server
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def wait_until_up(server: subprocess.Popen, port: int, probe: tuple[str, str], log: Path) -> None:
    path, token = probe
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers={"Authorization": f"Token {token}"})
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
            raise SystemExit(f"gunicorn answers {status} on {path}:\n{log.read_text()[-3000:]}")
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not come up in 60 s:\n{log.read_text()[-3000:]}")


# -- the reviewers -----------------------------------------------------------------------


def reviewer(
    index: int,
    token: str,
    seed: Seed,
    args: argparse.Namespace,
    recorder: Recorder,
    recording: threading.Event,
    stop: threading.Event,
) -> None:
    """One reviewer: pick an action by ``--mix``, time it (connection and all), think."""
    from deepreview.review.taxonomy import builtin_kinds

    rng = random.Random(args.seed * 1000 + index)
    kinds = [k.slug for k in builtin_kinds()]
    names, weights = zip(*args.mix.items(), strict=True)
    headers = {
        "Authorization": f"Token {token}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
    stop.wait(rng.uniform(0, args.think[1] or 0.2))  # staggered starts, not one burst
    while not stop.is_set():
        name = rng.choices(names, weights)[0]
        method, path, body = request_for(name, seed, seed.big, args.frames, rng, kinds)
        recorded = recording.is_set()
        started = time.perf_counter()
        error = None
        for attempt in (1, 2):
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                if response.status != EXPECTED_STATUS[name]:
                    error = f"{response.status} {payload[:200]!r}"
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # The server closed an idle keep-alive connection just before this
                # request: reconnect once, as every HTTP client library does.
                conn.close()
                error = repr(exc) if attempt == 2 else None
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                error = repr(exc)
                break
        if recorded:
            recorder.add(name, started, (time.perf_counter() - started) * 1000, error)
        if args.think[1] > 0:
            stop.wait(rng.uniform(*args.think))
    conn.close()


def cpu_snapshot(server: int, postgres: int | None) -> dict[str, float]:
    busy, total = machine_cpu_seconds()
    return {
        "busy": busy,
        "total": total,
        "client": time.process_time(),  # every reviewer thread of this process
        "gunicorn": process_cpu_seconds(server),
        "postgres": process_cpu_seconds(postgres),
    }


def run_load(
    seed: Seed, args: argparse.Namespace, server: subprocess.Popen, postgres: int | None
) -> dict:
    """Warm up, then record ``--seconds``; returns the recorder, the window's length and
    the CPU seconds each party used in it."""
    recorder, recording, stop = Recorder(), threading.Event(), threading.Event()
    threads = [
        threading.Thread(
            target=reviewer,
            daemon=True,
            name=f"reviewer-{i}",
            args=(i, token, seed, args, recorder, recording, stop),
        )
        for i, token in enumerate(seed.tokens)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(args.warmup)  # every worker has imported, compiled and connected
        before = cpu_snapshot(server.pid, postgres)
        started = time.perf_counter()
        recording.set()
        time.sleep(args.seconds)
        recording.clear()
        elapsed = time.perf_counter() - started
        after = cpu_snapshot(server.pid, postgres)
    finally:
        stop.set()  # each reviewer finishes the request it is in, then returns
        deadline = time.monotonic() + 15
        for thread in threads:
            thread.join(timeout=max(deadline - time.monotonic(), 0))
    return {
        "recorder": recorder,
        "window_start": started,
        "elapsed": elapsed,
        "cpu": {key: after[key] - before[key] for key in before},
    }


# -- report ----------------------------------------------------------------------------


def print_environment(args: argparse.Namespace, database_url: str) -> None:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW max_connections")
        max_connections = cursor.fetchone()[0]
    import gunicorn as gunicorn_package

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration):
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        model = next(line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    safe_url = urlunsplit(
        urlsplit(database_url)._replace(netloc=urlsplit(database_url).hostname or "")
    )
    print("environment")
    print(f"  CPUs {cpus} ({model}), load average {load}; client, gunicorn and Postgres share them")
    print(
        f"  Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {pg_version} (max_connections {max_connections}) at {safe_url}"
    )
    threads = f"--threads {args.threads}" if args.threads > 1 else "1 thread each"
    print(
        f"  gunicorn {gunicorn_package.__version__}: --workers {args.workers} {threads} "
        f"--worker-class {args.worker_class} --keep-alive 5; DEEPREVIEW_DEBUG=false, "
        f"DEEPREVIEW_DB_CONN_MAX_AGE={args.conn_max_age}"
    )
    think = (
        f"think time uniform {args.think[0]:g}-{args.think[1]:g} s"
        if args.think[1] > 0
        else "no think time (closed loop, saturating)"
    )
    weights = sum(args.mix.values())
    mix = ", ".join(f"{name} {weight / weights:.0%}" for name, weight in args.mix.items())
    print(
        f"  {args.reviewers} reviewers (threads, stdlib http.client keep-alive), {think}, "
        f"mix {mix}; {args.warmup:g} s warm-up, {args.seconds:g} s recorded"
    )


def print_queries(figures: dict[str, list], args: argparse.Namespace) -> bool:
    """The in-process table; True when every endpoint ran the same number of queries on
    both videos."""
    print(
        "\nSQL queries per request (in-process: Django test client, CaptureQueriesContext; "
        "ms: median of 5, SQL: of it, time in cursor.execute)"
    )
    sizes = ("20 marks, 300 frames", f"{args.marks:,} marks, {args.frames:,} frames")
    print(f"  {'':10} {sizes[0]:>38}   {sizes[1]:>38}")
    constant = True
    for name, runs in figures.items():
        same = len(runs[0][0]) == 1 and runs[0][0] == runs[1][0]
        constant &= same
        cells = [
            f"{'/'.join(map(str, sorted(counts))):>3} queries {ms:6.1f} ms (SQL {sql:4.1f}) "
            f"{size / 1000:6.1f} kB"
            for counts, ms, sql, size in runs
        ]
        print(f"  {name:10} {cells[0]:>38}   {cells[1]:>38}   {'equal' if same else 'DIFFERENT'}")
    return constant


def print_results(result: dict, constant: bool) -> bool:
    recorder: Recorder = result["recorder"]
    elapsed = result["elapsed"]
    print(
        f"\n{'endpoint':68} {'requests':>8} {'errors':>6} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'max':>7} {'req/s':>6}   (ms)"
    )
    p95 = {}
    for name, label in LABELS.items():
        times = sorted(recorder.times[name])
        p95[name] = percentile(times, 95)
        print(
            f"{label:68} {len(times):8d} {recorder.errors[name]:6d} "
            f"{percentile(times, 50):7.1f} {p95[name]:7.1f} {percentile(times, 99):7.1f} "
            f"{(times[-1] if times else math.nan):7.1f} {len(times) / elapsed:6.1f}"
        )
    total = sum(len(t) for t in recorder.times.values())
    print(
        f"{'all':68} {total:8d} {sum(recorder.errors.values()):6d} {'':31} {total / elapsed:6.1f}"
    )
    for sample in recorder.samples:
        print(f"  error: {sample}")

    cpu = {key: seconds / elapsed for key, seconds in result["cpu"].items()}
    if cpu["total"]:
        # What is not ours is another program on the machine: a noisy neighbour.
        others = cpu["busy"] - cpu["client"] - cpu["gunicorn"] - cpu["postgres"]
        print(
            f"\nCPU cores busy over the recorded window: {cpu['busy']:.2f} of {cpu['total']:.0f}"
            f" = gunicorn {cpu['gunicorn']:.2f} + Postgres {cpu['postgres']:.2f} + client "
            f"{cpu['client']:.2f} + other processes {max(others, 0):.2f}"
        )
        if others > 0.15:
            print(
                "  other programs used the CPUs meanwhile: these latencies include their "
                "contention; rerun on a quiet machine to compare"
            )

    ratio = p95[SAVE] / p95[TRIVIAL]
    checks = [
        (f"save a mark p95 {p95[SAVE]:.1f} ms <= {SAVE_P95_MS:g} ms", p95[SAVE] <= SAVE_P95_MS),
        (
            f"save a mark p95 / trivial p95 = {p95[SAVE]:.1f} / {p95[TRIVIAL]:.1f} = {ratio:.2f} "
            f"<= {SAVE_TO_TRIVIAL:g}",
            ratio <= SAVE_TO_TRIVIAL,
        ),
        (
            f"timeline data p95 {p95[TIMELINE]:.1f} ms <= {TIMELINE_P95_MS:g} ms",
            p95[TIMELINE] <= TIMELINE_P95_MS,
        ),
        ("SQL queries per request equal at both sizes", constant),
        ("no errors", not sum(recorder.errors.values())),
    ]
    print("\ntargets")
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return all(ok for _, ok in checks)


def write_samples(path: Path, result: dict) -> None:
    with path.open("w") as out:
        out.write("start_s,endpoint,ms,ok\n")
        for started, name, ms, ok in sorted(result["recorder"].log):
            out.write(f"{started - result['window_start']:.4f},{name},{ms:.2f},{int(ok)}\n")
    print(f"\nsamples written to {path}")


# -- main ------------------------------------------------------------------------------


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in LABELS:
            raise argparse.ArgumentTypeError(f"mix names: {', '.join(LABELS)}")
        mix[name.strip()] = float(weight)
    return mix


def parse_think(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--recreate", action="store_true", help="drop the database first")
    parser.add_argument("--seconds", type=float, default=30.0, help="recorded window")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--marks", type=int, default=2000, help="existing marks on the video")
    parser.add_argument("--frames", type=int, default=18000)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync", help="sync, or gthread with --threads")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="DEEPREVIEW_DB_CONN_MAX_AGE for the server (0: a connection per request)",
    )
    parser.add_argument(
        "--think",
        type=parse_think,
        default=(0.5, 1.5),
        help="seconds between a reviewer's requests, LOW-HIGH (0: none)",
    )
    parser.add_argument("--mix", type=parse_mix, default=parse_mix("timeline=2,save=2,trivial=1"))
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--samples",
        type=Path,
        help="write every recorded request (start s, endpoint, ms, ok) "
        "to this CSV file, to see when slow requests happen",
    )
    args = parser.parse_args()
    if args.threads > 1 and args.worker_class == "sync":
        args.worker_class = "gthread"  # what gunicorn itself switches to

    # A SIGTERM ends the run through the same finally blocks as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scratch = Path(tempfile.mkdtemp(prefix="deepreview-api-load-"))
    (scratch / "static").mkdir()  # STATIC_ROOT: WhiteNoise warns when it is missing
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEEPREVIEW_DATA_DIR": str(scratch),
        "DEEPREVIEW_DEBUG": "false",
        "DEEPREVIEW_SECRET_KEY": f"bench-{random.SystemRandom().getrandbits(256):064x}",
        "DEEPREVIEW_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        # Plain HTTP on localhost: production's HTTPS redirect would answer 301.
        "DEEPREVIEW_SECURE_SSL_REDIRECT": "false",
        "DEEPREVIEW_SECURE_COOKIES": "false",
        "DEEPREVIEW_DB_CONN_MAX_AGE": str(args.conn_max_age),
        "DEEPREVIEW_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "deepreview.settings",
    }
    try:
        ensure_database(args.database_url, recreate=args.recreate)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        data = seed(args)
        print(
            f"seeded in {time.perf_counter() - started:.1f} s: project {data.project}, "
            f"{args.reviewers} reviewers, video {data.big} ({args.frames:,} frames, "
            f"{data.big_marks:,} marks), video {data.small} (300 frames, 20 marks)"
        )
        print_environment(args, args.database_url)
        constant = print_queries(count_queries(data, args), args)
        from deepreview.review.models import Mark

        before = Mark.objects.filter(media_id=data.big).count()
        postgres = postmaster_pid()
        connection.close()  # the server's workers get every connection slot they want

        args.port = free_port()
        probe = (f"/api/projects/{data.project}/", data.tokens[0])
        with gunicorn(args, env, scratch / "gunicorn.log", probe) as server:
            result = run_load(data, args, server, postgres)
        after = Mark.objects.filter(media_id=data.big).count()
        print(
            f"\nmarks on the long video: {before:,} before the load, {after:,} after "
            "(the timeline returns them all: the project is not in blind review)"
        )
        ok = print_results(result, constant)
        if sum(result["recorder"].errors.values()):
            print("\ngunicorn's log ends with:\n" + (scratch / "gunicorn.log").read_text()[-2000:])
        if args.samples:
            write_samples(args.samples, result)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the finally blocks above have stopped gunicorn
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)

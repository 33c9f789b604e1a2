"""The review API under load: 50 simulated reviewers work on one 18,000-frame video with
2,000 marks at once, against the app served by gunicorn on Postgres. Prints the p95 of
saving, editing and deleting marks, of keeping the timeline current and of opening it,
beside the p95 of a trivial endpoint measured in the same run; then audits every mark.

    .venv/bin/python bench/api_load.py [--database-url postgres://USER@HOST:PORT/NAME]
        [--seconds 30] [--warmup 5] [--reviewers 50] [--curators 5] [--marks 2000]
        [--frames 18000] [--workers 5] [--threads 1] [--conn-max-age 60]
        [--think 0.5-1.5] [--mix save=2,edit=1,delete=0.2,refresh=2,open=0.1,trivial=1]
        [--recreate] [--samples FILE.csv]

    A soak: --seconds 600.

1. Creates the database if it is missing (``--recreate`` drops it first), migrates it
   and seeds a project owned by this script (its users and project are named
   ``apiload-*`` and re-made on every run, so runs do not pile up marks): 50 members
   with API tokens (the first ``--curators`` are curators, who may edit anyone's
   marks), a ready 18,000-frame 30 fps video (no file: these endpoints only read the
   row) with a 240-tile sprite and two detection runs whose series hold 32 analysed
   frames plus 465 landmark-only samples of the 7 signals, 2,000 marks by the 50
   reviewers and a verdict from half of them; and a 300-frame video with 20 marks.
2. Counts the SQL queries of each measured request in-process (Django test client,
   ``CaptureQueriesContext``) on both videos, which must be equal, with the time each
   takes in-process and the part of it spent in Postgres.
3. Starts gunicorn on a free localhost port (``DEEPREVIEW_DEBUG=false``, persistent
   database connections unless ``--conn-max-age 0``) and runs the reviewers as threads
   with stdlib ``http.client`` (the lightest client: it shares the CPUs with the
   server; latency runs from sending the request to its last byte, so parsing the answer
   is not counted). Each behaves as the annotator page does: it opens the video (the whole
   timeline, revalidated with its ETag when opened again), keeps the marks it shows
   current by asking for the changes after the last one it holds (the page does so
   every 5 s), and saves, edits (naming the version it holds) and deletes marks;
   curators edit anyone's, so edits race and some get a 409. Each picks its next
   action by ``--mix`` and thinks a uniform ``--think`` between requests. Latency is
   measured at the client, connection and all. After ``--warmup`` seconds it records
   ``--seconds`` seconds.
4. Audits the marks: every write the server acknowledged is in the database at the
   last acknowledged version with that write's fields (else it was lost or silently
   overwritten), and every client, after one last refresh, shows exactly the marks and
   versions the database holds.
5. Prints the environment, the latency table, the audit, the targets with PASS/FAIL
   and how many cores gunicorn, Postgres, the client and other programs used meanwhile.

The default server is 5 sync workers (2 x cores + 1 on the 2-core machine it was tuned
on): requests are CPU-bound Python, so threads in one process (gthread) queue a cheap
save behind a timeline serialisation holding the GIL, while separate processes let the
kernel share the cores among them. The trivial endpoint is the project detail: token
auth, the membership check and one small row, the fixed cost every endpoint pays.

Targets (issue 15): trivial p95 <= 100 ms; saving a mark and refreshing the timeline
each p95 <= 2x the trivial p95; no lost or silently overwritten marks. Kept from issue 6:
saving p95 <= 50 ms, opening the timeline p95 <= 200 ms, SQL queries per request
independent of marks and frames.
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
SAVE, EDIT, DELETE, REFRESH, OPEN, TRIVIAL = "save", "edit", "delete", "refresh", "open", "trivial"
LABELS = {
    SAVE: "save a mark        POST   .../marks/",
    EDIT: "edit a mark        PATCH  .../marks/<id>/ with its version",
    DELETE: "delete a mark      DELETE .../marks/<id>/ with If-Match",
    REFRESH: "timeline refresh   GET    .../reviews/<id>/mark-changes/?since=",
    OPEN: "timeline open      GET    .../reviews/<id>/timeline/ (If-None-Match)",
    TRIVIAL: "trivial            GET    /api/projects/<p>/  (project detail)",
}
# A stale version's 409 is the right answer to an edit, not an error (counted apart); so
# is a 404 for a mark its author deleted while a curator was editing it.
OK_STATUS = {
    SAVE: {201},
    EDIT: {200, 404, 409},
    DELETE: {204, 404, 409},
    REFRESH: {200},
    OPEN: {200, 304},
    TRIVIAL: {200},
}
TO_TRIVIAL, TRIVIAL_P95_MS, SAVE_P95_MS, OPEN_P95_MS = 2.0, 100.0, 50.0, 200.0
DEFAULT_MIX = "save=2,edit=1,delete=0.2,refresh=2,open=0.1,trivial=1"

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
    # The first --curators may edit anyone's marks: their edits race the authors' own.
    Membership.objects.bulk_create(
        Membership(
            project=project,
            user=user,
            role=Role.CURATOR if i < args.curators else Role.REVIEWER,
            added_by=owner,
        )
        for i, user in enumerate(reviewers)
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


def edit_body(rng: random.Random, mark: dict, frames: int) -> dict:
    """A change to a held mark, made from the version held: a new end and note."""
    end = min(mark["start_frame"] + rng.randrange(300), frames - 1)
    return {"version": mark["version"], "end_frame": end, "note": f"edit {rng.getrandbits(32):08x}"}


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
    of it waiting on SQL, response bytes). Each round saves a mark, edits it, asks for
    the change, opens the timeline cold and deletes the mark."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from deepreview.review.taxonomy import builtin_kinds

    kinds = [k.slug for k in builtin_kinds()]
    client = Client(HTTP_AUTHORIZATION=f"Token {seed.tokens[-1]}")
    rng = random.Random(args.seed)
    base = f"/api/projects/{seed.project}/"
    figures: dict[str, list] = {name: [] for name in LABELS}
    for media, frames in ((seed.small, 300), (seed.big, args.frames)):
        samples: dict[str, list] = {name: [] for name in LABELS}
        for i in range(repeat + 1):  # the first request of a process loads URLconf etc.
            mark: dict = {}
            for name in (SAVE, EDIT, REFRESH, OPEN, TRIVIAL, DELETE):
                call = inprocess_request(client, name, base, media, frames, mark, rng, kinds)
                timer = SqlTimer()
                with (
                    CaptureQueriesContext(connection) as queries,
                    connection.execute_wrapper(timer),
                ):
                    started = time.perf_counter()
                    response = call()
                    elapsed = (time.perf_counter() - started) * 1000
                if response.status_code not in OK_STATUS[name] - {304, 404, 409}:
                    raise SystemExit(f"{name}: {response.status_code} {response.content!r}")
                if name in (SAVE, EDIT):
                    mark = response.json()
                if i:
                    samples[name].append(
                        (len(queries), elapsed, timer.seconds * 1000, len(response.content))
                    )
        middle = repeat // 2
        for name, rows in samples.items():
            figures[name].append(
                (
                    {row[0] for row in rows},
                    sorted(row[1] for row in rows)[middle],
                    sorted(row[2] for row in rows)[middle],
                    rows[-1][3],
                )
            )
    return figures


def inprocess_request(
    client: object,
    name: str,
    base: str,
    media: int,
    frames: int,
    mark: dict,
    rng: random.Random,
    kinds: list[str],
) -> Callable[[], object]:
    """The Django test client call ``count_queries`` times for ``name``; ``mark`` is the
    one the round saved (and edited)."""
    if name == SAVE:
        body = json.dumps(mark_body(rng, media, frames, kinds))
        return lambda: client.post(base + "marks/", body, content_type="application/json")
    if name == EDIT:
        body = json.dumps(edit_body(rng, mark, frames))
        path = base + f"marks/{mark['id']}/"
        return lambda: client.patch(path, body, content_type="application/json")
    if name == DELETE:
        path, version = base + f"marks/{mark['id']}/", f'"{mark["version"]}"'
        return lambda: client.delete(path, HTTP_IF_MATCH=version)
    if name == REFRESH:
        from deepreview.review.models import MarkChangeCounter

        last = MarkChangeCounter.objects.get(media_id=media).last
        path = base + f"reviews/{media}/mark-changes/"
        return lambda: client.get(path, {"since": last - 1})  # the edit just made
    if name == OPEN:
        return lambda: client.get(base + f"reviews/{media}/timeline/")
    return lambda: client.get(base)


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


@dataclass
class Ledger:
    """Every write the server acknowledged, from all reviewers, for the audit: a mark
    acknowledged and never deleted must exist, at the last acknowledged version, with
    that write's fields; two writes acknowledged at one version are a lost update."""

    created: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    written: dict[tuple[int, int], dict] = field(default_factory=dict)  # (id, version) -> mark
    duplicate_versions: int = 0
    conflicts: int = 0  # 409s: stale versions refused, as they must be
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrote(self, mark: dict, *, created: bool = False) -> None:
        with self.lock:
            key = (mark["id"], mark["version"])
            self.duplicate_versions += key in self.written
            self.written[key] = mark
            if created:
                self.created.add(mark["id"])


class Reviewer:
    """One reviewer's client, as the annotator page behaves: it opens the video (the
    timeline, revalidated with its ETag), keeps the marks it was shown current by asking
    for the changes after the last one it holds, and saves, edits (with the version it
    holds) and deletes marks. A curator edits anyone's marks, so edits race."""

    def __init__(self, index: int, token: str, seed: Seed, args: argparse.Namespace) -> None:
        from deepreview.review.taxonomy import builtin_kinds

        self.args, self.seed = args, seed
        self.curator = index < args.curators
        self.rng = random.Random(args.seed * 1000 + index)
        self.kinds = [k.slug for k in builtin_kinds()]
        self.username = f"{PREFIX}reviewer{index:02d}"
        self.base = f"/api/projects/{seed.project}/"
        self.headers = {
            "Authorization": f"Token {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self.conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        self.marks: dict[int, dict] = {}  # the marks this client shows, by id
        self.last_change = 0
        self.etag = ""
        self.elapsed_ms = 0.0  # the last request's, connection and all

    def send(self, method: str, path: str, body: dict | None = None, **headers: str) -> tuple:
        """(status, response headers, JSON body or None); one reconnect when the server
        had closed the idle keep-alive connection before reading the request."""
        data = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers={**self.headers, **headers})
                response = self.conn.getresponse()
                payload = response.read()
                # Timed to the last byte; parsing is the client's work, not the server's.
                self.elapsed_ms = (time.perf_counter() - started) * 1000
                return response.status, response, json.loads(payload) if payload else None
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def hold(self, mark: dict) -> None:
        """Keep ``mark`` unless the copy held is newer (an answer that crossed a save)."""
        if self.marks.get(mark["id"], {}).get("version", 0) <= mark["version"]:
            self.marks[mark["id"]] = mark

    def act(self, name: str, ledger: Ledger) -> int:
        """Do ``name``; returns the HTTP status."""
        video, frames = self.seed.big, self.args.frames
        if name == OPEN:
            status, response, data = self.send(
                "GET", self.base + f"reviews/{video}/timeline/", **{"If-None-Match": self.etag}
            )
            if status == 200:
                self.etag = response.getheader("ETag", "")
                self.marks = {m["id"]: m for m in data["marks"]}
                self.last_change = data["marks_change"]
            return status
        if name == REFRESH:
            path = self.base + f"reviews/{video}/mark-changes/?since={self.last_change}"
            status, _, data = self.send("GET", path)
            if status == 200:
                for mark in data["marks"]:
                    self.hold(mark)
                for mark_id in data["deleted"]:
                    self.marks.pop(mark_id, None)
                self.last_change = max(self.last_change, data["last_change"])
            return status
        if name == TRIVIAL:
            return self.send("GET", self.base)[0]
        if name == SAVE:
            body = mark_body(self.rng, video, frames, self.kinds)
            status, _, data = self.send("POST", self.base + "marks/", body)
            if status == 201:
                ledger.wrote(data, created=True)
                self.hold(data)
            return status
        candidates = [
            m for m in self.marks.values() if self.curator or m["created_by"] == self.username
        ]
        if not candidates:
            return 0  # nothing of its own yet: this turn is thinking only
        mark = self.rng.choice(candidates)
        path = self.base + f"marks/{mark['id']}/"
        if name == EDIT:
            status, _, data = self.send("PATCH", path, edit_body(self.rng, mark, frames))
            if status == 200:
                ledger.wrote(data)
                self.hold(data)
        else:
            status, _, data = self.send("DELETE", path, **{"If-Match": f'"{mark["version"]}"'})
            if status == 204:
                with ledger.lock:
                    ledger.deleted.add(mark["id"])
                self.marks.pop(mark["id"], None)
        if status == 409:
            with ledger.lock:
                ledger.conflicts += 1
            self.hold(data["error"]["current"])  # what the page shows after a conflict
        elif status == 404:
            self.marks.pop(mark["id"], None)  # deleted meanwhile
        return status


def reviewer(
    client: Reviewer,
    recorder: Recorder,
    ledger: Ledger,
    recording: threading.Event,
    stop: threading.Event,
) -> None:
    """Open the video, then pick actions by ``--mix``, time each (connection and all)
    and think between them."""
    args, rng = client.args, client.rng
    names, weights = zip(*args.mix.items(), strict=True)
    stop.wait(rng.uniform(0, args.think[1] or 0.2))  # staggered starts, not one burst
    first = True
    while not stop.is_set():
        name = OPEN if first else rng.choices(names, weights)[0]
        first = False
        recorded = recording.is_set()
        started = time.perf_counter()
        error = None
        try:
            status = client.act(name, ledger)
            elapsed = client.elapsed_ms
            if status and status not in OK_STATUS[name]:
                error = f"{status}"
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            client.conn.close()
            status, error = -1, repr(exc)
            elapsed = (time.perf_counter() - started) * 1000
        if recorded and status:
            recorder.add(name, started, elapsed, error)
        if args.think[1] > 0:
            stop.wait(rng.uniform(*args.think))
    client.conn.close()


def audit(clients: list[Reviewer], ledger: Ledger, seed: Seed) -> dict[str, int]:
    """After the load: compare what the server acknowledged, what each client shows
    after one last refresh, and what the database holds."""
    from deepreview.review.models import Mark

    for client in clients:
        client.act(REFRESH, ledger)
        client.conn.close()
    fields = ("kind", "start_frame", "end_frame", "region", "note")
    stored = {
        m["id"]: m for m in Mark.objects.filter(media_id=seed.big).values("id", "version", *fields)
    }
    last_written: dict[int, dict] = {}
    for (mark_id, version), mark in ledger.written.items():
        if version >= last_written.get(mark_id, {}).get("version", 0):
            last_written[mark_id] = mark
    lost = len(ledger.created - ledger.deleted - stored.keys())
    overwritten = unacknowledged = 0
    for mark_id, mark in last_written.items():
        row = stored.get(mark_id)
        if row is None:
            continue  # deleted (acknowledged) or counted as lost above
        if row["version"] < mark["version"]:
            overwritten += 1
        elif row["version"] > mark["version"]:
            unacknowledged += 1  # a write nobody was told of (a timed-out request)
        elif any(row[f] != mark[f] for f in fields if f != "region") or (
            row["region"] != mark["region"]
        ):
            overwritten += 1
    versions = {mark_id: row["version"] for mark_id, row in stored.items()}
    stale_views = sum(
        {mark_id: m["version"] for mark_id, m in client.marks.items()} != versions
        for client in clients
    )
    return {
        "acknowledged creates": len(ledger.created),
        "acknowledged deletes": len(ledger.deleted),
        "acknowledged writes": len(ledger.written),
        "conflicts refused (409)": ledger.conflicts,
        "lost marks": lost,
        "silently overwritten": overwritten + ledger.duplicate_versions,
        "unacknowledged writes": unacknowledged,
        "clients whose marks differ from the database": stale_views,
    }


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
    """Warm up, record ``--seconds``, then audit the marks; returns the recorder, the
    window's length, the CPU seconds each party used in it and the audit."""
    recorder, ledger = Recorder(), Ledger()
    recording, stop = threading.Event(), threading.Event()
    clients = [Reviewer(i, token, seed, args) for i, token in enumerate(seed.tokens)]
    threads = [
        threading.Thread(
            target=reviewer,
            daemon=True,
            name=f"reviewer-{i}",
            args=(client, recorder, ledger, recording, stop),
        )
        for i, client in enumerate(clients)
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
        "audit": audit(clients, ledger, seed),
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

    print("\nmarks audit (acknowledged writes against the database and every client's view)")
    for name, value in result["audit"].items():
        print(f"  {name:48} {value:8d}")

    trivial = p95[TRIVIAL]

    def within(name: str, label: str) -> tuple[str, bool]:
        ratio = p95[name] / trivial
        return (
            f"{label} p95 / trivial p95 = {p95[name]:.1f} / {trivial:.1f} = {ratio:.2f} "
            f"<= {TO_TRIVIAL:g}",
            ratio <= TO_TRIVIAL,
        )

    audit = result["audit"]
    checks = [
        (f"trivial p95 {trivial:.1f} ms <= {TRIVIAL_P95_MS:g} ms", trivial <= TRIVIAL_P95_MS),
        within(SAVE, "save a mark"),
        within(REFRESH, "timeline refresh"),
        (f"save a mark p95 {p95[SAVE]:.1f} ms <= {SAVE_P95_MS:g} ms", p95[SAVE] <= SAVE_P95_MS),
        (f"timeline open p95 {p95[OPEN]:.1f} ms <= {OPEN_P95_MS:g} ms", p95[OPEN] <= OPEN_P95_MS),
        ("SQL queries per request equal at both sizes", constant),
        ("no errors", not sum(recorder.errors.values())),
        (
            "no lost or silently overwritten marks; every client's view matches the database",
            not (
                audit["lost marks"]
                or audit["silently overwritten"]
                or audit["clients whose marks differ from the database"]
            ),
        ),
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
    parser.add_argument("--mix", type=parse_mix, default=parse_mix(DEFAULT_MIX))
    parser.add_argument(
        "--curators", type=int, default=5, help="reviewers who edit anyone's marks (races)"
    )
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

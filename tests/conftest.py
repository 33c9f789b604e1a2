"""Shared fixtures: users in every role, API clients, a real Celery worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, ProjectFactory, UserFactory

ROLES = ("viewer", "reviewer", "curator", "owner")
REPO = Path(__file__).resolve().parent.parent


@dataclass
class ProjectTeam:
    project: object
    users: dict  # role name (and "outsider") -> user


@pytest.fixture
def team(db) -> ProjectTeam:
    project = ProjectFactory()
    users = {role: MembershipFactory(project=project, role=role).user for role in ROLES}
    users["outsider"] = UserFactory()
    # The outsider owns another project: membership elsewhere must not leak in.
    MembershipFactory(user=users["outsider"], role="owner")
    return ProjectTeam(project=project, users=users)


def client_for(user: object | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api_as(team: ProjectTeam):
    return lambda role: client_for(None if role == "anon" else team.users[role])


@pytest.fixture(scope="session")
def bad_media(tmp_path_factory) -> Path:
    """The deliberately broken media, generated once per session from the shared clip.

    fixtures/media/bad/make_bad_media.py writes them (fixtures/README.md lists each file
    and its rejection code); nothing broken is committed. Skips without shared media.
    """
    from tests.media_paths import PD_CLIP, bad_media_script, require_shared_media

    require_shared_media()
    out = tmp_path_factory.mktemp("bad_media")
    bad_media_script().make_bad_media(PD_CLIP, out)
    return out


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/files/raw/"},
        },
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")


# --- a real Celery worker process -------------------------------------------


def _database_url_for_worker() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def purge_broker() -> None:
    """Empty the broker, unacked messages too: job ids repeat across test databases."""
    from deepreview.celery import app

    broker_url = settings.CELERY_BROKER_URL
    if broker_url.startswith("redis://"):
        import redis

        redis.Redis.from_url(broker_url).flushdb()
        return
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "processed_folder"):
        folder = Path(options.get(key, ""))
        if folder.is_dir():
            for message in folder.glob("*.msg"):
                message.unlink(missing_ok=True)
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=3)


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill_all(self) -> None:
        """SIGKILL the worker and its pool: a machine dying, no cleanup at all."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def start_worker(
    tmp_path: Path, media_root: str, *, concurrency: int = 1, env: dict[str, str] | None = None
) -> WorkerProcess:
    """A real Celery worker on the test database; ``env`` adds to its environment."""
    purge_broker()
    env = {
        **os.environ,
        **(env or {}),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url_for_worker(),
        "DEEPREVIEW_TEST_MEDIA_ROOT": media_root,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "deepreview",
        "worker",
        "-Q",
        "cpu,io,gpu",
        "--concurrency",
        str(concurrency),
        "-P",
        "prefork",
        "-n",
        f"test-{uuid.uuid4().hex[:8]}@%h",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "INFO",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(process=process, log_path=log_path)
    deadline = time.monotonic() + 90
    while " ready." not in worker.log():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Celery worker did not start:\n{worker.log()[-4000:]}")
        time.sleep(0.2)
    return worker


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path) -> Iterator[WorkerProcess]:
    worker = start_worker(tmp_path, settings.MEDIA_ROOT)
    yield worker
    stop_worker(worker)


def stop_worker(worker: WorkerProcess) -> None:
    """A warm shutdown (SIGTERM), then SIGKILL when it does not end in 15 s."""
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGTERM)
        try:
            worker.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill_all()


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2, message: str = ""):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:.0f}s waiting for {message or predicate}")

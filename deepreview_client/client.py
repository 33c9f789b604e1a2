"""The client: one method per thing a script does, thin over the REST API.

Only the standard library is used, so ``pip install deepreview`` without extras (or a
copy of this package) is enough to script a server. Paths follow the OpenAPI schema
served at ``/api/schema/`` (and shown at ``/api/docs/``).
"""

from __future__ import annotations

import json
import mimetypes
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

Json = dict[str, Any]
ProgressHandler = Callable[[float, str], None]
FINAL_JOB_STATES = ("succeeded", "failed", "cancelled")
_CHUNK = 1 << 20


class ApiError(Exception):
    """The server refused a request: its status, error code, message and field reasons."""

    def __init__(self, status: int, code: str, message: str, fields: Mapping | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})


class JobFailed(Exception):
    """A waited-for job ended failed or cancelled; ``job`` is its last state."""

    def __init__(self, job: Json) -> None:
        why = job.get("error") or job.get("message")
        super().__init__(f"job {job['id']} ({job['kind']}) {job['status']}: {why}")
        self.job = job


class Client:
    """A deepreview server, as one user (token authentication)."""

    def __init__(self, server: str, token: str | None = None, *, timeout: float = 120.0) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout

    @classmethod
    def login(cls, server: str, username: str, password: str, **kwargs: Any) -> Client:
        """A client holding the user's API token (made on first login)."""
        client = cls(server, **kwargs)
        answer = client._request(
            "POST", "/api/auth/token/", form={"username": username, "password": password}
        )
        client.token = answer["token"]
        return client

    # -- projects and media --------------------------------------------------------------

    def projects(self) -> list[Json]:
        return list(self._pages("/api/projects/"))

    def project_create(self, name: str, description: str = "") -> Json:
        return self._request(
            "POST", "/api/projects/", json_body={"name": name, "description": description}
        )

    def media(self, project: int, **filters: Any) -> list[Json]:
        return list(self._pages(f"/api/projects/{project}/media/", filters))

    def media_item(self, project: int, media_id: int) -> Json:
        return self._request("GET", f"/api/projects/{project}/media/{media_id}/")

    def upload(self, project: int, path: str | Path, *, origin: str | None = None) -> Json:
        """Upload a video or photo; it is probed in the background (``wait_ready``)."""
        fields = {"origin": origin} if origin else {}
        return self._request(
            "POST", f"/api/projects/{project}/media/", form=fields, file=Path(path)
        )

    def wait_ready(self, project: int, media_id: int, *, timeout: float = 600.0) -> Json:
        """The media item once probed; ``ApiError`` if the server could not read it."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.media_item(project, media_id)
            if item["status"] == "ready":
                return item
            if item["status"] == "failed":
                raise ApiError(
                    422, "media_failed", item.get("error") or "The server could not read the file."
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"media {media_id} not ready after {timeout:.0f} s")
            time.sleep(1.0)

    # -- jobs ----------------------------------------------------------------------------

    def job(self, project: int, job_id: int) -> Json:
        return self._request("GET", f"/api/projects/{project}/jobs/{job_id}/")

    def jobs(self, project: int, **filters: Any) -> list[Json]:
        return list(self._pages(f"/api/projects/{project}/jobs/", filters))

    def cancel(self, project: int, job_id: int) -> Json:
        return self._request("POST", f"/api/projects/{project}/jobs/{job_id}/cancel/")

    def wait(
        self,
        project: int,
        job_id: int,
        *,
        timeout: float = 3600.0,
        poll: float = 1.0,
        on_progress: ProgressHandler | None = None,
    ) -> Json:
        """The job once it has finished; ``JobFailed`` when it failed or was cancelled.
        ``on_progress(fraction, message)`` hears every change of progress."""
        deadline = time.monotonic() + timeout
        seen: tuple[float, str] | None = None
        while True:
            job = self.job(project, job_id)
            now = (job["progress"], job["message"])
            if on_progress is not None and now != seen:
                on_progress(*now)
            seen = now
            if job["status"] in FINAL_JOB_STATES:
                if job["status"] != "succeeded":
                    raise JobFailed(job)
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['status']} after {timeout:.0f} s")
            time.sleep(poll)

    def job_options(self) -> dict[str, list[Json]]:
        """The options each job kind takes (name, kind, default, range, choices, help)."""
        return self._request("GET", "/api/job-options/")

    # -- facesets and extraction ---------------------------------------------------------

    def facesets(self, project: int) -> list[Json]:
        return list(self._pages(f"/api/projects/{project}/facesets/"))

    def faceset_create(
        self, project: int, name: str, *, description: str = "", identity: int | None = None
    ) -> Json:
        body: Json = {"name": name, "description": description}
        if identity is not None:
            body["identity"] = identity
        return self._request("POST", f"/api/projects/{project}/facesets/", json_body=body)

    def extract(
        self,
        project: int,
        faceset: int,
        media_ids: Sequence[int],
        options: Mapping[str, Any] | None = None,
    ) -> list[Json]:
        """Queue face extraction from the videos and photos into the faceset (curators);
        the jobs (``job_options()["extract"]`` lists the options)."""
        body = {"media": list(media_ids), "options": dict(options or {})}
        path = f"/api/projects/{project}/facesets/{faceset}/extract/"
        return self._request("POST", path, json_body=body)

    def faces(self, project: int, faceset: int, **filters: Any) -> list[Json]:
        """The faceset's faces (filters and ``ordering`` as the faces list takes them)."""
        return list(self._pages(f"/api/projects/{project}/facesets/{faceset}/faces/", filters))

    def import_faces(
        self, project: int, faceset: int, path: str | Path, *, fmt: str = "auto"
    ) -> Json:
        """Queue the import of a zip of faceswap or DeepFaceLab aligned faces; the job."""
        route = f"/api/projects/{project}/facesets/{faceset}/import-faces/"
        return self._request("POST", route, form={"format": fmt}, file=Path(path))

    # -- swap models -----------------------------------------------------------------------

    def swap_model_create(
        self,
        project: int,
        name: str,
        faceset_a: int,
        faceset_b: int,
        *,
        arch: str = "original",
        options: Mapping[str, Any] | None = None,
    ) -> Json:
        """A swap model between two facesets whose consent is recorded (curators)."""
        body = {
            "name": name,
            "faceset_a": faceset_a,
            "faceset_b": faceset_b,
            "arch": arch,
            "options": dict(options or {}),
        }
        return self._request("POST", f"/api/projects/{project}/swap-models/", json_body=body)

    def swap_train(self, project: int, model: int, iterations: int) -> Json:
        """Queue (more) training up to ``iterations`` in all; the job."""
        path = f"/api/projects/{project}/swap-models/{model}/train/"
        return self._request("POST", path, json_body={"iterations": iterations})

    def swap_convert(
        self,
        project: int,
        model: int,
        media_id: int,
        *,
        direction: str = "a-to-b",
        options: Mapping[str, Any] | None = None,
    ) -> Json:
        """Queue a conversion of the video: a fake with ground-truth masks; the job."""
        body = {"media": media_id, "direction": direction, "options": dict(options or {})}
        path = f"/api/projects/{project}/swap-models/{model}/convert/"
        return self._request("POST", path, json_body=body)

    # -- review ----------------------------------------------------------------------------

    def verdicts(self, project: int, media_id: int) -> list[Json]:
        """The verdicts on a video this user may see (blind review: only their own)."""
        return list(self._pages(f"/api/projects/{project}/verdicts/", {"media": media_id}))

    def verdict(
        self, project: int, media_id: int, label: str, confidence: float, rationale: str = ""
    ) -> Json:
        """This reviewer's verdict on a video (real, fake or uncertain), made or replaced."""
        body = {"media": media_id, "label": label, "confidence": confidence, "rationale": rationale}
        return self._request("POST", f"/api/projects/{project}/verdicts/", json_body=body)

    def marks(self, project: int, media_id: int) -> list[Json]:
        """The artifact marks on a video this user may see."""
        return list(self._pages(f"/api/projects/{project}/marks/", {"media": media_id}))

    def mark_create(
        self,
        project: int,
        media_id: int,
        kind: str,
        start_frame: int,
        end_frame: int,
        *,
        region: Sequence[float] | None = None,
        note: str = "",
    ) -> Json:
        """An artifact mark over inclusive frames; ``region`` is [x0, y0, x1, y1] as
        fractions of the frame."""
        body: Json = {
            "media": media_id,
            "kind": kind,
            "start_frame": start_frame,
            "end_frame": end_frame,
            "note": note,
        }
        if region is not None:
            body["region"] = list(region)
        return self._request("POST", f"/api/projects/{project}/marks/", json_body=body)

    # -- detection -----------------------------------------------------------------------

    def detect(
        self,
        project: int,
        media_ids: Sequence[int],
        *,
        detector: int | None = None,
        signals_only: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> list[Json]:
        """Queue detection (the built-in detector unless ``detector`` names a trained one
        of the project); one job per video."""
        body = {
            "media": list(media_ids),
            "signals_only": signals_only,
            "options": dict(options or {}),
        }
        if detector is not None:
            body["detector"] = detector
        return self._request("POST", f"/api/projects/{project}/detections/", json_body=body)

    def detections(self, project: int, *, media: int | None = None) -> list[Json]:
        """Detection runs, newest first: score (a calibrated probability for the built-in
        detector), label, threshold and per-signal summaries."""
        filters = {"media": media} if media is not None else {}
        return list(self._pages(f"/api/projects/{project}/detections/", filters))

    def detection_result(self, run: Json) -> Json:
        """A run's full result: per-frame scores, maps and signals."""
        return self._request("GET", f"/files/detections/{run['id']}/result")

    # -- exports -------------------------------------------------------------------------

    def export_create(
        self,
        project: int,
        name: str,
        selection: Mapping[str, Any],
        options: Mapping[str, Any] | None = None,
    ) -> Json:
        """Queue a dataset export (curators); wait for its ``job`` then download it."""
        body = {"name": name, "selection": dict(selection), "options": dict(options or {})}
        return self._request("POST", f"/api/projects/{project}/exports/", json_body=body)

    def export_preview(
        self, project: int, selection: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> Json:
        """What an export would hold (videos, faces, splits), without building it."""
        body = {"selection": dict(selection), "options": dict(options or {})}
        return self._request("POST", f"/api/projects/{project}/exports/preview/", json_body=body)

    def export(self, project: int, export_id: int) -> Json:
        return self._request("GET", f"/api/projects/{project}/exports/{export_id}/")

    def download_export(self, project: int, export_id: int, target: str | Path) -> Path:
        """Write the export's zip to ``target`` (a file, or a folder to put it in)."""
        export = self.export(project, export_id)
        target = Path(target)
        if target.is_dir():
            target = target / f"{export['name'] or 'export'}-{export_id}.zip"
        with self._open("GET", export["download_url"]) as answer, target.open("wb") as out:
            while chunk := answer.read(_CHUNK):
                out.write(chunk)
        return target

    def import_dataset(
        self,
        path: str | Path,
        *,
        name: str = "",
        project: int | None = None,
        layout: str = "auto",
        compression: str = "",
        timeout: float = 3600.0,
        on_progress: ProgressHandler | None = None,
    ) -> Json:
        """Load a zip into a new project owned by this user, or into ``project`` (where
        this user is a curator); returns the finished import (its ``project``,
        ``summary``). The zip is a deepreview export or a FaceForensics++, DFDC or
        Celeb-DF tree (``layout`` "auto" detects which; ``compression`` picks
        FaceForensics++'s). ``ApiError`` if the zip is refused."""
        form = {"name": name, "layout": layout, "compression": compression}
        if project is not None:
            form["project"] = str(project)
        record = self._request("POST", "/api/imports/", form=form, file=Path(path))
        deadline = time.monotonic() + timeout
        while record["status"] not in FINAL_JOB_STATES:
            if time.monotonic() > deadline:
                raise TimeoutError(f"import {record['id']} unfinished after {timeout:.0f} s")
            time.sleep(1.0)
            record = next(i for i in self._pages("/api/imports/") if i["id"] == record["id"])
            if on_progress is not None:
                on_progress(record["progress"], record["status"])
        if record["status"] != "succeeded":
            raise ApiError(422, "import_failed", record.get("error") or record["status"])
        return record

    # -- transport -----------------------------------------------------------------------

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Json]:
        url: str | None = self._url(path, {**(params or {}), "page_size": 200})
        while url:
            page = self._request("GET", url)
            if isinstance(page, list):  # a list the server does not paginate
                yield from page
                return
            yield from page["results"]
            url = page.get("next")

    def _url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        url = path if path.startswith(("http://", "https://")) else f"{self.server}{path}"
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params, doseq=True)
        return url

    def _request(self, method: str, path: str, **body: Any) -> Any:
        """The JSON answer (``body``: ``json_body``, or ``form`` and ``file``; see ``_open``)."""
        with self._open(method, path, **body) as answer:
            data = answer.read()
        return json.loads(data) if data else None

    def _open(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        file: Path | None = None,
    ) -> Any:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif file is not None or form:
            data, headers["Content-Type"] = _multipart(form or {}, file)
        request = urllib.request.Request(self._url(path), data=data, method=method, headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310 - the user's server
        except urllib.error.HTTPError as exc:
            raise _api_error(exc) from None


def _api_error(exc: urllib.error.HTTPError) -> ApiError:
    try:
        error = json.loads(exc.read())["error"]
        return ApiError(exc.code, error["code"], error["message"], error.get("fields"))
    except (ValueError, KeyError, TypeError):
        return ApiError(exc.code, "http_error", exc.reason or f"HTTP {exc.code}")


def _multipart(fields: Mapping[str, str], file: Path | None) -> tuple[bytes, str]:
    """A multipart/form-data body (the upload endpoints' format). The file is read into
    memory: the client is for scripts, and uploads over the server's limit fail there."""
    boundary = f"deepreview-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    if file is not None:
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        quoted = file.name.replace('"', "%22")
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            f"Content-Type: {kind}\r\n\r\n"
        )
        parts.extend([head.encode(), file.read_bytes(), b"\r\n"])
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"

"""Deleting a faceset or a project leaves nothing behind: rows, stored files, running jobs."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from deepreview.core.storage import faceset_folder, project_folder, storage_sweep_orphans
from deepreview.facesets.models import Face, Faceset
from deepreview.jobs.models import Job
from deepreview.projects.models import Project
from tests.factories import FaceFactory, FacesetFactory, JobFactory, MediaItemFactory


def _store(folder: str, name: str) -> str:
    return default_storage.save(f"{folder}/{name}", ContentFile(b"bytes"))


def _files_under(folder: str) -> list[str]:
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{f}" for f in files] + [
        name for sub in folders for name in _files_under(f"{folder}/{sub}")
    ]


def test_deleting_a_faceset_deletes_its_files_and_stops_its_jobs(
    team, api_as, django_capture_on_commit_callbacks
):
    project = team.project
    faceset = FacesetFactory(project=project)
    other = FacesetFactory(project=project)
    folder = faceset_folder(project.pk, faceset.pk)
    for name in (
        "7/0000001_0.png",
        "7/0000001_0_thumb.jpg",
        "7/alignments.json",
        "exports/job-1.zip",
    ):
        _store(folder, name)
    kept = _store(faceset_folder(project.pk, other.pk), "7/0000001_0.png")
    FaceFactory(faceset=faceset)
    running = JobFactory(
        project=project, kind="extract", status="running", params={"faceset_id": faceset.pk}
    )
    queued = JobFactory(project=project, kind="faceset_export", params={"faceset_id": faceset.pk})
    unrelated = JobFactory(project=project, kind="extract", params={"faceset_id": other.pk})

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as("curator").delete(
            reverse("faceset-detail", args=[project.pk, faceset.pk])
        )
    assert response.status_code == 204
    assert not Faceset.objects.filter(pk=faceset.pk).exists()
    assert not Face.objects.filter(faceset_id=faceset.pk).exists()
    assert _files_under(folder) == []
    assert default_storage.exists(kept)
    assert Job.objects.get(pk=running.pk).cancel_requested
    assert Job.objects.get(pk=queued.pk).status == "cancelled"
    assert Job.objects.get(pk=unrelated.pk).status == "queued"


def test_deleting_a_project_deletes_every_file_it_stored_and_its_jobs(
    team, api_as, django_capture_on_commit_callbacks
):
    project = team.project
    MediaItemFactory(project=project)
    folder = project_folder(project.pk)
    for name in (
        "media/abc/original.mp4",
        "exports/3/dataset.zip",
        "swaps/2/checkpoint.pt",
        "facesets/9/7/face.png",
        "detectors/4/detector.pt",
    ):
        _store(folder, name)
    JobFactory(project=project, status="running")
    elsewhere = _store(project_folder(project.pk + 1000), "media/x/original.mp4")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as("owner").delete(reverse("project-detail", args=[project.pk]))
    assert response.status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Job.objects.filter(project_id=project.pk).exists()
    assert _files_under(folder) == []
    assert default_storage.exists(elsewhere)


def test_the_sweep_removes_what_jobs_wrote_after_a_delete(team):
    project = team.project
    live = FacesetFactory(project=project)
    kept = [
        _store(faceset_folder(project.pk, live.pk), "1/a.png"),
        _store(project_folder(project.pk), "media/k/original.mp4"),
    ]
    late = [
        _store(faceset_folder(project.pk, live.pk + 500), "1/a.png"),
        _store(project_folder(project.pk + 500), "exports/1/x.zip"),
    ]
    assert storage_sweep_orphans() >= 2
    assert all(default_storage.exists(name) for name in kept)
    assert not any(default_storage.exists(name) for name in late)

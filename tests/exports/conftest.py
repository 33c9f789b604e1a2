"""A project with real labeled videos for the export tests."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from deepreview.media.models import MediaItem
from deepreview.review.models import Consensus, Mark, Verdict
from deepreview_workers.pipeline.video_io import file_sha256, probe_media
from tests.factories import ConversionFactory, IdentityFactory, MediaItemFactory
from tests.pipeline.dataset.media import PASTED, pasted_fake, short_clip


def _video_row(project, path, **fields) -> MediaItem:  # noqa: ANN001
    info = probe_media(path)
    return MediaItemFactory(
        project=project,
        name=path.name,
        file=ContentFile(path.read_bytes(), name=path.name),
        sha256=file_sha256(path),
        size_bytes=path.stat().st_size,
        width=info.width,
        height=info.height,
        fps=info.fps,
        frame_count=info.frame_count,
        duration_seconds=info.duration_seconds,
        **fields,
    )


@pytest.fixture
def source_project(team, tmp_path):
    """A real clip of Obama, a fake pasting Hopper's face over him (with ground truth),
    two reviewers' verdicts, a consensus and a mark."""
    project = team.project
    obama = IdentityFactory(project=project, name="Barack Obama")
    _video_row(project, short_clip(tmp_path / "speech.mp4"), origin="real", identity=obama)
    video, truth = pasted_fake(tmp_path / "speech_swap.mp4")
    fake = _video_row(project, video, origin="fake", identity=obama)
    ConversionFactory(
        project=project,
        output_media=fake,
        frame_count=fake.frame_count,
        manipulated_count=PASTED[1] - PASTED[0] + 1,
        manipulated_ranges=[list(PASTED)],
        masks=ContentFile(truth.read_bytes(), name="gt.zip"),
        options={"mask": "extended", "feather_px": 6},
        provenance={
            "model": {"arch": "original"},
            "identity_shown": {"identity": "Grace Hopper"},
            "identity_replaced": {"identity": "Barack Obama"},
        },
    )
    for role, label in (("reviewer", "fake"), ("curator", "uncertain")):
        Verdict.objects.create(
            project=project,
            media=fake,
            reviewer=team.users[role],
            label=label,
            confidence=0.8,
            rationale=f"{role} says {label}",
        )
    Consensus.objects.create(
        project=project, media=fake, label="fake", decided_by=team.users["owner"]
    )
    Mark.objects.create(
        project=project,
        media=fake,
        kind="edge-seam",
        start_frame=9,
        end_frame=15,
        region=[0.3, 0.2, 0.65, 0.75],
        note="hard edge",
        created_by=team.users["reviewer"],
    )
    return project

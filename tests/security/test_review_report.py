"""The fact-check report respects blind review and gold secrecy: a blind reviewer's
report holds only their own work, with no other verdict, mark, consensus or ground
truth, until they give their verdict; curators and owners see all of it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from deepreview.review.models import Consensus, GoldVideo, Mark, Verdict
from tests.factories import ConversionFactory, MembershipFactory

pytestmark = pytest.mark.django_db

OTHER_RATIONALE = "Seam flickers along the left jaw in frames 30 to 60"
OTHER_NOTE = "Halo around the chin when the head turns"
CONSENSUS_NOTE = "Both reviewers saw the seam; adjudicated fake"
OWN_NOTE = "My own mark: teeth smear"


@pytest.fixture
def blind_fake(team):
    """A blind project's fake (made here, with ground truth) reviewed by someone else."""
    project = team.project
    project.blind_review = True
    project.save()
    conversion = ConversionFactory(
        project=project, manipulated_ranges=[[20, 70]], manipulated_count=51, frame_count=100
    )
    fake = conversion.output_media
    fake.frame_count = 100
    fake.save()
    other = MembershipFactory(project=project, role="reviewer").user
    Verdict.objects.create(
        project=project,
        media=fake,
        reviewer=other,
        label="fake",
        confidence=0.9,
        rationale=OTHER_RATIONALE,
    )
    Mark.objects.create(
        project=project,
        media=fake,
        kind="edge-seam",
        start_frame=30,
        end_frame=60,
        region=[0.3, 0.2, 0.7, 0.8],
        note=OTHER_NOTE,
        created_by=other,
    )
    Mark.objects.create(
        project=project,
        media=fake,
        kind="teeth",
        start_frame=5,
        end_frame=9,
        note=OWN_NOTE,
        created_by=team.users["reviewer"],
    )
    Consensus.objects.create(
        project=project,
        media=fake,
        label="fake",
        note=CONSENSUS_NOTE,
        decided_by=team.users["owner"],
    )
    GoldVideo.objects.create(project=project, media=fake, label="fake")
    return fake


def _report(team, role: str, media) -> str:  # noqa: ANN001
    client = Client()
    client.force_login(team.users[role])
    response = client.get(reverse("review-report-page", args=[team.project.pk, media.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_blind_reviewer_report_shows_only_their_own_work(team, blind_fake):
    html = _report(team, "reviewer", blind_fake)
    assert OWN_NOTE in html
    assert 'id="report-blind-notice"' in html
    assert OTHER_RATIONALE not in html
    assert OTHER_NOTE not in html
    assert CONSENSUS_NOTE not in html
    assert 'id="report-ground-truth"' not in html
    assert "manipulated frame" not in html
    assert "gold check" not in html


def test_blind_reviewer_sees_the_rest_after_their_verdict_but_never_gold(team, blind_fake):
    Verdict.objects.create(
        project=team.project,
        media=blind_fake,
        reviewer=team.users["reviewer"],
        label="uncertain",
        confidence=0.4,
        rationale="mine",
    )
    html = _report(team, "reviewer", blind_fake)
    assert OTHER_RATIONALE in html
    assert OTHER_NOTE in html
    assert CONSENSUS_NOTE in html
    assert 'id="report-ground-truth"' in html
    assert "gold check" not in html


@pytest.mark.parametrize("role", ["curator", "owner"])
def test_curator_and_owner_reports_show_everything(team, blind_fake, role):
    html = _report(team, role, blind_fake)
    assert 'id="report-blind-notice"' not in html
    assert OTHER_RATIONALE in html
    assert OTHER_NOTE in html
    assert OWN_NOTE in html
    assert CONSENSUS_NOTE in html
    assert 'id="report-ground-truth"' in html
    assert "51 manipulated frames" in html
    assert "gold check: fake" in html
    # The region is drawn over the key frame, in percentages of the frame.
    assert "left: 30.00%; top: 20.00%; width: 40.00%; height: 60.00%;" in html
    assert f"/files/media/{blind_fake.pk}/frames/45?width=480" in html


def test_report_is_for_videos_of_the_project_only(team, blind_fake):
    from tests.factories import MediaItemFactory

    client = Client()
    client.force_login(team.users["owner"])
    image = MediaItemFactory(project=team.project, kind="image")
    elsewhere = MediaItemFactory()
    for media in (image, elsewhere):
        url = reverse("review-report-page", args=[team.project.pk, media.pk])
        assert client.get(url).status_code == 404

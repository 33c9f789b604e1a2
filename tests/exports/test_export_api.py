"""Export API: preview counts, refusals with clear messages, roles, the download."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deepreview.exports.models import DatasetExport
from deepreview.review.models import Consensus, Verdict
from tests.factories import ConversionFactory, IdentityFactory, MediaItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def labeled(team):
    """Four people, each with one real video; a fake of Dan made from Cy's face."""
    project = team.project
    people = {
        name: IdentityFactory(project=project, name=name) for name in ["Ann", "Bo", "Cy", "Dan"]
    }
    reals = [
        MediaItemFactory(
            project=project, origin="real", identity=people[name], sha256=f"{i:02d}" + "a" * 62
        )
        for i, name in enumerate(["Ann", "Bo", "Cy", "Dan"])
    ]
    fake = ConversionFactory(
        project=project,
        output_media=MediaItemFactory(
            project=project, origin="fake", identity=people["Dan"], sha256="ff" + "b" * 62
        ),
        provenance={
            "model": {"arch": "original"},
            "identity_shown": {"identity": "Cy"},
            "identity_replaced": {"identity": "Dan"},
        },
        options={"mask": "extended", "feather_px": 8},
    ).output_media
    return {"reals": reals, "fake": fake, "people": people}


def preview(api, team, selection: dict, options: dict | None = None):
    url = reverse("export-preview", args=[team.project.pk])
    return api.post(url, {"selection": selection, "options": options or {}}, format="json")


def test_preview_counts_and_identity_disjoint_splits(team, api_as, labeled):
    response = preview(
        api_as("curator"),
        team,
        {"label_source": "ground_truth"},
        {"ratios": [0.5, 0.25, 0.25], "frames_per_video": 4},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["videos"] == 5 and data["labels"] == {"real": 4, "fake": 1}
    assert data["methods"] == {"real": 4, "deepreview-original": 1}
    assert data["faces_estimate"] == 20
    seen: dict[str, str] = {}
    for split, row in data["splits"].items():
        for person in row["identities"]:
            assert seen.setdefault(person, split) == split, f"{person} in two splits"
    # The fake links Cy and Dan: they land together.
    assert any({"Cy", "Dan"} <= set(row["identities"]) for row in data["splits"].values())


def test_filters_narrow_the_selection(team, api_as, labeled):
    only_fakes = preview(
        api_as("curator"), team, {"labels": ["fake"]}, {"ratios": [1, 0, 0]}
    ).json()
    assert only_fakes["videos"] == 1
    ann = preview(api_as("curator"), team, {"identities": ["Ann"]}, {"ratios": [1, 0, 0]}).json()
    assert ann["videos"] == 1 and ann["splits"]["train"]["identities"] == ["Ann"]
    hard = preview(
        api_as("curator"), team, {"method_options": {"mask": "components"}}, {"ratios": [1, 0, 0]}
    ).json()
    assert hard["labels"] == {"real": 4}  # the fake was made with another mask


def test_empty_selection_is_refused_with_a_clear_message(team, api_as, labeled):
    response = preview(api_as("curator"), team, {"label_source": "consensus"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "empty_selection" and "consensus" in error["message"]
    created = api_as("curator").post(
        reverse("export-list", args=[team.project.pk]),
        {"name": "x", "selection": {"label_source": "consensus"}},
        format="json",
    )
    assert created.status_code == 400 and not DatasetExport.objects.exists()


def test_a_split_that_cannot_be_identity_disjoint_says_what_to_do(team, api_as, labeled):
    response = preview(
        api_as("curator"), team, {"identities": ["Cy", "Dan"]}, {"ratios": [0.6, 0.2, 0.2]}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "split_impossible"
    assert "Cy" in error["message"] and "to 0" in error["message"]
    assert error["suggestion"] and sum(r > 0 for r in error["suggested_ratios"]) == 1


def test_labels_from_consensus_and_from_one_reviewer(team, api_as, labeled):
    video = labeled["reals"][0]
    Consensus.objects.create(project=team.project, media=video, label="fake")
    Verdict.objects.create(
        project=team.project,
        media=labeled["reals"][1],
        reviewer=team.users["reviewer"],
        label="real",
        confidence=0.9,
    )
    Verdict.objects.create(
        project=team.project,
        media=labeled["reals"][2],
        reviewer=team.users["reviewer"],
        label="uncertain",
        confidence=0.2,
    )
    by_consensus = preview(
        api_as("curator"), team, {"label_source": "consensus"}, {"ratios": [1, 0, 0]}
    ).json()
    assert by_consensus["labels"] == {"fake": 1}
    by_reviewer = preview(
        api_as("curator"),
        team,
        {"label_source": "reviewer", "reviewer": team.users["reviewer"].username},
        {"ratios": [1, 0, 0]},
    ).json()
    assert by_reviewer["labels"] == {"real": 1}  # uncertain never makes the cut
    missing = preview(api_as("curator"), team, {"label_source": "reviewer"})
    assert "reviewer" in missing.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"ratios": [0, 0.5, 0.5]}, "ratios"),
        ({"frames_per_video": 0}, "frames_per_video"),
        ({"formats": ["zip"]}, "formats"),
        ({"compressions": ["c99"]}, "compressions"),
        ({"margin": 3}, "margin"),
        ({"colour": 1}, "colour"),
    ],
)
def test_bad_options_name_their_field(team, api_as, labeled, options, field):
    response = preview(api_as("curator"), team, {}, options)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_roles_and_the_download(team, api_as, labeled, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    assert preview(api_as("reviewer"), team, {}).status_code == 403
    export = DatasetExport.objects.create(
        project=team.project, name="release 1", selection={}, options={}
    )
    url = reverse("export-download", kwargs={"export_id": export.pk})
    assert api_as("curator").get(url).status_code == 404  # not built yet
    export.artifact = default_storage.save(
        f"projects/{team.project.pk}/exports/x.zip", ContentFile(b"PK zip")
    )
    export.save()
    assert api_as("viewer").get(url).status_code == 403
    assert api_as("outsider").get(url).status_code == 404
    listed = api_as("viewer").get(reverse("export-list", args=[team.project.pk])).json()
    assert listed["results"][0]["download_url"] == url
    response = api_as("curator").get(url)  # last: closing a file response ends the request
    assert response.status_code == 200
    response.close()


def test_import_refuses_what_is_not_an_export(team, api_as, tmp_path):
    import io
    import zipfile

    url = reverse("import-list")
    not_zip = api_as("owner").post(url, {"file": io.BytesIO(b"hello")}, format="multipart")
    assert not_zip.status_code == 400 and not_zip.json()["error"]["code"] == "not_an_export"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an export")
    buffer.seek(0)
    buffer.name = "other.zip"
    other = api_as("owner").post(url, {"file": buffer}, format="multipart")
    assert other.status_code == 400 and "export.json" in other.json()["error"]["message"]
    from deepreview.projects.models import Project

    assert Project.objects.count() == 2  # the team's and the outsider's: nothing made

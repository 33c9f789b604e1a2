"""C2PA provenance: the installation key, signing a converted fake, verifying it (and
failing after one changed byte), a stripped manifest, and an upload that carries one."""

from __future__ import annotations

import stat
from pathlib import Path

import av
import numpy as np
import pytest
from django.urls import reverse

from deepreview.core.errors import ApplicationError
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from deepreview.media.provenance import (
    installation_signing_key,
    media_provenance_check,
    media_provenance_panel,
)
from deepreview.media.services import media_add_local
from deepreview.swaps import jobs as swap_jobs
from deepreview.swaps.models import ConsentRecord, Conversion
from deepreview_workers.pipeline.provenance.keys import (
    KEY_FILE,
    ProvenanceKeyError,
    installation_key,
)
from deepreview_workers.pipeline.provenance.manifest import read_manifest, sign_fake_video
from deepreview_workers.pipeline.swap.convert_types import ConversionResult
from deepreview_workers.pipeline.swap.writer import SwapVideoWriter, read_synthetic_tag
from deepreview_workers.tasks.probe import probe_job
from tests.factories import ConversionFactory, IdentityFactory, JobFactory, SwapModelFactory
from tests.media_paths import PD_CLIP, needs_shared_media

FRAMES = 12


@pytest.fixture(autouse=True)
def _provenance_dir(settings, tmp_path) -> Path:
    settings.PROVENANCE_DIR = tmp_path / "provenance"
    return settings.PROVENANCE_DIR


def write_fake(path: Path) -> Path:
    """The first frames of the public-domain clip through the swap writer, a grey box
    pasted over the face of the even ones: a converted video as the pipeline writes it."""
    with av.open(str(PD_CLIP)) as source:
        video = source.streams.video[0]
        writer = SwapVideoWriter(path, video, None, tag={"synthetic": True}, preset="ultrafast")
        for index, frame in enumerate(source.decode(video)):
            if index == FRAMES:
                break
            rgb = None
            if index % 2 == 0:
                rgb = frame.to_ndarray(format="rgb24")
                rgb[120:260, 180:320] = 128
            writer.write_frame(frame, frame.pts, rgb)
        writer.close()
    return path


@pytest.fixture
def fake_mp4(tmp_path) -> Path:
    return write_fake(tmp_path / "converted.mp4")


def flip_one_byte_of_the_video(path: Path) -> None:
    data = bytearray(path.read_bytes())
    mdat = data.find(b"mdat")
    assert mdat > 0
    data[mdat + 200] ^= 0x01
    path.write_bytes(bytes(data))


def strip_manifest(source: Path, target: Path) -> Path:
    """Remux the video stream alone: what a re-encode or a metadata scrubber does."""
    with av.open(str(source)) as inp, av.open(str(target), "w") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    return target


def run_probe(item: MediaItem) -> MediaItem:
    job = Job.objects.filter(media=item, kind="probe").latest("id")
    probe_job(job, lambda *args, **kwargs: None)
    return MediaItem.objects.get(pk=item.pk)


# -- the key -----------------------------------------------------------------------------


def test_key_is_made_once_reused_and_owner_only(tmp_path):
    folder = tmp_path / "keys"
    assert installation_key(folder, create=False) is None and not folder.exists()
    first = installation_key(folder)
    again = installation_key(folder)
    assert first.installation_id == again.installation_id
    assert first.private_key_pem == again.private_key_pem
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_corrupt_key_file_says_which_file_and_what_to_do(db, settings):
    installation_signing_key()
    key_file = Path(settings.PROVENANCE_DIR) / KEY_FILE
    key_file.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n")
    with pytest.raises(ProvenanceKeyError) as raised:
        installation_key(Path(settings.PROVENANCE_DIR))
    message = str(raised.value)
    assert str(key_file) in message and "backup" in message and "move it aside" in message
    with pytest.raises(ApplicationError, match="signing-key.pem is unusable"):
        installation_signing_key()  # a convert job fails with the same words


# -- sign and verify ----------------------------------------------------------------------


@needs_shared_media
def test_signed_fake_verifies_and_fails_after_one_changed_byte(fake_mp4, tmp_path):
    ours, theirs = installation_key(tmp_path / "ours"), installation_key(tmp_path / "theirs")
    signed = tmp_path / "signed.mp4"
    details = {"model": {"id": 7, "name": "KH to BO", "arch": "original"}}
    sign_fake_video(
        fake_mp4, signed, key=ours, title="clip.mp4", description="Face swap", details=details
    )
    summary = read_manifest(signed, trust_anchors_pem=ours.trust_anchors_pem())
    assert (summary.state, summary.integrity_ok, summary.signed_by_installation) == (
        "trusted",
        True,
        True,
    )
    assert summary.ai_generated and summary.details == details
    assert summary.actions[0]["digital_source_type"] == "trainedAlgorithmicMedia"
    assert read_synthetic_tag(signed) is not None  # the container tag survives signing

    # Another installation: intact, but the signer is nobody it trusts.
    other = read_manifest(signed, trust_anchors_pem=theirs.trust_anchors_pem())
    assert (other.state, other.integrity_ok, other.signed_by_installation) == (
        "valid",
        True,
        False,
    )

    flip_one_byte_of_the_video(signed)
    broken = read_manifest(signed, trust_anchors_pem=ours.trust_anchors_pem())
    assert broken.state == "invalid" and not broken.integrity_ok
    assert any("bmffHash.mismatch" in error for error in broken.errors)

    assert read_manifest(fake_mp4).state == "absent"


# -- the app ------------------------------------------------------------------------------


def _converted(team, tmp_path) -> Conversion:  # noqa: ANN001
    """A conversion recorded as the convert job records it, from a real converted file."""
    curator = team.users["curator"]
    model = SwapModelFactory(
        project=team.project,
        name="KH to BO",
        faceset_a__identity=IdentityFactory(project=team.project, name="Katie Hill"),
        faceset_b__identity=IdentityFactory(project=team.project, name="Barack Obama"),
    )
    ConsentRecord.objects.create(
        faceset=model.faceset_b, basis="public_domain", subject="US government work", scope="any"
    )
    source, _ = media_add_local(project=team.project, path=PD_CLIP, name="pd.mp4", added_by=None)
    (tmp_path / "work").mkdir()
    output = write_fake(tmp_path / "work" / "converted.mp4")
    truth = tmp_path / "work" / "groundtruth.zip"
    truth.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip: not read here
    result = ConversionResult(
        output_path=output,
        ground_truth_path=truth,
        frames_total=FRAMES,
        frames_manipulated=list(range(0, FRAMES, 2)),
        start_frame=0,
        end_frame=FRAMES,
        seconds=1.0,
        frames_per_second=12.0,
        video_codec="h264",
        audio=None,
        device="cpu",
        synthetic_tag={"synthetic": True},
    )
    job = JobFactory(project=team.project, kind="swap_convert", created_by=curator)
    options = {"direction": "a-to-b", "color_transfer": "reinhard"}
    done = swap_jobs.swap_convert_record(
        model=model, source=source, job=job, result=result, options=options
    )
    return Conversion.objects.get(pk=done.result["conversion"])


@needs_shared_media
def test_a_converted_fake_is_stored_signed_and_its_page_says_so(team, api_as, client, tmp_path):
    conversion = _converted(team, tmp_path)
    fake = conversion.output_media
    stored = Path(fake.file.path)
    summary = read_manifest(stored, trust_anchors_pem=installation_signing_key().root_pem.decode())
    assert summary.state == "trusted"  # the stored bytes, the ones users download
    details = summary.details
    assert details["model"]["name"] == "KH to BO" and details["model"]["arch"] == "original"
    assert details["identity_shown"]["identity"] == "Barack Obama"
    assert details["identity_shown"]["consents"][0]["subject"] == "US government work"
    assert details["identity_replaced"]["identity"] == "Katie Hill"
    assert details["options"]["color_transfer"] == "reinhard"
    assert details["installation"] == installation_signing_key().installation_id
    assert conversion.provenance["c2pa"]["certificate_sha256"] == (
        installation_signing_key().certificate_fingerprint
    )

    fake = run_probe(fake)
    assert fake.c2pa["state"] == "trusted" and fake.c2pa["ai_generated"]
    body = api_as("viewer").get(reverse("media-detail", args=[team.project.pk, fake.pk])).json()
    assert body["c2pa"]["signed_by_installation"] is True
    panel = media_provenance_panel(fake)
    assert panel["headline"] == (
        "C2PA: valid, signed by this installation, AI-generated by deepreview (model KH to BO)"
    )
    client.force_login(team.users["viewer"])
    page = client.get(reverse("media-detail-page", args=[team.project.pk, fake.pk]))
    assert "signed by this installation" in page.content.decode()

    # One changed byte of the stored fake: the page says verification failed, and why.
    flip_one_byte_of_the_video(stored)
    fake = media_provenance_check(item=fake, path=stored)
    panel = media_provenance_panel(fake)
    assert panel["headline"] == "C2PA: verification failed"
    assert any("bmffHash.mismatch" in line for line in panel["lines"])


@needs_shared_media
def test_a_stripped_manifest_leaves_the_fake_labelled_fake(team, tmp_path):
    conversion = _converted(team, tmp_path)
    fake = conversion.output_media
    stored = Path(fake.file.path)
    stripped = strip_manifest(stored, tmp_path / "stripped.mp4")
    stored.write_bytes(stripped.read_bytes())
    fake = media_provenance_check(item=fake, path=stored)
    fake.refresh_from_db()
    assert fake.c2pa["state"] == "absent"
    assert fake.origin == "fake" and Conversion.objects.filter(output_media=fake).exists()
    panel = media_provenance_panel(fake)
    assert panel["headline"] == "C2PA: no manifest in this file"
    assert any(f"fake made here (conversion {conversion.pk})" in line for line in panel["lines"])


@needs_shared_media
def test_an_upload_carrying_a_manifest_shows_it(team, api_as, fake_mp4, tmp_path):
    elsewhere = installation_key(tmp_path / "another-installation")
    signed = tmp_path / "from-elsewhere.mp4"
    sign_fake_video(
        fake_mp4, signed, key=elsewhere, title="x.mp4", description="Face swap", details={}
    )
    client = api_as("curator")
    with signed.open("rb") as handle:
        response = client.post(
            reverse("media-list", args=[team.project.pk]), {"file": handle}, format="multipart"
        )
    assert response.status_code == 201, response.content
    item = run_probe(MediaItem.objects.get(pk=response.json()["id"]))
    body = client.get(reverse("media-detail", args=[team.project.pk, item.pk])).json()
    c2pa = body["c2pa"]
    assert (c2pa["present"], c2pa["state"], c2pa["integrity_ok"]) == (True, "valid", True)
    assert c2pa["signed_by_installation"] is False and c2pa["ai_generated"] is True
    assert c2pa["claim_generator"].startswith("deepreview")
    assert body["origin"] == "unknown"  # a manifest is a claim; the origin is the curator's
    headline = media_provenance_panel(item)["headline"]
    assert headline.startswith("C2PA: valid, signed by an unknown signer (deepreview installation")


def test_a_file_without_a_manifest_reads_absent(tmp_path):
    plain = tmp_path / "plain.mp4"
    with av.open(str(plain), "w") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    assert read_manifest(plain).as_dict()["present"] is False
    (tmp_path / "notes.txt").write_text("not media")
    assert read_manifest(tmp_path / "notes.txt").state == "absent"


def test_blind_review_hides_the_manifest_with_the_origin(team, api_as, client):
    team.project.blind_review = True
    team.project.save()
    fake = ConversionFactory(project=team.project).output_media
    fake.c2pa = {"present": True, "state": "trusted", "ai_generated": True}
    fake.save()
    body = api_as("reviewer").get(reverse("media-detail", args=[team.project.pk, fake.pk])).json()
    assert body["origin_hidden"] is True and body["c2pa"] is None
    client.force_login(team.users["reviewer"])
    page = client.get(reverse("media-detail-page", args=[team.project.pk, fake.pk]))
    assert 'id="provenance"' not in page.content.decode()

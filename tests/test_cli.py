"""The deepreview console script, run as a real subprocess."""

import json
import subprocess
import sys
from pathlib import Path

from tests.media_paths import HOPPER, PD_CLIP, REPO_ROOT, needs_shared_media


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deepreview_workers.cli", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_subcommands():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "usage: deepreview" in result.stdout
    assert "probe" in result.stdout


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "deepreview 0.1.0"


@needs_shared_media
def test_probe_prints_one_json_object_per_file():
    photo = HOPPER
    result = run_cli("probe", str(PD_CLIP), str(photo))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    clip, image = (json.loads(line) for line in result.stdout.splitlines())
    assert clip["path"] == str(PD_CLIP)
    assert clip["kind"] == "video" and clip["frame_count"] == 259
    assert clip["size_bytes"] == PD_CLIP.stat().st_size
    assert clip["sha256"] == "c2825f1bc3946224d5537a80b7deb3ea250d50847cd02bac0f3aab18b98be7d5"
    assert image["kind"] == "image" and image["width"] == 517


def test_probe_bad_file_reports_one_line_and_exits_1_after_all_files(bad_media):
    bad = bad_media / "truncated.mp4"
    result = run_cli("probe", str(bad), str(PD_CLIP))
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1  # the good file was still probed
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"deepreview probe: {bad}: The file is truncated or corrupt")
    assert line.endswith("[corrupt]")


def test_probe_missing_file_is_reported():
    result = run_cli("probe", "no/such/file.mp4")
    assert result.returncode == 1
    assert result.stderr.startswith("deepreview probe: no/such/file.mp4: ")


def test_probe_without_files_is_a_usage_error():
    result = run_cli("probe")
    assert result.returncode == 2
    assert "usage:" in result.stderr


@needs_shared_media
def test_cli_does_not_import_django():
    code = (
        "import sys; from deepreview_workers.cli import main; main(['probe', sys.argv[1]]); "
        "assert not any(m.split('.')[0] in {'django', 'celery', 'rest_framework', 'deepreview'}"
        " for m in sys.modules), sorted(sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(PD_CLIP)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@needs_shared_media
def test_extract_then_sort(tmp_path, bad_media):
    photo = HOPPER
    bad = bad_media / "not_media.mp4"
    result = run_cli(
        "extract",
        str(PD_CLIP),
        str(photo),
        str(bad),
        "-o",
        str(tmp_path),
        "--sampling",
        "every_n",
        "--every-n",
        "60",
        "--device",
        "cpu",
    )
    assert result.returncode == 1  # the bad file failed, the others were done
    summaries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [s["faces_kept"] for s in summaries] == [5, 1]
    assert summaries[0]["frames_sampled"] == 5 and "detect" in summaries[0]["stage_seconds"]
    assert f"deepreview extract: {bad}:" in result.stderr
    clip_dir = tmp_path / PD_CLIP.stem
    assert (clip_dir / "alignments.json").is_file()
    assert len(list((clip_dir / "masks" / "components").glob("*.png"))) == 5

    by_blur = run_cli("sort", str(clip_dir), "--by", "blur")
    assert by_blur.returncode == 0, by_blur.stderr
    paths = by_blur.stdout.splitlines()
    assert len(paths) == 5 and all(Path(p).is_file() for p in paths)
    reversed_paths = run_cli("sort", str(clip_dir), "--by", "blur", "--reverse").stdout
    assert reversed_paths.splitlines() == paths[::-1]
    assert run_cli("sort", str(clip_dir), "--by", "wrong").returncode == 2

    # The folder given to `extract -o` holds both inputs' faces: sort takes it as it is.
    both = run_cli("sort", str(tmp_path), "--by", "identity", "--reference", paths[0])
    assert both.returncode == 0, both.stderr
    both_paths = both.stdout.splitlines()
    assert len(both_paths) == 6 and set(paths) < set(both_paths)
    assert both_paths[-1] == paths[0]  # the reference is nearest itself
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_cli("sort", str(empty), "--by", "blur")
    assert nothing.returncode == 1 and f"deepreview extract INPUT... -o {empty}" in nothing.stderr


@needs_shared_media
def test_train_resume_and_convert(tmp_path):
    from deepreview_workers.pipeline.swap.writer import read_synthetic_tag
    from tests.media_paths import SHARED_MEDIA

    other = SHARED_MEDIA / "real_videos" / "hdtf_WDA_KatieHill_000.mp4"
    if not other.exists():
        import pytest

        pytest.skip("shared media absent")
    extracted = run_cli(
        "extract",
        str(PD_CLIP),
        str(other),
        "-o",
        str(tmp_path / "faces"),
        "--fps",
        "4",
        "--device",
        "cpu",
    )
    assert extracted.returncode == 0, extracted.stderr
    faces_a, faces_b = tmp_path / "faces" / PD_CLIP.stem, tmp_path / "faces" / other.stem
    model = tmp_path / "model"
    common = [
        "--faces-a",
        str(faces_a),
        "--faces-b",
        str(faces_b),
        "--model",
        str(model),
        "--width",
        "0.25",
        "--batch-size",
        "4",
        "--checkpoint-every",
        "5",
        "--preview-every",
        "5",
        "--device",
        "cpu",
    ]
    first = run_cli("train", *common, "--iterations", "10")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["iteration"] == 10
    resumed = json.loads(run_cli("train", *common, "--iterations", "15").stdout)
    assert resumed["iteration"] == 15 and resumed["iterations_run"] == 5
    assert len(list((model / "previews").glob("*.png"))) >= 3

    fake = tmp_path / "fake.mp4"
    sampled = run_cli(
        "convert",
        str(PD_CLIP),
        "--model",
        str(model),
        "-o",
        str(fake),
        "--alignments",
        str(faces_a / "alignments.json"),
    )
    assert sampled.returncode == 1 and "extract the target video with sampling 'all'" in (
        sampled.stderr
    )
    converted = run_cli(
        "convert",
        str(PD_CLIP),
        "--model",
        str(model),
        "-o",
        str(fake),
        "--color-transfer",
        "reinhard",
        "--device",
        "cpu",
    )
    assert converted.returncode == 0, converted.stderr
    summary = json.loads(converted.stdout.splitlines()[-1])
    assert summary["frames_total"] == 259 and summary["frames_manipulated"] == 259
    assert read_synthetic_tag(fake) is not None
    assert Path(summary["ground_truth_path"]).is_file()
    untrained = run_cli(
        "convert",
        str(PD_CLIP),
        "--model",
        str(tmp_path / "none"),
        "-o",
        str(tmp_path / "x.mp4"),
        "--alignments",
        str(faces_a / "alignments.json"),
    )
    assert untrained.returncode == 1 and "deepreview convert:" in untrained.stderr


@needs_shared_media
def test_detect_signals_only_and_a_no_face_video(tmp_path):
    from tests.facesets.test_extract_job import no_face_clip

    empty = no_face_clip(tmp_path / "empty.mp4")
    result = run_cli(
        "detect", str(PD_CLIP), str(empty), "--frames", "8", "--device", "cpu", "--signals-only"
    )
    assert result.returncode == 0, result.stderr
    clip, nobody = (json.loads(line) for line in result.stdout.splitlines())
    assert clip["status"] == "ok" and clip["detector"] is None  # no detector: signals alone
    assert clip["score"]["source"] == "signal fusion"  # their fusion is the score
    assert {"edge_seam", "face_blur", "blinking"} <= set(clip["signals"])
    assert "frames" not in clip
    assert nobody["status"] == "no_faces" and nobody["score"] is None
    untrained = run_cli("detect", str(PD_CLIP), "--detector", str(tmp_path / "none.pt"))
    assert untrained.returncode == 1 and "deepreview detect:" in untrained.stderr
    refused = run_cli("train-detector", str(tmp_path), "-o", str(tmp_path / "d.pt"))
    assert refused.returncode == 1 and "deepreview train-detector:" in refused.stderr


@needs_shared_media
def test_detect_without_a_detector_uses_the_built_in_one():
    result = run_cli("detect", str(PD_CLIP), "--json", "--frames", "6", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    clip = json.loads(result.stdout)
    score = clip["score"]
    assert clip["detector"]["name"] == "Built-in detector" and clip["detector"]["has_map"]
    assert score["calibrated"] and 0.0 <= score["confident"] <= 1.0
    assert 0.0 <= score["threshold_fpr"] <= 1.0
    assert clip["map_summary"]["text"]  # the map's finding in words
    faces = [face for frame in clip["frames"] if frame["analysed"] for face in frame["faces"]]
    assert faces and all(len(face["map"]) == 16 for face in faces)
    reference = clip["signal_reference"]
    assert reference["reference_videos"] >= 20 and 0 <= reference["fusion_probability"] <= 1
    assert all(
        0 <= s["percentile"] <= 1
        for s in reference["signals"].values()
        if s["percentile"] is not None
    )
    both = run_cli("detect", str(PD_CLIP), "--signals-only", "--detector", "x.pt")
    assert both.returncode == 2 and "exclude each other" in both.stderr


@needs_shared_media
def test_extract_then_train_detector_then_detect(tmp_path):
    """The folders `deepreview extract -o` writes are what train-detector takes, and the
    checkpoint it writes is what detect takes."""
    import pytest

    from tests.media_paths import SHARED_MEDIA

    train_real = SHARED_MEDIA / "train_real" / "videos"
    # Plumbing only, so any faces do: the evaluation clips (eval_external, fake_videos)
    # are never trained on, and the "fake" side is real 256 x 256 clips standing in.
    real_a = train_real / "dagan_driving.mp4"
    fake_of_a = train_real / "edtalk_mouth_source.mp4"
    other_fake = train_real / "dpe_s.mp4"
    if not all(path.is_file() for path in (real_a, fake_of_a, other_fake)):
        pytest.skip("the train_real clips are not in the shared media")
    data = tmp_path / "DATA"
    few = ["--sampling", "every_n", "--every-n", "100", "--device", "cpu"]
    # Real videos into DATA/real, fakes into DATA/fake; the "fake of A" into an identity
    # folder named like A's video, so both land on one side of the split.
    for inputs, out in (
        ((PD_CLIP, real_a), data / "real"),
        ((fake_of_a,), data / "fake" / real_a.stem),
        ((other_fake,), data / "fake"),
    ):
        extracted = run_cli("extract", *map(str, inputs), "-o", str(out), *few)
        assert extracted.returncode == 0, extracted.stderr
    assert list(data.rglob("masks/*/*.png"))  # beside the faces; training must not take them

    model = tmp_path / "model.pt"
    train = [
        "train-detector",
        str(data),
        "-o",
        str(model),
        "--arch",
        "meso4",
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--device",
        "cpu",
    ]
    lost = run_cli(*train)  # the videos are neither beside DATA nor in the working folder
    assert lost.returncode == 1 and "pass --source-dir" in lost.stderr
    assert not model.exists()
    trained = run_cli(*train, "--source-dir", str(SHARED_MEDIA))
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    faces = len(list(data.rglob("faces/*.png")))
    assert summary["dataset"]["source"] == "extract" and summary["dataset"]["faces"] == faces
    assert summary["dataset"]["identities"] == 3  # PD_CLIP's, A's, the other fake's
    assert summary["dataset"]["landmarks"] == faces  # extract's landmarks, not dlib on crops
    assert len(summary["history"]) == 1 and model.is_file()

    detected = run_cli(
        "detect", str(fake_of_a), "--detector", str(model), "--frames", "4", "--device", "cpu"
    )
    assert detected.returncode == 0, detected.stderr
    result = json.loads(detected.stdout)
    assert result["status"] == "ok" and result["detector"]["arch"] == "meso4"
    assert result["detector"]["input_size"] == 256 and result["detector"]["crop_margin"] == 0.3
    assert 0.0 <= result["score"]["confident"] <= 1.0 and result["score"]["source"] == "detector"

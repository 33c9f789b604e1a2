"""Training on real facesets: losses fall, previews and history are written, stop and
resume continue exactly, bad inputs are refused with a clear message."""

from __future__ import annotations

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest
import torch

from deepreview_workers.pipeline.progress import Cancelled
from deepreview_workers.pipeline.swap.augment import AugmentOptions
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.faceset import Faceset, load_faceset_folder
from deepreview_workers.pipeline.swap.models import load_checkpoint, load_model
from deepreview_workers.pipeline.swap.train import Trainer, TrainOptions, load_train_options
from tests.pipeline.swap.conftest import TRAIN

SHORT = replace(
    TRAIN,
    iterations=12,
    checkpoint_every=5,
    preview_every=100,
    log_every=2,
    augment=AugmentOptions(),
)


def test_training_lowers_both_losses_and_writes_previews(trained):
    first, last = trained.statuses[0], trained.statuses[-1]
    assert trained.result.outcome == "completed" and trained.result.iteration == 200
    assert last.loss_a < 0.6 * first.loss_a, (first, last)
    assert last.loss_b < 0.6 * first.loss_b, (first, last)
    assert [s.iteration for s in trained.statuses] == list(range(10, 201, 10))
    assert all(s.iterations_per_second > 0 for s in trained.statuses)
    assert last.eta_seconds == 0 and trained.statuses[0].eta_seconds > 0
    assert trained.fractions == sorted(trained.fractions) and trained.fractions[-1] == 1.0

    previews = sorted((trained.model_dir / "previews").glob("*.png"))
    assert [p.name for p in previews] == ["preview_0000100.png", "preview_0000200.png"]
    grid = cv2.imread(str(previews[-1]))
    # 4 rows of faces; per identity original | reconstructed | swapped, and a gap.
    assert grid.shape == (4 * 64, 6 * 64 + 8, 3)
    assert trained.result.preview_path == previews[-1]

    lines = (trained.model_dir / "loss_history.jsonl").read_text().splitlines()
    history = [json.loads(line) for line in lines]
    assert [h["iteration"] for h in history] == list(range(10, 201, 10))
    assert history[-1]["loss_a"] == pytest.approx(last.loss_a, abs=1e-6)
    metadata = json.loads((trained.model_dir / "model.json").read_text())
    assert metadata["iteration"] == 200 and metadata["arch"] == "original"
    assert metadata["identities"] == {"a": "obama", "b": "hopper"}


def test_checkpoint_loads_for_inference(trained):
    model = load_model(trained.model_dir, "cpu")
    assert model.iteration == 200 and model.size == 64 and not model.has_mask
    # Aligned crops put the mean face on 0.75 of the crop; the model sees the centre 0.875.
    assert model.geometry.coverage == pytest.approx(0.75 / 0.875, abs=1e-3)
    assert load_train_options(trained.model_dir) == TRAIN
    state = load_checkpoint(trained.model_dir)
    assert set(state) >= {"encoder", "decoder_a", "decoder_b", "optimizer", "rng", "loss_history"}
    assert not list(trained.model_dir.glob(".*.tmp"))  # atomic writes leave nothing behind


def _optimizer_tensors(trainer: Trainer) -> list[torch.Tensor]:
    state = trainer.optimizer.state_dict()["state"]
    return [value for key in sorted(state) for _, value in sorted(state[key].items())]


def test_stop_and_resume_continue_from_the_saved_state(facesets, tmp_path):
    first = Trainer(tmp_path / "model", *facesets, SHORT)
    result = first.run(should_stop=lambda: first.iteration >= 7)
    assert result.outcome == "stopped" and result.iteration == 7 and result.loss_a > 0
    assert load_checkpoint(tmp_path / "model")["iteration"] == 7

    resumed = Trainer(tmp_path / "model", *facesets, SHORT)
    assert resumed.iteration == 7
    saved, restored = _optimizer_tensors(first), _optimizer_tensors(resumed)
    assert len(saved) == len(restored) > 0
    assert all(torch.equal(a, b) for a, b in zip(saved, restored, strict=True))
    for a, b in zip(first.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert resumed.rng.bit_generator.state == first.rng.bit_generator.state

    resumed.run()
    straight = Trainer(tmp_path / "straight", *facesets, SHORT)
    straight.run()
    # Same weights, moments, sampler and RNG: the interrupted run equals a straight one.
    for a, b in zip(resumed.model.parameters(), straight.model.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    lines = (tmp_path / "model" / "loss_history.jsonl").read_text().splitlines()
    # The stop at 7 recorded the one iteration since the report at 6.
    assert [json.loads(line)["iteration"] for line in lines] == [2, 4, 6, 7, 8, 10, 12]


def test_cancel_from_progress_keeps_a_checkpoint(facesets, tmp_path):
    def progress(fraction: float, message: str) -> None:
        if fraction >= 0.5:
            raise Cancelled("stop")

    trainer = Trainer(tmp_path / "model", *facesets, SHORT)
    with pytest.raises(Cancelled):
        trainer.run(progress=progress)
    assert load_checkpoint(tmp_path / "model")["iteration"] == 6


def test_resume_with_another_architecture_is_refused(facesets, tmp_path):
    Trainer(tmp_path / "model", *facesets, replace(SHORT, iterations=1)).run()
    with pytest.raises(SwapInputError, match="width 0.125 -> 0.25"):
        Trainer(tmp_path / "model", *facesets, replace(SHORT, width=0.25))


def test_masked_128px_model_trains_on_cpu(facesets, tmp_path):
    options = replace(SHORT, arch="medium128", width=0.0625, iterations=2, batch_size=2)
    faces = [f.resized(147) for f in facesets]  # faceset_size for 128 px at 0.875
    result = Trainer(tmp_path / "model", *faces, options).run()
    assert result.iteration == 2 and np.isfinite(result.loss_a)
    assert load_model(tmp_path / "model", "cpu").has_mask


def _subset(faceset: Faceset, count: int) -> Faceset:
    return Faceset(
        faceset.images[:count], faceset.landmarks[:count], faceset.names[:count], faceset.label
    )


def test_tiny_and_empty_facesets_are_refused(facesets, swap_media, tmp_path):
    faces_a, faces_b = facesets
    with pytest.raises(
        SwapInputError, match=r"faceset B \(hopper\) has only 3 face\(s\).*at least 25"
    ):
        Trainer(tmp_path / "m1", faces_a, _subset(faces_b, 3), replace(TRAIN, min_faces=25))
    empty = load_faceset_folder(swap_media.faces_b, keep=lambda face: False, label="curated")
    with pytest.raises(SwapInputError, match=r"faceset A \(curated\) has no faces.*at least 8"):
        Trainer(tmp_path / "m2", empty, faces_b, TRAIN)
    with pytest.raises(SwapInputError, match="no alignments.json"):
        load_faceset_folder(tmp_path)
    assert not (tmp_path / "m1").exists()  # refused before anything was written


def test_unknown_architecture_and_bad_coverage_are_refused(facesets, tmp_path):
    with pytest.raises(SwapInputError, match="Unknown swap model 'nope'.*medium128, original"):
        TrainOptions(arch="nope")
    with pytest.raises(SwapInputError, match="coverage 0.6 would cut into the face"):
        Trainer(tmp_path / "model", *facesets, replace(TRAIN, coverage=0.6))


def test_the_folder_given_to_extract_o_reads_every_input_in_it(swap_media):
    """``extract A B -o ROOT`` writes ROOT/A and ROOT/B: ROOT itself is a faceset."""
    root = swap_media.faces_a.parent
    sources = [p for p in sorted(root.iterdir()) if (p / "alignments.json").is_file()]
    assert swap_media.faces_a in sources and swap_media.faces_b in sources
    merged = load_faceset_folder(root)
    assert len(merged) == sum(len(load_faceset_folder(p)) for p in sources)

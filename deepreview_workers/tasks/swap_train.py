"""The swap training job: train (or resume) a model on two curated facesets.

What it loads and records, the checkpoint kept in storage included, is in
:mod:`deepreview.swaps.jobs`.
"""

from __future__ import annotations

from deepreview.core.storage import scratch_dir
from deepreview.jobs.kinds import JobDone, SwapTrainResult
from deepreview.jobs.models import Job
from deepreview.swaps import jobs as swap_jobs
from deepreview.swaps import services as swap_services
from deepreview.swaps.services import TRAIN_JOB
from deepreview_workers.pipeline.progress import Cancelled, scaled
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.faceset import faceset_from_crops
from deepreview_workers.pipeline.swap.models import checkpoint_path
from deepreview_workers.pipeline.swap.train import Trainer, TrainOptions, faceset_size
from deepreview_workers.tasks.base import JobProgress
from deepreview_workers.tasks.handlers import job_handler, user_errors


@job_handler(TRAIN_JOB)
def swap_train_job(job: Job, progress: JobProgress) -> JobDone[SwapTrainResult]:
    model = swap_jobs.swap_job_model(job)
    swap_services.training_check(model)
    options = TrainOptions.from_json(
        {
            **model.options,
            "arch": model.arch,
            "iterations": int(job.params["iterations"]),
            "identity_a": model.faceset_a.name,
            "identity_b": model.faceset_b.name,
        }
    )
    size = faceset_size(options)
    faces_a, faces_b = (
        faceset_from_crops(
            swap_jobs.stored_crops(faceset),
            size,
            label=faceset.name,
            progress=scaled(progress, start, start + 0.02),
        )
        for faceset, start in ((model.faceset_a, 0.0), (model.faceset_b, 0.02))
    )
    with scratch_dir() as work:
        model_dir = work / "model"
        swap_jobs.swap_checkpoint_get(model=model, target=checkpoint_path(model_dir))
        with user_errors(SwapInputError):
            trainer = Trainer(model_dir, faces_a, faces_b, options)
        record = swap_jobs.SwapTrainingRecord(model, model_dir)
        outcome, iteration = "failed", model.iteration
        try:
            result = trainer.run(
                progress=scaled(progress, 0.04, 1.0),
                on_status=record,  # figures, loss curve and preview grids to the model
                should_stop=progress.stop_requested,  # stop saves a checkpoint first
            )
            outcome, iteration = result.outcome, result.iteration
        except Cancelled:
            outcome, iteration = "stopped", trainer.iteration
            raise
        finally:  # whatever happened, keep what was learned
            record.finish(
                outcome=outcome, iteration=iteration, checkpoint=checkpoint_path(model_dir)
            )
    return swap_jobs.swap_train_result(result)

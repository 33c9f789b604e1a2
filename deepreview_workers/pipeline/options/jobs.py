"""The options dataclass of each job kind that takes options from a user."""

from __future__ import annotations

from deepreview_workers.pipeline.dataset.types import ExportOptions
from deepreview_workers.pipeline.options.detection import DetectOptions, DetectorTrainJobOptions
from deepreview_workers.pipeline.options.extract import ExtractJobOptions
from deepreview_workers.pipeline.options.swap import ConvertOptions
from deepreview_workers.pipeline.options.swap import TrainOptions as SwapTrainOptions

# Keyed by job kind (the services' *_JOB names).
JOB_OPTIONS: dict[str, type] = {
    "extract": ExtractJobOptions,
    "swap_train": SwapTrainOptions,
    "swap_convert": ConvertOptions,
    "detect": DetectOptions,
    "detector_train": DetectorTrainJobOptions,
    "dataset_export": ExportOptions,
}

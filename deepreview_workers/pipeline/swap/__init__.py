"""Face-swap training and conversion: a library, no web stack (see DESIGN.md).

Entry points for jobs and the CLI:

- facesets: :func:`load_faceset_folder` (extracted folders -> :class:`Faceset`);
- training: :class:`TrainOptions`, :class:`Trainer` / :func:`train`,
  :func:`load_train_options`, :func:`faceset_size`;
- conversion: :class:`ConvertOptions`, :func:`convert_video`, :func:`convert_frame`,
  :func:`preview_frame`, :class:`Converter`, :func:`load_model`;
- outputs: :func:`read_synthetic_tag`, :func:`read_ground_truth`;
- plugins: :data:`architectures` (swap models), :data:`color_transfers`.

Every bad input a user can fix raises :class:`SwapInputError` (a ``ValueError``).
"""

from deepreview_workers.pipeline.options.swap import DIRECTIONS
from deepreview_workers.pipeline.swap.blend import MASK_TYPES, color_transfers
from deepreview_workers.pipeline.swap.convert import (
    ConversionResult,
    Converter,
    ConvertOptions,
    FrameConversion,
    convert_frame,
    convert_video,
    preview_frame,
    select_target_faces,
    smooth_landmarks,
)
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.faceset import Faceset, load_faceset_folder, merge_facesets
from deepreview_workers.pipeline.swap.groundtruth import GroundTruth, read_ground_truth
from deepreview_workers.pipeline.swap.models import (
    FaceGeometry,
    SwapModel,
    TrainedModel,
    architectures,
    build_model,
    load_model,
)
from deepreview_workers.pipeline.swap.train import (
    Trainer,
    TrainOptions,
    TrainResult,
    TrainStatus,
    faceset_size,
    load_train_options,
    train,
)
from deepreview_workers.pipeline.swap.writer import read_synthetic_tag

__all__ = [
    "DIRECTIONS",
    "MASK_TYPES",
    "ConversionResult",
    "ConvertOptions",
    "Converter",
    "FaceGeometry",
    "Faceset",
    "FrameConversion",
    "GroundTruth",
    "SwapInputError",
    "SwapModel",
    "TrainOptions",
    "TrainResult",
    "TrainStatus",
    "TrainedModel",
    "Trainer",
    "architectures",
    "build_model",
    "color_transfers",
    "convert_frame",
    "convert_video",
    "faceset_size",
    "load_faceset_folder",
    "load_model",
    "load_train_options",
    "merge_facesets",
    "preview_frame",
    "read_ground_truth",
    "read_synthetic_tag",
    "select_target_faces",
    "smooth_landmarks",
    "train",
]

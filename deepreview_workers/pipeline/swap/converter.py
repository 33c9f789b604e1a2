"""Swapping the face in single frames: the loaded model, batched, and frame previews."""

from __future__ import annotations

import math
import os

import cv2
import numpy as np
import torch

from deepreview_workers.pipeline.alignments import AlignmentsFile
from deepreview_workers.pipeline.frames import read_frame
from deepreview_workers.pipeline.options.swap import ConvertOptions
from deepreview_workers.pipeline.swap.blend import (
    Blended,
    crop_scale,
    paste_face,
    scale_matrix,
)
from deepreview_workers.pipeline.swap.convert_types import FrameConversion, TrackSelection
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.models import TrainedModel, load_model
from deepreview_workers.pipeline.swap.targets import (
    load_alignments,
    select_target_faces,
    smooth_landmarks,
)


def _model_crop(frame: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The (size, size, 3) uint8 model input; big faces are rendered large and then
    area-averaged down, as the training crops were, instead of aliasing in one warp."""
    scale = crop_scale(matrix)
    if scale < 0.9:
        big = min(int(math.ceil(size / scale)), 2048)
        crop = cv2.warpAffine(
            frame,
            scale_matrix(matrix, big / size),
            (big, big),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0),
        )
        return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return cv2.warpAffine(
        frame,
        matrix,
        (size, size),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )


class Converter:
    """A loaded model plus conversion options: swaps faces in batches of frames."""

    def __init__(
        self, model: TrainedModel | str | os.PathLike[str], options: ConvertOptions | None = None
    ) -> None:
        self.options = options or ConvertOptions()
        if not isinstance(model, TrainedModel):
            model = load_model(model, self.options.device)
        self.model = model
        if self.options.mask == "learned" and not model.has_mask:
            raise SwapInputError(
                f"mask 'learned' needs a model with a mask output; '{model.arch}' has none "
                f"(use components, extended or ellipse)"
            )
        self.settings = self.options.blend_settings()

    def _predict(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        device = self.model.device
        batch = torch.from_numpy(crops).to(device).permute(0, 3, 1, 2).float().div_(255.0)
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=torch.float16, enabled=device.type == "cuda"),
        ):
            latent = self.model.model.encode(batch)
            rgb, mask = self.model.model.decode(latent, self.options.decoder_side)
        faces = rgb.float().permute(0, 2, 3, 1).cpu().numpy()
        masks = None if mask is None else mask.float()[:, 0].cpu().numpy()
        return faces, masks

    def swap(self, frames: list[np.ndarray], landmarks: list[np.ndarray]) -> list[Blended]:
        """Swap one face per frame: ``frames`` (H, W, 3) uint8 RGB, ``landmarks`` (68, 2)
        frame pixels of the face to replace. Model calls are batched (``batch_size``)."""
        size = self.model.size
        results: list[Blended] = []
        step = self.options.batch_size
        for start in range(0, len(frames), step):
            chunk = range(start, min(start + step, len(frames)))
            matrices = [self.model.geometry.matrix(landmarks[i], size) for i in chunk]
            crops = np.stack(
                [_model_crop(frames[i], m, size) for i, m in zip(chunk, matrices, strict=True)]
            )
            faces, masks = self._predict(crops)
            for k, i in enumerate(chunk):
                results.append(
                    paste_face(
                        frames[i],
                        faces[k],
                        matrices[k],
                        landmarks[i],
                        self.settings,
                        None if masks is None else masks[k],
                    )
                )
        return results


def convert_frame(
    frame_rgb: np.ndarray,
    landmarks68: np.ndarray,
    model: TrainedModel | Converter | str | os.PathLike[str],
    options: ConvertOptions | None = None,
) -> FrameConversion:
    """Swap the face at ``landmarks68`` (frame pixels) in one RGB frame (a UI preview).

    ``model``: a model folder, a loaded ``TrainedModel``, or a ``Converter`` (reuse one
    across previews: loading a model takes longer than converting a frame).
    """
    converter = model if isinstance(model, Converter) else Converter(model, options)
    blended = converter.swap([frame_rgb], [np.asarray(landmarks68, np.float64)])[0]
    return FrameConversion(blended.frame, blended.full_mask(), blended.box)


def preview_frame(
    input_path: str | os.PathLike[str],
    alignments: AlignmentsFile | str | os.PathLike[str],
    frame_index: int,
    model: TrainedModel | Converter | str | os.PathLike[str],
    options: ConvertOptions | None = None,
    *,
    track: TrackSelection = "largest",
) -> FrameConversion:
    """Frame ``frame_index`` of the video converted exactly as ``convert_video`` would
    (same face choice and smoothing); unchanged with an all-zero mask when the target
    face is absent there."""
    converter = model if isinstance(model, Converter) else Converter(model, options)
    alignments = load_alignments(alignments)
    window = converter.options.smoothing_window
    half = window // 2
    faces = select_target_faces(alignments, track, frame_index - half, frame_index + half + 1)
    frame = read_frame(input_path, frame_index)
    if frame_index not in faces:
        return FrameConversion(frame, np.zeros(frame.shape[:2], np.uint8), None)
    landmarks = smooth_landmarks(faces, window)[frame_index]
    return convert_frame(frame, landmarks, converter)


def side_by_side_jpeg(original: np.ndarray, converted: np.ndarray) -> bytes:
    """Two RGB frames of one size side by side, an 8 px white gap between, as JPEG."""
    gap = np.full((original.shape[0], 8, 3), 255, np.uint8)
    image = np.concatenate([original, gap, converted], axis=1)
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    if not ok:
        raise SwapInputError("Could not encode the preview image.")
    return encoded.tobytes()

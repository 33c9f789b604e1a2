"""FaceNet (facenet-pytorch ``InceptionResnetV1``, VGGFace2) 512-d embeddings.

Optional: facenet-pytorch would download these weights from GitHub at run time, which we
never do. The state dict must be a local file named by ``DEEPREVIEW_FACENET_WEIGHTS``
(see :mod:`deepreview_workers.pipeline.weights`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from deepreview_workers.pipeline.embed.base import embedders, face_chips, l2_normalise
from deepreview_workers.pipeline.face_detectors.base import check_frame_rgb
from deepreview_workers.pipeline.weights import FACENET_ENV, FACENET_HELP, WeightsMissing
from deepreview_workers.pipeline.weights import facenet_weights_path as _configured_path

if TYPE_CHECKING:
    import torch

INPUT_SIZE = 160
# facenet-pytorch's MTCNN crops add 32 px of margin to a 160 px face box (10% a side);
# dlib's chip padding is relative to the tighter landmark box, so a bit more is needed.
CHIP_PADDING = 0.3


@embedders.register("facenet")
class FacenetEmbedder:
    """512-d identity vectors from FaceNet on CPU or CUDA, in batches of ``max_batch``.

    ``weights_path`` defaults to ``$DEEPREVIEW_FACENET_WEIGHTS``; without either,
    construction raises :class:`~deepreview_workers.pipeline.weights.WeightsMissing` saying where to
    put the file.
    """

    name = "facenet"
    dim = 512

    def __init__(
        self,
        device: str | torch.device = "cpu",
        weights_path: str | Path | None = None,
        max_batch: int = 32,
    ) -> None:
        if not 1 <= max_batch <= 1024:
            raise ValueError("max_batch must be between 1 and 1024")
        path = Path(weights_path) if weights_path is not None else _configured_path()
        if path is None:
            raise WeightsMissing(
                f"FaceNet weights are not configured ({FACENET_ENV} is unset). {FACENET_HELP}"
            )
        if not path.is_file():
            raise WeightsMissing(f"FaceNet weights file {path} does not exist. {FACENET_HELP}")
        import dlib
        import torch
        from facenet_pytorch import InceptionResnetV1

        self._dlib = dlib
        self._torch = torch
        self.device = torch.device(device)
        self.max_batch = int(max_batch)
        state = torch.load(path, map_location="cpu", weights_only=True)
        # The published file also holds the 8631-identity classifier ("logits.*"),
        # which embedding does not use.
        state = {k: v for k, v in state.items() if not k.startswith("logits.")}
        model = InceptionResnetV1(pretrained=None, classify=False)
        model.load_state_dict(state)
        self._model = model.eval().to(self.device)

    def embed(self, frame_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray:
        """(N, 512) float32 L2-normalised vectors for the N faces with these landmarks.

        ``frame_rgb``: (H, W, 3) uint8 RGB; ``landmarks68``: (N, 68, 2) source pixels.
        Faces are cut as 160x160 dlib-aligned chips first.
        """
        check_frame_rgb(frame_rgb)
        chips = face_chips(
            self._dlib, frame_rgb, landmarks68, size=INPUT_SIZE, padding=CHIP_PADDING
        )
        if not chips:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.embed_crops(np.stack(chips))

    def embed_crops(self, crops_rgb: np.ndarray) -> np.ndarray:
        """(N, 512) float32 L2-normalised vectors for aligned face crops.

        ``crops_rgb``: (N, S, S, 3) uint8 RGB, face centred; resized to 160x160 when S
        differs.
        """
        torch = self._torch
        crops = np.asarray(crops_rgb)
        if crops.ndim != 4 or crops.shape[3] != 3 or crops.dtype != np.uint8:
            raise ValueError(f"crops_rgb must be (N, S, S, 3) uint8 RGB, got {crops.shape}")
        out = []
        with torch.inference_mode():
            for start in range(0, len(crops), self.max_batch):
                batch = torch.from_numpy(crops[start : start + self.max_batch]).to(self.device)
                batch = batch.permute(0, 3, 1, 2).float()
                if batch.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
                    batch = torch.nn.functional.interpolate(
                        batch, size=(INPUT_SIZE, INPUT_SIZE), mode="area"
                    )
                # facenet-pytorch's fixed_image_standardization, as in training.
                out.append(self._model((batch - 127.5) / 128.0).cpu().numpy())
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalise(np.concatenate(out))

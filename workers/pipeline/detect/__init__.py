"""Face detection plugins: ``detectors.create(name, **params)``.

- ``mtcnn``: :class:`~workers.pipeline.detect.mtcnn.MtcnnDetector` (facenet-pytorch).
"""

from workers.pipeline.detect.base import DROP_REASONS, Detector, detectors
from workers.pipeline.detect.mtcnn import MtcnnDetector

__all__ = ["DROP_REASONS", "Detector", "MtcnnDetector", "detectors"]

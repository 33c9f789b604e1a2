"""Face detection plugins: ``detectors.create(name, **params)``.

- ``mtcnn``: :class:`~deepreview_workers.pipeline.detect.mtcnn.MtcnnDetector` (facenet-pytorch).

:class:`~deepreview_workers.pipeline.detect.tracking.KeyframeTracker` runs a detector fully on
keyframes and follows faces in between (for detectors with ``refine``).
"""

from deepreview_workers.pipeline.detect.base import DROP_REASONS, Detector, detectors
from deepreview_workers.pipeline.detect.mtcnn import MtcnnDetector
from deepreview_workers.pipeline.detect.tracking import KeyframeTracker

__all__ = ["DROP_REASONS", "Detector", "KeyframeTracker", "MtcnnDetector", "detectors"]

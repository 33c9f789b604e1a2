"""Face detectors (finding faces in frames; fake detection is ``pipeline.detection``):
plugins made by ``detectors.create(name, **params)``.

- ``mtcnn``: :class:`~.mtcnn.MtcnnDetector` (facenet-pytorch).

:class:`~.tracking.KeyframeTracker` runs a detector fully on keyframes and follows faces in
between (for detectors with ``refine``).
"""

from deepreview_workers.pipeline.face_detectors.base import DROP_REASONS, Detector, detectors
from deepreview_workers.pipeline.face_detectors.mtcnn import MtcnnDetector
from deepreview_workers.pipeline.face_detectors.tracking import KeyframeTracker

__all__ = ["DROP_REASONS", "Detector", "KeyframeTracker", "MtcnnDetector", "detectors"]

"""68-point landmark plugins: ``landmarkers.create(name, **params)``.

- ``dlib68``: :class:`~deepreview_workers.pipeline.landmarks.dlib68.Dlib68Landmarker`.
"""

from deepreview_workers.pipeline.landmarks.base import Landmarker, landmarkers
from deepreview_workers.pipeline.landmarks.dlib68 import (
    Dlib68Landmarker,
    dlib_box_from_detector_box,
)

__all__ = ["Dlib68Landmarker", "Landmarker", "dlib_box_from_detector_box", "landmarkers"]

"""A curated faceset as training pixels: the live faces' crops and aligned landmarks."""

from __future__ import annotations

import cv2
import numpy as np

from deepreview.facesets.models import Face, Faceset
from deepreview_workers.pipeline.align import transform_points
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.swap.faceset import Faceset as TrainingFaces


def training_faces(
    faceset: Faceset, size: int, progress: ProgressCallback = no_progress
) -> TrainingFaces:
    """Every live face of ``faceset`` at ``size`` px, landmarks in crop pixels.

    The landmarks come from the stored source-frame landmarks and frame->crop matrix,
    scaled to ``size``; nothing is detected again.
    """
    faces = list(
        Face.objects.filter(faceset=faceset, deleted_at__isnull=True)
        .order_by("id")
        .only("id", "crop", "crop_size", "landmarks68", "matrix")
    )
    images = np.zeros((len(faces), size, size, 3), np.uint8)
    landmarks = np.zeros((len(faces), 68, 2), np.float32)
    for i, face in enumerate(faces):
        with face.crop.open("rb") as handle:
            encoded = np.frombuffer(handle.read(), np.uint8)
        bgr = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError(f"Face {face.pk}'s stored crop cannot be read.")
        scale = size / face.crop_size
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        images[i] = cv2.cvtColor(
            cv2.resize(bgr, (size, size), interpolation=interpolation), cv2.COLOR_BGR2RGB
        )
        points = transform_points(np.asarray(face.landmarks68), np.asarray(face.matrix))
        # Pixel centres: x_new + 0.5 = (x_old + 0.5) * scale, as cv2.resize samples.
        landmarks[i] = (points + 0.5) * scale - 0.5
        if i % 50 == 0:
            progress(i / max(len(faces), 1), f"Loading faces of {faceset.name}")
    names = tuple(f"face {face.pk}" for face in faces)
    return TrainingFaces(images, landmarks, names, label=faceset.name)

"""Canonical mean faces for the 68 iBUG 300-W landmarks: 2-D for alignment, 3-D for pose.

``MEAN_FACE_2D``: (51, 2) float64, landmarks 17..67 (eyebrows, nose, eyes, mouth;
the jaw line is left out because it slides with head turn) in unit coordinates:
x right, y down, the points spanning roughly [0, 1] in both axes. These are the
"landmarks_2D" values of DeepFaceLab (``facelib/LandmarksProcessor.py``), shifted
by +0.009873 in x so the face is centred on x = 0.5, which is exactly faceswap's
``_MEAN_FACE[LandmarkType.LM_2D_51]`` (``lib/align/constants.py``). Using the same
numbers keeps our aligned crops interchangeable with theirs.

``MEAN_FACE_3D``: (52, 3) float64 millimetres for the iBUG indices in
``MEAN_FACE_3D_INDICES`` (the chin, 8, plus 17..67), in the OpenCV camera frame of a
face looking straight into the camera: x to the image's right, y down, z away from
the camera; the nose tip (30) is the origin. x and y are the 2-D mean face scaled so
the outer eye corners are about 90 mm apart (adult average), so a frontal projection
of the 3-D model *is* the 2-D mean face; the depths are rounded anthropometric
averages (eye corners 20-30 mm behind the nose tip, mouth corners ~26 mm, chin ~13 mm,
as in the widely used 6-point model of learnopencv's "Head Pose Estimation": nose
tip, chin, eye corners, mouth corners at (0,0,0), (0,-330,-65), (+-225,170,-135),
(+-150,-150,-125) in its 0.2 mm units with y up). The chin position (not part of the
2-D mean face) sits 45 mm below the mouth, as in those models.
"""

from __future__ import annotations

import numpy as np

# DeepFaceLab landmarks_2D (iBUG 17..67), unit coordinates; centred below.
# fmt: off
_DFL_LANDMARKS_2D = np.array(
    [
        [0.000213256, 0.106454], [0.0752622, 0.038915], [0.18113, 0.0187482],  # 17-19
        [0.29077, 0.0344891], [0.393397, 0.0773906], [0.586856, 0.0773906],  # 20-22
        [0.689483, 0.0344891], [0.799124, 0.0187482], [0.904991, 0.038915],  # 23-25
        [0.98004, 0.106454], [0.490127, 0.203352], [0.490127, 0.307009],  # 26-28
        [0.490127, 0.409805], [0.490127, 0.515625], [0.36688, 0.587326],  # 29-31
        [0.426036, 0.609345], [0.490127, 0.628106], [0.554217, 0.609345],  # 32-34
        [0.613373, 0.587326], [0.121737, 0.216423], [0.187122, 0.178758],  # 35-37
        [0.265825, 0.179852], [0.334606, 0.231733], [0.260918, 0.245099],  # 38-40
        [0.182743, 0.244077], [0.645647, 0.231733], [0.714428, 0.179852],  # 41-43
        [0.793132, 0.178758], [0.858516, 0.216423], [0.79751, 0.244077],  # 44-46
        [0.719335, 0.245099], [0.254149, 0.780233], [0.340985, 0.745405],  # 47-49
        [0.428858, 0.727388], [0.490127, 0.742578], [0.551395, 0.727388],  # 50-52
        [0.639268, 0.745405], [0.726104, 0.780233], [0.642159, 0.864805],  # 53-55
        [0.556721, 0.902192], [0.490127, 0.909281], [0.423532, 0.902192],  # 56-58
        [0.338094, 0.864805], [0.290379, 0.784792], [0.428096, 0.778746],  # 59-61
        [0.490127, 0.785343], [0.552157, 0.778746], [0.689874, 0.784792],  # 62-64
        [0.553364, 0.824182], [0.490127, 0.831803], [0.42689, 0.824182],  # 65-67
    ],
    dtype=np.float64,
)
# fmt: on

#: First iBUG index covered by ``MEAN_FACE_2D`` (rows are landmarks 17..67).
MEAN_FACE_FIRST = 17
MEAN_FACE_2D: np.ndarray = _DFL_LANDMARKS_2D + np.array([0.5 - 0.490127, 0.0])
MEAN_FACE_2D.flags.writeable = False

# iBUG 300-W index groups; "right"/"left" are the *image's* left and right, as in
# FaceDetection.points5 (the iBUG files name them from the viewer's side too).
JAW = range(0, 17)
CHIN = 8
BROW_IMAGE_LEFT = range(17, 22)
BROW_IMAGE_RIGHT = range(22, 27)
NOSE_RIDGE = range(27, 31)
NOSE_BASE = range(31, 36)
EYE_IMAGE_LEFT = range(36, 42)
EYE_IMAGE_RIGHT = range(42, 48)
MOUTH_OUTER = range(48, 60)
MOUTH_INNER = range(60, 68)

#: iBUG index that a point maps to when the face is mirrored left-right.
MIRROR_68: np.ndarray = np.array(
    list(range(16, -1, -1))  # jaw
    + list(range(26, 16, -1))  # eyebrows
    + [27, 28, 29, 30]  # nose ridge
    + [35, 34, 33, 32, 31]  # nose base
    + [45, 44, 43, 42, 47, 46]  # image-left eye <- image-right eye
    + [39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]  # outer lips
    + [64, 63, 62, 61, 60, 67, 66, 65],  # inner lips
    dtype=np.intp,
)
MIRROR_68.flags.writeable = False

# Millimetres per mean-face unit: outer eye corners (36, 45) are 0.737 units apart in
# MEAN_FACE_2D and about 90 mm apart on an adult face.
_MM_PER_UNIT = 122.0

# Depth (mm, away from the camera, relative to the nose tip) per iBUG index 17..67.
# fmt: off
_DEPTH_17_67 = np.array(
    [
        36, 28, 24, 22, 22,  # image-left brow, outer -> inner
        22, 22, 24, 28, 36,  # image-right brow, inner -> outer
        20, 14, 7, 0,  # nose ridge, 27 (between the eyes) -> 30 (tip)
        16, 11, 9, 11, 16,  # nose base, nostril wings and subnasale
        30, 23, 22, 22, 23, 24,  # image-left eye: outer, upper lid, inner, lower lid
        22, 22, 23, 30, 24, 23,  # image-right eye: inner, upper lid, outer, lower lid
        26, 18, 13, 12, 13, 18, 26,  # upper outer lip, corner -> corner
        20, 15, 14, 15, 20,  # lower outer lip, 55 -> 59
        24, 15, 14, 15, 24,  # inner lips 60 -> 64
        15, 14, 15,  # inner lower lip 65 -> 67
    ],
    dtype=np.float64,
)
# fmt: on
_CHIN_BELOW_MOUTH_MM = 45.0
_CHIN_DEPTH_MM = 13.0


def _mean_face_3d() -> tuple[np.ndarray, np.ndarray]:
    nose_tip = MEAN_FACE_2D[30 - MEAN_FACE_FIRST]
    xy = (MEAN_FACE_2D - nose_tip) * _MM_PER_UNIT
    points = np.column_stack([xy, _DEPTH_17_67])
    mouth_y = xy[62 - MEAN_FACE_FIRST, 1]  # centre of the closed mouth
    chin = np.array([[0.0, mouth_y + _CHIN_BELOW_MOUTH_MM, _CHIN_DEPTH_MM]])
    indices = np.array([CHIN, *range(MEAN_FACE_FIRST, 68)], dtype=np.intp)
    return np.vstack([chin, points]), indices


MEAN_FACE_3D, MEAN_FACE_3D_INDICES = _mean_face_3d()
MEAN_FACE_3D.flags.writeable = False
MEAN_FACE_3D_INDICES.flags.writeable = False

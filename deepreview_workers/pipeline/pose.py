"""Head pose from 68 landmarks: solvePnP against the 3-D mean face with a pinhole camera.

Angles follow ``types.FaceMetrics``: yaw + = face turned to the image's right, pitch
+ = face tilted up, roll + = clockwise in the image; all in degrees, 0 for a face
looking straight into the camera. They are the rotation of the head in the camera
frame (x right, y down, z away from the camera) written as

    R = R_y(-yaw) @ R_x(-pitch) @ R_z(roll)

(``rotation_from_angles``), which keeps the three readings independent for the
moderate angles faces are curated on.
"""

from __future__ import annotations

import cv2
import numpy as np

from deepreview_workers.pipeline.mean_face import MEAN_FACE_3D, MEAN_FACE_3D_INDICES

# The points solvePnP fits: rigid parts only. The jaw line slides with head turn and
# the lips and eyelids move with expression, so they would bend the estimate.
POSE_INDICES: tuple[int, ...] = (
    8,  # chin
    17,
    21,
    22,
    26,  # eyebrow ends
    27,
    28,
    29,
    30,
    31,
    33,
    35,  # nose ridge and base
    36,
    39,
    42,
    45,  # eye corners
    48,
    54,  # mouth corners
)

_ROW_OF_INDEX = {int(index): row for row, index in enumerate(MEAN_FACE_3D_INDICES)}
_MODEL_POINTS = np.ascontiguousarray(MEAN_FACE_3D[[_ROW_OF_INDEX[i] for i in POSE_INDICES]])


def camera_matrix(frame_shape: tuple[int, ...]) -> np.ndarray:
    """(3, 3) float64 pinhole intrinsics for a (H, W, ...) frame: focal = W, centre = middle.

    The true focal length is unknown; the frame width (a ~53 deg horizontal field of
    view) is the usual guess and only weakly affects the angles of a face that does not
    fill the frame.
    """
    height, width = float(frame_shape[0]), float(frame_shape[1])
    return np.array([[width, 0.0, width / 2], [0.0, width, height / 2], [0.0, 0.0, 1.0]])


def _rx(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _ry(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rz(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotation_from_angles(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """(3, 3) float64 head rotation in the camera frame for angles in degrees."""
    y, p, r = np.radians([yaw, pitch, roll])
    return _ry(-y) @ _rx(-p) @ _rz(r)


def angles_from_rotation(rotation: np.ndarray) -> tuple[float, float, float]:
    """Inverse of ``rotation_from_angles``: (3, 3) rotation -> (yaw, pitch, roll) degrees."""
    r = np.asarray(rotation, dtype=np.float64)
    yaw = -np.arctan2(r[0, 2], r[2, 2])
    pitch = np.arcsin(np.clip(r[1, 2], -1.0, 1.0))
    roll = np.arctan2(r[1, 0], r[1, 1])
    return float(np.degrees(yaw)), float(np.degrees(pitch)), float(np.degrees(roll))


def head_pose(landmarks68: np.ndarray, frame_shape: tuple[int, ...]) -> tuple[float, float, float]:
    """Yaw, pitch, roll in degrees of the head whose (68, 2) landmarks are given.

    ``landmarks68``: (68, 2) float source-frame pixels, iBUG order. ``frame_shape``:
    (H, W, ...) of that frame, for the camera model. SQPnP gives the global optimum
    (no wrong local minimum behind the camera), then Levenberg-Marquardt refines it.
    """
    points = np.asarray(landmarks68, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"landmarks68 must be (68, 2), got {points.shape}")
    image_points = np.ascontiguousarray(points[list(POSE_INDICES)])
    camera = camera_matrix(frame_shape)
    no_distortion = np.zeros(4)
    ok, rvec, tvec = cv2.solvePnP(
        _MODEL_POINTS, image_points, camera, no_distortion, flags=cv2.SOLVEPNP_SQPNP
    )
    if not ok:
        raise ValueError("solvePnP found no head pose for these landmarks")
    rvec, tvec = cv2.solvePnPRefineLM(
        _MODEL_POINTS, image_points, camera, no_distortion, rvec, tvec
    )
    rotation, _ = cv2.Rodrigues(rvec)
    return angles_from_rotation(rotation)


def project_mean_face(
    yaw: float,
    pitch: float,
    roll: float,
    *,
    frame_shape: tuple[int, ...],
    centre: tuple[float, float],
    distance_mm: float = 600.0,
) -> np.ndarray:
    """(68, 2) float64 landmarks of the 3-D mean face posed and projected into a frame.

    For tests and for drawing a pose guide: the head is placed ``distance_mm`` in front
    of the camera, its nose tip projecting onto ``centre`` (x, y pixels). Rows of iBUG
    points the model lacks (the jaw except the chin, 8) are NaN.
    """
    camera = camera_matrix(frame_shape)
    ray = np.linalg.inv(camera) @ np.array([centre[0], centre[1], 1.0])
    tvec = ray / ray[2] * distance_mm
    rvec, _ = cv2.Rodrigues(rotation_from_angles(yaw, pitch, roll))
    projected, _ = cv2.projectPoints(
        np.ascontiguousarray(MEAN_FACE_3D), rvec, tvec, camera, np.zeros(4)
    )
    landmarks = np.full((68, 2), np.nan)
    landmarks[MEAN_FACE_3D_INDICES] = projected.reshape(-1, 2)
    return landmarks

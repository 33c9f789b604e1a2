"""Where model weights come from: installed packages or explicit local files, never a hub.

- dlib's 68-point shape predictor and 128-d ResNet face descriptor ship inside the
  ``face-recognition-models`` package (the 68-point model is trained on iBUG 300-W,
  whose terms are non-commercial).
- MTCNN's weights ship inside ``facenet-pytorch`` and are loaded by it.
- FaceNet (``InceptionResnetV1``, VGGFace2) weights are optional: a local state-dict file
  named by ``DEEPREVIEW_FACENET_WEIGHTS``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

FACENET_ENV = "DEEPREVIEW_FACENET_WEIGHTS"
FACENET_FILE = "20180402-114759-vggface2.pt"
FACENET_HELP = (
    f"Download facenet-pytorch's VGGFace2 state dict ({FACENET_FILE}, from the "
    "facenet-pytorch v2.2.9 GitHub release) on a machine with internet access, copy it "
    f"to the worker (for example var/weights/{FACENET_FILE}) and set {FACENET_ENV} to "
    "its absolute path."
)


class WeightsMissing(FileNotFoundError):
    """A weights file is not where it should be; the message says where to put it."""


def _face_recognition_models_dir() -> Path:
    # Located without importing the package: its __init__ imports pkg_resources, which
    # setuptools >= 81 no longer ships, but the .dat files are plain package data.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsMissing(
            "The 'face-recognition-models' package is not installed; install the ML "
            "extra (pip install -e '.[ml]') to get dlib's landmark and descriptor weights."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _packaged(filename: str) -> Path:
    path = _face_recognition_models_dir() / filename
    if not path.is_file():
        raise WeightsMissing(
            f"{path} is missing; reinstall 'face-recognition-models' "
            "(pip install --force-reinstall face-recognition-models)."
        )
    return path


def dlib_shape_predictor_path() -> Path:
    """dlib's 68-point shape predictor (iBUG 300-W order), from face-recognition-models."""
    return _packaged("shape_predictor_68_face_landmarks.dat")


def dlib_face_descriptor_path() -> Path:
    """dlib's 128-d ResNet face descriptor model, from face-recognition-models."""
    return _packaged("dlib_face_recognition_resnet_model_v1.dat")


def facenet_weights_path() -> Path | None:
    """The local FaceNet VGGFace2 state dict named by ``DEEPREVIEW_FACENET_WEIGHTS``.

    Returns ``None`` when the variable is unset or empty (FaceNet is optional); raises
    :class:`WeightsMissing` when it is set but names no file.
    """
    value = os.environ.get(FACENET_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise WeightsMissing(f"{FACENET_ENV}={value} names no file. {FACENET_HELP}")
    return path

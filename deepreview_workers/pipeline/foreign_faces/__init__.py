"""Facesets made by other tools (faceswap, DeepFaceLab), read safely and converted into
our extracted-face folders. No Django: the CLI and the web job share it."""

from deepreview_workers.pipeline.foreign_faces.containers import ForeignFaceError
from deepreview_workers.pipeline.foreign_faces.convert import (
    ForeignImportResult,
    ImportedSource,
    ImportOptions,
    import_foreign_faces,
)
from deepreview_workers.pipeline.foreign_faces.safe_pickle import UnsafePickle, safe_loads
from deepreview_workers.pipeline.foreign_faces.source import ForeignImportError
from deepreview_workers.pipeline.foreign_faces.types import FORMATS, ForeignFace

__all__ = [
    "FORMATS",
    "ForeignFace",
    "ForeignFaceError",
    "ForeignImportError",
    "ForeignImportResult",
    "ImportOptions",
    "ImportedSource",
    "UnsafePickle",
    "import_foreign_faces",
    "safe_loads",
]

"""Identity embedding plugins: ``embedders.create(name, **params)``.

- ``dlib_resnet``: :class:`~deepreview_workers.pipeline.embed.dlib_resnet.DlibResnetEmbedder`
  (128-d).
- ``facenet``: :class:`~deepreview_workers.pipeline.embed.facenet.FacenetEmbedder` (512-d; needs a
  local weights file).
"""

from deepreview_workers.pipeline.embed.base import Embedder, cosine_distance, embedders
from deepreview_workers.pipeline.embed.dlib_resnet import DlibResnetEmbedder
from deepreview_workers.pipeline.embed.facenet import FacenetEmbedder

__all__ = ["DlibResnetEmbedder", "Embedder", "FacenetEmbedder", "cosine_distance", "embedders"]

"""Identity embedding plugins: ``embedders.create(name, **params)``.

- ``dlib_resnet``: :class:`~workers.pipeline.embed.dlib_resnet.DlibResnetEmbedder` (128-d).
- ``facenet``: :class:`~workers.pipeline.embed.facenet.FacenetEmbedder` (512-d; needs a
  local weights file).
"""

from workers.pipeline.embed.base import Embedder, cosine_distance, embedders
from workers.pipeline.embed.dlib_resnet import DlibResnetEmbedder
from workers.pipeline.embed.facenet import FacenetEmbedder

__all__ = ["DlibResnetEmbedder", "Embedder", "FacenetEmbedder", "cosine_distance", "embedders"]

"""MTCNN face detection (facenet-pytorch), batched across frames.

The P/R/O-net weights ship inside the facenet-pytorch package and are loaded from there;
nothing is downloaded. Batching is the point of this module: MTCNN's image pyramid and
its three networks run once per stack of same-size frames instead of once per frame.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from deepreview_workers.pipeline.device import channels_last
from deepreview_workers.pipeline.face_detectors.base import DROP_REASONS, check_frame_rgb, detectors
from deepreview_workers.pipeline.options.extract import MtcnnParams
from deepreview_workers.pipeline.types import Box, FaceDetection

if TYPE_CHECKING:
    import torch


@detectors.register("mtcnn", params=MtcnnParams)
class MtcnnDetector:
    """facenet-pytorch's MTCNN with every face kept (``keep_all``), on CPU or CUDA.

    Its parameters, their ranges and help are declared by
    :class:`~deepreview_workers.pipeline.options.extract.MtcnnParams` (the registry
    checks them; each error names the field). Hits whose ``sqrt(box area)`` is below
    ``min_face_size`` are dropped as ``too_small``, final-stage hits scoring below
    ``min_confidence`` as ``low_confidence``; boxes grow by ``margin`` before being
    clipped to the frame.
    """

    name = "mtcnn"

    def __init__(
        self,
        *,
        device: str | torch.device,
        min_face_size: int,
        thresholds: tuple[float, float, float],
        min_confidence: float,
        margin: float,
        max_batch: int,
    ) -> None:
        # Imported here, not at module level, so the registry (plugin names for job
        # forms) can be read on a web host that does not install the ML extra.
        import torch
        from facenet_pytorch import MTCNN

        self.device = torch.device(device)
        self.min_face_size = int(min_face_size)
        self.thresholds = tuple(float(t) for t in thresholds)
        self.min_confidence = float(min_confidence)
        self.margin = float(margin)
        self.max_batch = int(max_batch)
        self.last_dropped: dict[str, int] = dict.fromkeys(DROP_REASONS, 0)
        self._mtcnn = MTCNN(
            keep_all=True,
            device=self.device,
            min_face_size=self.min_face_size,
            thresholds=list(self.thresholds),
            post_process=False,
            select_largest=False,
        ).eval()
        for net in (self._mtcnn.pnet, self._mtcnn.rnet, self._mtcnn.onet):
            channels_last(net)

    def detect(self, frame_rgb: np.ndarray) -> list[FaceDetection]:
        """Faces in one (H, W, 3) uint8 RGB frame; prefer :meth:`detect_batch` for video."""
        return self.detect_batch([frame_rgb])[0]

    def detect_batch(self, frames_rgb: list[np.ndarray]) -> list[list[FaceDetection]]:
        """Faces in each of ``frames_rgb`` ((H, W, 3) uint8 RGB; sizes may differ).

        Frames of one size are stacked and detected in one MTCNN call per ``max_batch``
        frames. Returns one list per input frame, faces ordered left to right (by box
        centre x) so that the order does not depend on near-equal scores. Boxes are
        ``(x0, y0, x1, y1)`` float source pixels, margin-expanded and clipped to the
        frame; ``points5`` are (5, 2) float32, unclipped. ``last_dropped`` is reset and
        filled with this call's discarded hits.
        """
        for index, frame in enumerate(frames_rgb):
            check_frame_rgb(frame, index=index)
        self.last_dropped = dict.fromkeys(DROP_REASONS, 0)
        results: list[list[FaceDetection]] = [[] for _ in frames_rgb]
        by_size: dict[tuple[int, int], list[int]] = defaultdict(list)
        for index, frame in enumerate(frames_rgb):
            by_size[frame.shape[:2]].append(index)
        for (height, width), indices in by_size.items():
            for start in range(0, len(indices), self.max_batch):
                chunk = indices[start : start + self.max_batch]
                stack = np.stack([frames_rgb[i] for i in chunk])
                boxes, probs, points = self._mtcnn.detect(stack, landmarks=True)
                for i, frame_boxes, frame_probs, frame_points in zip(
                    chunk, boxes, probs, points, strict=True
                ):
                    results[i] = self._keep(frame_boxes, frame_probs, frame_points, width, height)
        return results

    def refine(self, frame_rgb: np.ndarray, proposals: list[Box]) -> list[FaceDetection]:
        """Faces near ``proposals`` (e.g. the previous frame's boxes), without the pyramid.

        MTCNN's P-net scans an image pyramid for candidates and costs most of the time;
        its R- and O-nets then judge and refine the candidates. Given good candidates
        (a face seen one frame earlier moves little), R- and O-net alone find the face
        again, typically 10-20x faster. Each proposal is grown by a third so that a face
        that moved or grew still lies inside it. The same thresholds, filters and
        ordering as :meth:`detect_batch` apply.
        """
        import torch
        from facenet_pytorch.models.utils.detect_face import (
            batched_nms,
            batched_nms_numpy,
            bbreg,
            rerec,
        )

        check_frame_rgb(frame_rgb)
        self.last_dropped = dict.fromkeys(DROP_REASONS, 0)
        if not proposals:
            return []
        height, width = frame_rgb.shape[:2]
        image = torch.as_tensor(frame_rgb, device=self.device).permute(2, 0, 1)[None].float()
        raw = np.array([_expand(_shrink(np.array(b), self.margin), 1 / 3) for b in proposals])
        boxes = torch.as_tensor(
            np.column_stack([raw, np.ones(len(raw))]), dtype=torch.float32, device=self.device
        )
        boxes = rerec(boxes)
        with torch.no_grad():
            # R-net: score and regress the proposals (as MTCNN's second stage does).
            out_reg, out_prob = self._mtcnn.rnet(_crops(image, boxes, 24))
            score = out_prob[:, 1]
            keep = score > self.thresholds[1]
            boxes = torch.cat((boxes[keep, :4], score[keep, None]), dim=1)
            zeros = torch.zeros(len(boxes), dtype=torch.int64, device=self.device)
            pick = batched_nms(boxes[:, :4], boxes[:, 4], zeros, 0.7)
            boxes = rerec(bbreg(boxes[pick], out_reg[keep][pick]))
            if len(boxes) == 0:
                return []
            # O-net: final score, box and the five points (MTCNN's third stage).
            out_reg, out_points, out_prob = self._mtcnn.onet(_crops(image, boxes, 48))
        score = out_prob[:, 1]
        keep = score > self.thresholds[2]
        boxes = torch.cat((boxes[keep, :4], score[keep, None]), dim=1)
        points = out_points[keep]
        box_w = (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
        box_h = (boxes[:, 3] - boxes[:, 1] + 1)[:, None]
        points_x = box_w * points[:, :5] + boxes[:, 0:1] - 1
        points_y = box_h * points[:, 5:] + boxes[:, 1:2] - 1
        points = torch.stack((points_x, points_y), dim=2)
        boxes = bbreg(boxes, out_reg[keep])
        zeros = torch.zeros(len(boxes), dtype=torch.int64)
        pick = batched_nms_numpy(boxes[:, :4], boxes[:, 4], zeros, 0.7, "Min")
        boxes, points = boxes[pick].cpu().numpy(), points[pick].cpu().numpy()
        return self._keep(boxes[:, :4], boxes[:, 4], points, width, height)

    def _keep(
        self,
        boxes: np.ndarray | None,
        probs: np.ndarray,
        points: np.ndarray | None,
        width: int,
        height: int,
    ) -> list[FaceDetection]:
        # facenet-pytorch gives None (and probs [None]) for a frame without faces, and
        # object arrays otherwise; normalise to float arrays before filtering.
        if boxes is None or len(boxes) == 0:
            return []
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        probs = np.asarray(probs, dtype=np.float64).reshape(-1)
        points = np.asarray(points, dtype=np.float32).reshape(-1, 5, 2)
        kept: list[FaceDetection] = []
        for box, score, five in zip(boxes, probs, points, strict=True):
            if score < self.min_confidence:
                self.last_dropped["low_confidence"] += 1
                continue
            clipped = _clip(box, width, height)
            if math.sqrt(_area(clipped)) < self.min_face_size:
                self.last_dropped["too_small"] += 1
                continue
            kept.append(
                FaceDetection(
                    box=_clip(_expand(box, self.margin), width, height),
                    score=float(score),
                    points5=five.copy(),
                )
            )
        kept.sort(key=lambda hit: hit.box[0] + hit.box[2])
        return kept


def _crops(image: torch.Tensor, boxes: torch.Tensor, size: int) -> torch.Tensor:
    """Crops of ``boxes`` from a (1, 3, H, W) float frame, clipped to the frame (as
    MTCNN does), resized to ``size`` and normalised as MTCNN's nets expect."""
    import torch
    from facenet_pytorch.models.utils.detect_face import imresample, pad

    height, width = image.shape[2:]
    y, ey, x, ex = pad(boxes, width, height)
    crops = []
    for k in range(len(y)):
        crop = image[:, :, y[k] - 1 : ey[k], x[k] - 1 : ex[k]]
        if crop.shape[2] == 0 or crop.shape[3] == 0:
            crop = image.new_zeros((1, 3, size, size))
        crops.append(imresample(crop, (size, size)))
    return (torch.cat(crops, dim=0) - 127.5) * 0.0078125


def _shrink(box: np.ndarray, margin: float) -> np.ndarray:
    """Undo :func:`_expand`: the detector's own box inside a margin-grown one."""
    return _expand(box, 1 / (1 + margin) - 1) if margin else box


def _expand(box: np.ndarray, margin: float) -> np.ndarray:
    """Grow ``box`` by ``margin`` of its width and height, half on each side."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * margin / 2, (y1 - y0) * margin / 2
    return np.array([x0 - dx, y0 - dy, x1 + dx, y1 + dy])


def _clip(box: np.ndarray, width: int, height: int) -> Box:
    x0, y0, x1, y1 = (float(v) for v in box)
    return (
        min(max(x0, 0.0), width),
        min(max(y0, 0.0), height),
        min(max(x1, 0.0), width),
        min(max(y1, 0.0), height),
    )


def _area(box: Box) -> float:
    return max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)

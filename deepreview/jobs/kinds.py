"""Every job kind: the Celery queue its jobs go to and the result its handler returns.

The one place a kind is declared. ``job_create`` routes a job by this table (a caller
names a queue only to override it, as the worker self-test does), the worker refuses a
handler for a kind missing here, and a test checks each handler returns the result type
named here. Queues are by resource: ``gpu`` (models and video decoding at scale),
``cpu`` (probes), ``io`` (zips and files); every worker host listens on the ones it
serves.

A handler returns ``JobDone(result, message)``: the result is the JSON stored on the
Job (``Job.result``), the message the one line the jobs table shows.
"""

from __future__ import annotations

from typing import Generic, NamedTuple, TypedDict, TypeVar

QUEUES = ("cpu", "io", "gpu")
DEFAULT_QUEUE = "cpu"  # settings.CELERY_TASK_DEFAULT_QUEUE


R = TypeVar("R")


class JobDone(NamedTuple, Generic[R]):
    """What a job handler returns: its result and the jobs table's line about it."""

    result: R
    message: str = "Done"


class ProbeResult(TypedDict):
    frames_decoded: int
    sprite_tiles: int
    proxy: bool


class ExtractResult(TypedDict):
    """``deepreview_workers.pipeline.extract.ExtractionSummary.as_dict()`` and what was kept."""

    source: str
    frames_read: int
    frames_sampled: int
    faces_kept: int
    faces_dropped: dict[str, int]
    seconds: float
    device: str
    stage_seconds: dict[str, float]
    detection_frames: dict[str, int]
    faces_saved: int
    alignments: str  # stored name of the alignments file


class FacesetExportResult(TypedDict):
    faceset: str
    faces: int
    media: int
    artifact: str  # stored name of the zip
    bytes: int


class FacesetImportResult(TypedDict):
    """``deepreview_workers.pipeline.foreign_faces`` summary and what was kept."""

    source: str
    formats: dict[str, int]  # faces read per tool
    face_files: int
    alignments_frames: int
    faces_imported: int
    sources: list[str]
    skipped: dict[str, int]  # reason -> count
    skipped_examples: dict[str, list[str]]
    matrix_sources: dict[str, int]
    seconds: float
    faces_saved: int


class SwapTrainResult(TypedDict):
    """``deepreview_workers.pipeline.swap.train.TrainResult.as_dict()``."""

    outcome: str  # completed | stopped
    iteration: int
    iterations_run: int
    seconds: float
    iterations_per_second: float
    loss_a: float | None
    loss_b: float | None
    checkpoint_path: str
    preview_path: str | None
    device: str


class SwapConvertResult(TypedDict):
    frames_total: int
    start_frame: int
    end_frame: int
    seconds: float
    frames_per_second: float
    video_codec: str
    audio: str | None
    device: str
    conversion: int  # Conversion id
    media: int  # the fake's MediaItem id


class SwapPreviewResult(TypedDict):
    artifact: str  # stored name of the side-by-side JPEG
    frame: int
    manipulated: bool
    box: list[int] | None


class DetectResult(TypedDict):
    run: int  # DetectionRun id
    status: str  # ok | no_faces
    score: float | None
    label: str
    seconds: float


class DetectorTrainResult(TypedDict):
    best_epoch: int
    threshold: float
    faces: int
    seconds: float
    device: str


class DatasetExportResult(TypedDict):
    files: int
    bytes: int
    manifest_sha256: str
    splits: dict
    faces: int
    duplicates_removed: int
    videos_without_faces: list
    videos: int
    seconds: float
    export: int  # DatasetExport id


# "import" is a keyword: the functional form.
DatasetImportResult = TypedDict(
    "DatasetImportResult",
    {
        "videos": int,
        "faces": int,
        "reviewers": int,
        "labels": dict[str, int],
        "manifest_sha256": str,
        "import": int,  # DatasetImport id
        "layout": str,  # deepreview, ffpp, dfdc or celebdf
        "methods": dict[str, int],  # fakes per method
        "paired": int,  # fakes linked to their original
        "already_there": int,  # videos the project had: kept as they were
    },
    total=False,
)


class SelftestResult(TypedDict):
    steps: int
    seconds: float


class JobKind(NamedTuple):
    queue: str
    result: type


JOB_KINDS: dict[str, JobKind] = {
    "probe": JobKind("cpu", ProbeResult),
    "extract": JobKind("gpu", ExtractResult),
    "faceset_export": JobKind("io", FacesetExportResult),
    "faceset_import": JobKind("gpu", FacesetImportResult),  # embeds faces, as extract does
    "swap_train": JobKind("gpu", SwapTrainResult),
    "swap_convert": JobKind("gpu", SwapConvertResult),
    "swap_preview": JobKind("gpu", SwapPreviewResult),
    "detect": JobKind("gpu", DetectResult),
    "detector_train": JobKind("gpu", DetectorTrainResult),
    "dataset_export": JobKind("gpu", DatasetExportResult),
    "dataset_import": JobKind("io", DatasetImportResult),
    "selftest": JobKind("cpu", SelftestResult),  # operators pick its queue
}


def job_queue(kind: str) -> str:
    """The queue of ``kind``; a kind no table row names (a newer web host's) goes to the
    default queue, where the worker fails it with a message saying so."""
    row = JOB_KINDS.get(kind)
    return row.queue if row is not None else DEFAULT_QUEUE

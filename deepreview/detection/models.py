"""Learned fake detectors and the detection runs that score videos and measure signals."""

from django.conf import settings
from django.db import models


class DetectorStatus(models.TextChoices):
    NEW = "new", "Not trained yet"
    TRAINING = "training", "Training"
    READY = "ready", "Ready"
    FAILED = "failed", "Training failed"


class Detector(models.Model):
    """A CNN trained on this project's labeled faces (fakes with ground truth, reals)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="detectors"
    )
    name = models.CharField(max_length=200)
    arch = models.CharField(max_length=40)
    options = models.JSONField(default=dict, blank=True, help_text="Training options")
    status = models.CharField(
        max_length=12, choices=DetectorStatus.choices, default=DetectorStatus.NEW
    )
    checkpoint = models.CharField(max_length=300, blank=True, help_text="Storage name")
    threshold = models.FloatField(null=True, blank=True, help_text="Validation EER threshold")
    history = models.JSONField(default=list, blank=True, help_text="Per-epoch metrics")
    best = models.JSONField(default=dict, blank=True, help_text="The kept epoch's metrics")
    training_set = models.JSONField(
        default=dict, blank=True, help_text="Faces, videos and identities per split"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="detector_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class DetectionRun(models.Model):
    """One video's detection: the video score (with a detector) and every signal's series.

    The per-frame series live in a JSON file in storage (``result``); the row keeps
    what lists, filters and evaluations need.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="detection_runs"
    )
    media = models.ForeignKey(
        "media.MediaItem", on_delete=models.CASCADE, related_name="detection_runs"
    )
    detector = models.ForeignKey(
        Detector, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    detector_name = models.CharField(max_length=200, blank=True, help_text="Snapshot")
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, help_text="ok | no_faces")
    message = models.CharField(max_length=300, blank=True)
    score_mean = models.FloatField(null=True, blank=True)
    score_confident = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    label = models.CharField(max_length=8, blank=True, help_text="fake | real | '' (unscored)")
    signals = models.JSONField(default=dict, help_text="Per-signal description and summary")
    frames_analysed = models.PositiveIntegerField(default=0)
    frames_with_faces = models.PositiveIntegerField(default=0)
    result = models.CharField(max_length=300, help_text="Storage name of the full JSON")
    series = models.JSONField(
        default=dict,
        blank=True,
        help_text="Compact per-frame score and signal series for the review timeline",
    )
    options = models.JSONField(default=dict)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["media", "detector", "created_at"])]

    def __str__(self) -> str:
        return f"detection {self.pk} of media {self.media_id}"

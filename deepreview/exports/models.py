"""Labeled dataset exports (benchmark releases) and their imports into new projects."""

from django.conf import settings
from django.db import models


class DatasetExport(models.Model):
    """One export: what was selected, with which options, and the zip it produced.

    The zip itself is written by a job (``deepreview_workers.pipeline.dataset``);
    ``manifest_sha256`` fingerprints it: the same selection and seed give the same value.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="dataset_exports"
    )
    name = models.CharField(max_length=200)
    selection = models.JSONField(help_text="Label source and filters, as requested")
    options = models.JSONField(help_text="Frames, crop, splits, seed, formats, compression")
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    artifact = models.CharField(max_length=300, blank=True, help_text="Storage name of the zip")
    size_bytes = models.BigIntegerField(null=True, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="Counts per split and label")
    datasheet = models.TextField(blank=True, help_text="datasheet.md of the export")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class DatasetImport(models.Model):
    """A dataset loaded into a project: a deepreview export (videos, labels, ground truth,
    faces, marks) or a FaceForensics++, DFDC or Celeb-DF tree (videos, labels, methods,
    people, pairing), into a new project or, with ``into_existing``, one that was there."""

    # Null once a failed import's project was removed: the record stays to say why.
    project = models.ForeignKey(
        "projects.Project", null=True, on_delete=models.SET_NULL, related_name="dataset_imports"
    )
    file_name = models.CharField(max_length=255)
    upload = models.FileField(
        max_length=300, blank=True, help_text="The uploaded zip (none for a local folder)"
    )
    layout = models.CharField(
        max_length=16, default="deepreview", help_text="deepreview, ffpp, dfdc or celebdf"
    )
    compression = models.CharField(
        max_length=4, blank=True, help_text="FaceForensics++: the compression asked for"
    )
    into_existing = models.BooleanField(
        default=False, help_text="Into a project that was there: a failure removes only its own"
    )
    error = models.TextField(blank=True, help_text="Why the import failed (its project is gone)")
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class ImportedFace(models.Model):
    """A face crop that came with an imported export, with its split and label."""

    dataset_import = models.ForeignKey(
        DatasetImport, on_delete=models.CASCADE, related_name="faces"
    )
    media = models.ForeignKey(
        "media.MediaItem", null=True, on_delete=models.SET_NULL, related_name="imported_faces"
    )
    split = models.CharField(max_length=12)
    label = models.CharField(max_length=8)
    frame_index = models.PositiveIntegerField()
    crop = models.FileField(max_length=300)
    mask = models.FileField(max_length=300, blank=True)

    class Meta:
        ordering = ["dataset_import_id", "media_id", "frame_index", "id"]
        indexes = [models.Index(fields=["dataset_import", "split"])]

    def __str__(self) -> str:
        return f"{self.split} {self.label} face of {self.media_id} at {self.frame_index}"

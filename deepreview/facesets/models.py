from django.conf import settings
from django.db import models


class Faceset(models.Model):
    """A curated set of aligned faces, usually of one identity."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="facesets"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    identity = models.ForeignKey(
        "projects.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="faceset_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Face(models.Model):
    """One extracted, aligned face. Soft-deleted faces keep their row and files."""

    faceset = models.ForeignKey(Faceset, on_delete=models.CASCADE, related_name="faces")
    media = models.ForeignKey(
        "media.MediaItem", null=True, on_delete=models.SET_NULL, related_name="faces"
    )
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    frame_index = models.PositiveIntegerField()
    pts_seconds = models.FloatField()
    face_index = models.PositiveSmallIntegerField(default=0)
    track_id = models.IntegerField(default=-1)

    # Geometry in source-frame pixels; matrix maps source -> aligned crop.
    box = models.JSONField(help_text="[x0, y0, x1, y1]")
    points5 = models.JSONField()
    landmarks68 = models.JSONField()
    matrix = models.JSONField(help_text="2x3 similarity transform")
    crop_size = models.PositiveSmallIntegerField()
    crop = models.FileField(max_length=300)
    thumb = models.FileField(max_length=300, blank=True, help_text="96 px JPEG for the grid")
    masks = models.JSONField(default=dict, help_text="mask name -> storage name")

    # Metrics the grid sorts and filters on (indexed columns).
    blur = models.FloatField(db_index=True)
    face_size = models.FloatField(db_index=True)
    brightness = models.FloatField()
    hue = models.FloatField()
    histogram = models.JSONField()
    yaw = models.FloatField(db_index=True)
    pitch = models.FloatField(db_index=True)
    roll = models.FloatField()
    confidence = models.FloatField()
    embedder = models.CharField(max_length=40)
    embedding = models.BinaryField(help_text="float32 little-endian, L2-normalised")

    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["faceset", "deleted_at"])]

    def __str__(self) -> str:
        return f"face {self.pk} (frame {self.frame_index})"


class CurationAction(models.TextChoices):
    EXTRACT = "extract", "Extracted"
    DELETE = "delete", "Deleted"
    RESTORE = "restore", "Restored"
    MOVE = "move", "Moved"
    SPLIT = "split", "Split"
    UNDO = "undo", "Undid"


class CurationEvent(models.Model):
    """Who did what to which faces, when: the faceset's history (and undo log)."""

    faceset = models.ForeignKey(Faceset, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=CurationAction.choices)
    face_ids = models.JSONField(default=list)
    details = models.JSONField(default=dict, blank=True)
    undone_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="undoes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {len(self.face_ids)} face(s)"

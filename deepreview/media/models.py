import uuid

from django.conf import settings
from django.db import models


class MediaKind(models.TextChoices):
    VIDEO = "video", "Video"
    IMAGE = "image", "Image"


class Origin(models.TextChoices):
    """Ground truth about how the media was made, as far as the project knows."""

    REAL = "real", "Real"
    FAKE = "fake", "Fake"
    UNKNOWN = "unknown", "Unknown"


class MediaStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"  # probe job (poster, sprite, proxy) not done
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


CONTAINER_LABELS = {
    "mov,mp4,m4a,3gp,3g2,mj2": "MP4 / QuickTime",
    "matroska,webm": "Matroska / WebM",
    "avi": "AVI",
    "image2": "image",
    "png_pipe": "PNG",
    "jpeg_pipe": "JPEG",
    "webp_pipe": "WebP",
}


def media_folder(item: "MediaItem") -> str:
    # Per-project, per-item folders: a path never collides and names no user input.
    return f"projects/{item.project_id}/media/{item.storage_key}"


def original_upload_to(item: "MediaItem", filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"{media_folder(item)}/original.{suffix}"


class MediaItem(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="media")
    storage_key = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    kind = models.CharField(max_length=8, choices=MediaKind.choices)
    name = models.CharField(max_length=255, help_text="File name as uploaded")
    file = models.FileField(upload_to=original_upload_to, max_length=300)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(
        max_length=12, choices=MediaStatus.choices, default=MediaStatus.PROCESSING
    )

    # Probe (PyAV) metadata.
    container = models.CharField(max_length=60, blank=True)
    codec = models.CharField(max_length=40, blank=True)
    pix_fmt = models.CharField(max_length=40, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    fps = models.FloatField(null=True, blank=True)
    frame_count = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    has_audio = models.BooleanField(default=False)
    audio_codec = models.CharField(max_length=40, blank=True)
    bit_rate = models.BigIntegerField(null=True, blank=True)

    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.UNKNOWN)
    identity = models.ForeignKey(
        "projects.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="media"
    )

    # Made by the probe job from one decode of the video.
    poster = models.FileField(max_length=300, blank=True)
    sprite = models.FileField(max_length=300, blank=True)
    sprite_meta = models.JSONField(default=dict, blank=True)
    frame_pts = models.FileField(max_length=300, blank=True, help_text="JSON list of seconds")
    proxy = models.FileField(max_length=300, blank=True, help_text="Browser-playable copy")
    # The probe job's reading of the file's C2PA manifest (deepreview.media.provenance);
    # {} until the probe has run.
    c2pa = models.JSONField(default=dict, blank=True, help_text="C2PA manifest summary")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "sha256"], name="media_unique_sha_per_project"
            ),
        ]
        indexes = [models.Index(fields=["project", "kind", "origin"])]

    def __str__(self) -> str:
        return self.name

    @property
    def container_label(self) -> str:
        """FFmpeg names demuxers by families ("mov,mp4,m4a,..."); people know the file type."""
        return CONTAINER_LABELS.get(self.container, self.container)

    @property
    def folder(self) -> str:
        return media_folder(self)

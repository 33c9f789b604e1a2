"""Forensic review: the artifact taxonomy, marks on the frame timeline, verdicts,
assignments, adjudicated consensus, gold videos and per-frame comments.

Marks, verdicts and consensus carry a ``version`` that every change must name
(optimistic locking): two people editing the same row get a 409, never a silent
overwrite.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ArtifactKind(models.Model):
    """A project's own kind of artifact, added to the built-in taxonomy
    (deepreview/review/taxonomy.json, read by ``deepreview.review.taxonomy``)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="artifact_kinds"
    )
    slug = models.SlugField(max_length=60)
    label = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="What to look for")
    color = models.CharField(max_length=7, default="#888888", help_text="#rrggbb")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], name="artifact_kind_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.label


class ReviewLabel(models.TextChoices):
    REAL = "real", "Real"
    FAKE = "fake", "Fake"
    UNCERTAIN = "uncertain", "Uncertain"


class Mark(models.Model):
    """An artifact seen over frames ``start_frame``..``end_frame`` (inclusive), optionally
    in a region ``[x0, y0, x1, y1]`` given as fractions of the frame's width and height."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    media = models.ForeignKey("media.MediaItem", on_delete=models.CASCADE, related_name="marks")
    kind = models.SlugField(max_length=60, help_text="A built-in or project artifact kind")
    start_frame = models.PositiveIntegerField()
    end_frame = models.PositiveIntegerField()
    region = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    # The video's mark-change number at this mark's last write (MarkChangeCounter): a
    # client holding a video's marks asks only for what changed after the number it has.
    change = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_frame", "end_frame", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_frame__gte=F("start_frame")), name="mark_start_before_end"
            ),
        ]
        indexes = [
            models.Index(fields=["media", "start_frame"]),
            models.Index(fields=["media", "change"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind_id} {self.start_frame}-{self.end_frame} on {self.media_id}"


class MarkChangeCounter(models.Model):
    """The number of the last change (create, edit, delete) to a video's marks.

    Every mark write increments it in the write's own transaction; the increment locks
    the row until commit, so numbers commit in order and a reader that has seen number
    N has seen every change up to N (a database sequence gives no such promise).
    """

    media = models.OneToOneField(
        "media.MediaItem", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"change {self.last} of {self.media_id}'s marks"


class MarkDeletion(models.Model):
    """A deleted mark, kept so clients holding the video's marks learn it is gone."""

    media = models.ForeignKey("media.MediaItem", on_delete=models.CASCADE, related_name="+")
    mark_id = models.BigIntegerField()
    # Whose mark it was: in blind review a reviewer hears only of their own marks.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    change = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["media", "change"])]

    def __str__(self) -> str:
        return f"mark {self.mark_id} deleted at change {self.change} of {self.media_id}"


class Verdict(models.Model):
    """One reviewer's call on one video. No row means "unreviewed"; ``uncertain`` means
    "reviewed, undecided"."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    media = models.ForeignKey("media.MediaItem", on_delete=models.CASCADE, related_name="verdicts")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verdicts"
    )
    label = models.CharField(max_length=10, choices=ReviewLabel.choices)
    confidence = models.FloatField(help_text="0 to 1")
    rationale = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["media_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["media", "reviewer"], name="verdict_one_per_reviewer"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id}: {self.label} on {self.media_id}"


class Assignment(models.Model):
    """A video put in a reviewer's inbox by an owner or curator."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    media = models.ForeignKey(
        "media.MediaItem", on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["media", "reviewer"], name="assignment_one_per_reviewer"
            ),
        ]
        indexes = [models.Index(fields=["project", "reviewer"])]

    def __str__(self) -> str:
        return f"{self.media_id} for {self.reviewer_id}"


class Consensus(models.Model):
    """The project's label for a video, decided by an owner after the reviews."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    media = models.OneToOneField(
        "media.MediaItem", on_delete=models.CASCADE, related_name="consensus"
    )
    label = models.CharField(max_length=10, choices=ReviewLabel.choices)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "consensus labels"

    def __str__(self) -> str:
        return f"{self.label} on {self.media_id}"


class GoldVideo(models.Model):
    """A video whose truth is known, used as a hidden check of reviewers' accuracy."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    media = models.OneToOneField("media.MediaItem", on_delete=models.CASCADE, related_name="gold")
    label = models.CharField(
        max_length=10, choices=[(ReviewLabel.REAL, "Real"), (ReviewLabel.FAKE, "Fake")]
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"gold {self.label}: {self.media_id}"


class Comment(models.Model):
    """A remark at one frame; replies point at the thread's first comment."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    media = models.ForeignKey(
        "media.MediaItem", on_delete=models.CASCADE, related_name="review_comments"
    )
    frame = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["frame", "created_at", "id"]
        indexes = [models.Index(fields=["media", "frame"])]

    def __str__(self) -> str:
        return f"comment at frame {self.frame} of {self.media_id}"

"""Face-swap models, the consent that allows training them, and the fakes they make."""

from django.conf import settings
from django.db import models


class ConsentBasis(models.TextChoices):
    CONSENT = "consent", "Consent of the person shown"
    LICENCE = "licence", "Licence of the material"
    PUBLIC_DOMAIN = "public_domain", "Public domain"


class ConsentRecord(models.Model):
    """Why a faceset may be used to train a swap model: consent or a licence, on record."""

    faceset = models.ForeignKey(
        "facesets.Faceset", on_delete=models.CASCADE, related_name="consents"
    )
    basis = models.CharField(max_length=16, choices=ConsentBasis.choices)
    subject = models.CharField(
        max_length=200, help_text="Who consented, or the licence's name (e.g. CC BY 4.0)"
    )
    reference = models.CharField(
        max_length=500, blank=True, help_text="URL or document reference of the evidence"
    )
    evidence = models.FileField(max_length=300, blank=True, help_text="Signed form, licence text")
    scope = models.TextField(help_text="What the consent or licence allows")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_basis_display()}: {self.subject}"


class SwapStatus(models.TextChoices):
    NEW = "new", "Not trained yet"
    TRAINING = "training", "Training"
    STOPPED = "stopped", "Stopped"
    COMPLETED = "completed", "Reached its target"
    FAILED = "failed", "Training failed"


class SwapModel(models.Model):
    """An A<->B autoencoder: one shared encoder, a decoder per identity (faceset)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="swap_models"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    arch = models.CharField(max_length=40)
    options = models.JSONField(default=dict, blank=True, help_text="Training options")
    faceset_a = models.ForeignKey(
        "facesets.Faceset", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    faceset_b = models.ForeignKey(
        "facesets.Faceset", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=SwapStatus.choices, default=SwapStatus.NEW)
    iteration = models.PositiveIntegerField(default=0)
    target_iterations = models.PositiveIntegerField(default=0)
    loss_a = models.FloatField(null=True, blank=True)
    loss_b = models.FloatField(null=True, blank=True)
    iterations_per_second = models.FloatField(null=True, blank=True)
    train_seconds = models.FloatField(default=0)
    checkpoint = models.CharField(max_length=300, blank=True, help_text="Storage name")
    history = models.JSONField(
        default=list, blank=True, help_text="[iteration, loss_a, loss_b] points, thinned"
    )
    previews = models.JSONField(
        default=list, blank=True, help_text="[{iteration, name}] preview grids in storage"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="swapmodel_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def storage_prefix(self) -> str:
        return f"projects/{self.project_id}/swaps/{self.pk}"


class Conversion(models.Model):
    """Ground truth of one fake: how it was made and which pixels of which frames changed."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="conversions"
    )
    swap_model = models.ForeignKey(
        SwapModel, null=True, on_delete=models.SET_NULL, related_name="conversions"
    )
    source_media = models.ForeignKey(
        "media.MediaItem", null=True, on_delete=models.SET_NULL, related_name="conversions_from"
    )
    output_media = models.OneToOneField(
        "media.MediaItem", on_delete=models.CASCADE, related_name="conversion"
    )
    direction = models.CharField(max_length=8)
    options = models.JSONField(default=dict)
    provenance = models.JSONField(
        default=dict, help_text="Model, iteration, facesets, identities, consents, tool version"
    )
    frame_count = models.PositiveIntegerField()
    manipulated_count = models.PositiveIntegerField()
    manipulated_ranges = models.JSONField(
        default=list, help_text="[[first, last], ...] inclusive frame ranges that were changed"
    )
    masks = models.FileField(max_length=300, help_text="Zip of per-frame mask PNGs + manifest")
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"conversion {self.pk}"

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from deepreview.projects.roles import Role


class Project(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    blind_review = models.BooleanField(
        default=False,
        help_text="Reviewers see no other verdicts, marks, comments or ground truth of a "
        "video until they have submitted their own verdict on it.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        through_fields=("project", "user"),
        related_name="projects",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} as {self.role}"


class Identity(models.Model):
    """A named person in a project; videos, faces and splits refer to it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="identities")
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(
                "project", Lower("name"), name="identity_unique_name_per_project"
            ),
        ]

    def __str__(self) -> str:
        return self.name

from django.db import models


class DemoBuild(models.Model):
    """The demo project's build: which project it is and what went wrong starting a step.

    A step's state is never stored: it is read from what the project holds (facesets,
    models, runs, verdicts, exports) and from its jobs, so it cannot drift from them.
    """

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="demo_build"
    )
    errors = models.JSONField(
        default=dict, blank=True, help_text="step -> why it could not start (cleared on retry)"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"demo build of project {self.project_id}"

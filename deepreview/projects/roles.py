"""Project roles, ordered: each role can do everything the roles below it can."""

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"  # reads everything in the project
    REVIEWER = "reviewer", "Reviewer"  # annotates and gives verdicts
    CURATOR = "curator", "Curator"  # changes media, facesets and jobs
    OWNER = "owner", "Owner"  # manages members and the project itself


ROLE_RANK: dict[str, int] = {Role.VIEWER: 1, Role.REVIEWER: 2, Role.CURATOR: 3, Role.OWNER: 4}


def role_at_least(role: str | None, minimum: str) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]

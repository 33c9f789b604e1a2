"""Permission-checked reads. Missing and forbidden give the same 404."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F, Model, QuerySet
from django.http import Http404

from deepreview.core.errors import ApplicationError
from deepreview.projects.models import Identity, Membership, Project
from deepreview.projects.roles import Role, role_at_least

User = AbstractBaseUser | AnonymousUser


def project_role(*, user: User, project_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(project_id=project_id, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )


def access_project(user: User, project_id: int | str, *, min_role: str = Role.VIEWER) -> Project:
    """The project if ``user`` is a member with at least ``min_role``.

    Non-members get a 404 (they must not learn the project exists); members
    whose role is too low get a 403 that names the role needed.
    """
    try:
        pid = int(project_id)
    except (TypeError, ValueError):
        raise Http404("No such project.") from None
    # One query for the project and the user's role in it: every API call starts here.
    project = (
        Project.objects.filter(pk=pid, memberships__user_id=user.pk)
        .annotate(member_role=F("memberships__role"))
        .first()
        if user.is_authenticated
        else None
    )
    if project is None:
        raise Http404("No such project.")
    role = project.member_role
    if not role_at_least(role, min_role):
        raise ApplicationError(
            f"This needs the {min_role} role in the project; you are {role}.",
            code="permission_denied",
            status=403,
        )
    project.current_role = role
    return project


def access_row(
    user: User,
    rows: QuerySet,
    pk: int | str,
    *,
    min_role: str = Role.VIEWER,
    owner: str = "",
    what: str = "row",
) -> Model:
    """The row ``pk`` of ``rows`` if the user has ``min_role`` in its project, with the
    checked project attached (to the row, or to the related ``owner`` that holds the
    project). Missing rows and other projects' rows give the same 404."""
    try:
        row = rows.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        row = None
    if row is None:
        raise Http404(f"No such {what}.")
    holder = getattr(row, owner) if owner else row
    holder.project = access_project(user, holder.project_id, min_role=min_role)
    return row


def project_list_for_user(*, user: User) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user_id=user.pk).distinct()


def membership_list(*, project: Project) -> QuerySet[Membership]:
    return Membership.objects.filter(project=project).select_related("user")


def identity_list(*, project: Project) -> QuerySet[Identity]:
    return Identity.objects.filter(project=project)

"""Business rules for projects, members and identities."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from deepreview.core.errors import ApplicationError
from deepreview.core.storage import project_folder, storage_delete_tree
from deepreview.projects.models import Identity, Membership, Project
from deepreview.projects.roles import Role


@transaction.atomic
def project_create(*, name: str, created_by: AbstractBaseUser, description: str = "") -> Project:
    project = Project.objects.create(name=name, description=description, created_by=created_by)
    Membership.objects.create(project=project, user=created_by, role=Role.OWNER, added_by=None)
    return project


def project_update(
    *,
    project: Project,
    name: str | None = None,
    description: str | None = None,
    blind_review: bool | None = None,
) -> Project:
    if name is not None:
        project.name = name
    if description is not None:
        project.description = description
    if blind_review is not None:
        project.blind_review = blind_review
    project.save()
    return project


def member_add(
    *, project: Project, username: str, role: str, added_by: AbstractBaseUser
) -> Membership:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ApplicationError(
            f"No user named '{username}'. Ask an administrator to create the account first.",
            code="unknown_user",
            fields={"username": ["No such user."]},
        )
    if Membership.objects.filter(project=project, user=user).exists():
        raise ApplicationError(
            f"{username} is already a member; change their role instead.",
            code="already_member",
            status=409,
        )
    return Membership.objects.create(project=project, user=user, role=role, added_by=added_by)


@transaction.atomic
def member_set_role(*, membership: Membership, role: str) -> Membership:
    if membership.role == Role.OWNER and role != Role.OWNER:
        _require_another_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    if membership.role == Role.OWNER:
        _require_another_owner(membership)
    membership.delete()


def _require_another_owner(membership: Membership) -> None:
    # Lock the owner rows so two owners cannot demote each other at once.
    owners = (
        Membership.objects.select_for_update()
        .filter(project_id=membership.project_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
    )
    if not owners.exists():
        raise ApplicationError(
            "A project needs at least one owner; make someone else owner first.",
            code="last_owner",
            status=409,
        )


def identity_create(*, project: Project, name: str, notes: str = "") -> Identity:
    name = name.strip()
    if not name:
        raise ApplicationError("An identity needs a name.", fields={"name": ["Required."]})
    try:
        with transaction.atomic():
            return Identity.objects.create(project=project, name=name, notes=notes)
    except IntegrityError:
        raise ApplicationError(
            f"The project already has an identity named '{name}'.",
            code="duplicate_identity",
            status=409,
        ) from None


def identity_update(
    *, identity: Identity, name: str | None = None, notes: str | None = None
) -> Identity:
    if name is not None:
        identity.name = name.strip()
    if notes is not None:
        identity.notes = notes
    try:
        with transaction.atomic():
            identity.save()
    except IntegrityError:
        raise ApplicationError(
            f"The project already has an identity named '{identity.name}'.",
            code="duplicate_identity",
            status=409,
        ) from None
    return identity


def identity_delete(*, identity: Identity) -> None:
    """Delete an identity; its media and facesets stay, no longer naming anyone."""
    identity.delete()


def project_delete(*, project: Project) -> None:
    """Delete the project, everything in it and every file it stored, after stopping
    its jobs (a running job stops at its next progress report).

    Files go after the commit; what a job still wrote afterwards is removed by
    ``storage_sweep_orphans``.
    """
    from deepreview.jobs import services as job_services  # jobs import projects
    from deepreview.jobs.models import ACTIVE_STATUSES

    for job in project.jobs.filter(status__in=ACTIVE_STATUSES):
        job_services.job_request_cancel(job=job)
    folder = project_folder(project.pk)
    project.delete()
    transaction.on_commit(lambda: storage_delete_tree(folder))

"""Permission-checked reads of exports. Missing and forbidden give the same 404."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from deepreview.exports.models import DatasetExport
from deepreview.projects.roles import Role
from deepreview.projects.selectors import access_row


def access_export(
    user: AbstractBaseUser | AnonymousUser, export_id: int | str, *, min_role: str = Role.VIEWER
) -> DatasetExport:
    """The export if the user has at least ``min_role`` in its project; the same 404
    otherwise (a member below ``min_role`` gets access_project's 403)."""
    return access_row(user, DatasetExport.objects, export_id, min_role=min_role, what="export")

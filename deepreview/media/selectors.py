from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from deepreview.media.models import MediaItem
from deepreview.projects.models import Project
from deepreview.projects.roles import Role
from deepreview.projects.selectors import access_project


def media_list(*, project: Project) -> QuerySet[MediaItem]:
    return MediaItem.objects.filter(project=project).select_related("identity", "uploaded_by")


def access_media(
    user: AbstractBaseUser | AnonymousUser, media_id: int | str, *, min_role: str = Role.VIEWER
) -> MediaItem:
    """The media item if the user may see its project; the same 404 otherwise."""
    try:
        project_id = MediaItem.objects.values_list("project_id", flat=True).get(pk=int(media_id))
    except (MediaItem.DoesNotExist, TypeError, ValueError):
        raise Http404("No such media.") from None
    project = access_project(user, project_id, min_role=min_role)
    item = media_list(project=project).get(pk=int(media_id))
    item.project = project
    return item

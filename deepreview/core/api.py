"""Base classes that make every project-scoped endpoint check its role."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from rest_framework import permissions, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from deepreview.projects.models import Project
from deepreview.projects.roles import Role
from deepreview.projects.selectors import access_project

# Actions every project-scoped view has, with the role they need unless a view says
# otherwise. "metadata" answers OPTIONS (browsers' preflight requests): describing an
# endpoint tells a member nothing the OpenAPI schema does not; outsiders still get 404.
IMPLIED_ROLES = {"metadata": Role.VIEWER}


class ProjectRolePermission(permissions.IsAuthenticated):
    """Looks the action up in the view's ``required_roles``.

    An action missing from the map is a configuration error, never an open door.
    """

    def has_permission(self, request: Request, view: viewsets.GenericViewSet) -> bool:
        if not super().has_permission(request, view):
            return False
        if view.action is None:  # method not allowed: let DRF answer 405
            return True
        roles = {**IMPLIED_ROLES, **view.required_roles}
        if view.action not in roles:
            raise ImproperlyConfigured(
                f"{type(view).__name__}.required_roles has no entry for '{view.action}'."
            )
        view.project = access_project(
            request.user, view.kwargs["project_pk"], min_role=roles[view.action]
        )
        return True


class ProjectScopedViewSet(viewsets.GenericViewSet):
    """A ViewSet nested under /api/projects/{project_pk}/.

    Subclasses set ``required_roles`` (action -> minimum role) and build their
    queryset from ``self.project`` so nothing outside the project is reachable.
    """

    permission_classes = [ProjectRolePermission]
    # Ids are integers: anything else is no route (404), never a ValueError in a view.
    lookup_value_regex = "[0-9]+"
    required_roles: dict[str, str] = {}
    project: Project
    model: type[Model]

    def scoped_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no project
            return self.model.objects.none()
        return self.scoped_queryset()


def json_response(
    data: dict | None = None, *, raw: str | None = None, **raw_fields: str
) -> HttpResponse:
    """A JSON answer that embeds JSON text made elsewhere (by the database) untouched:
    ``raw`` is the whole body, or ``raw_fields`` are keys added to ``data`` as they are.
    Parsing such text only to render it again would cost more than making it."""
    if raw is not None:
        return HttpResponse(raw, content_type="application/json")
    body = JSONRenderer().render(data or {})
    if raw_fields:
        extra = b",".join(
            JSONRenderer().render(key) + b":" + text.encode() for key, text in raw_fields.items()
        )
        body = body[:-1] + (b"," if len(body) > 2 else b"") + extra + b"}"
    return HttpResponse(body, content_type="application/json")

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from deepreview.core.api import ProjectScopedViewSet
from deepreview.projects import selectors, services
from deepreview.projects.models import Identity, Membership, Project
from deepreview.projects.roles import Role
from deepreview.projects.serializers import (
    IdentityReadSerializer,
    IdentityUpdateSerializer,
    IdentityWriteSerializer,
    MembershipCreateSerializer,
    MembershipReadSerializer,
    MembershipUpdateSerializer,
    ProjectReadSerializer,
    ProjectUpdateSerializer,
    ProjectWriteSerializer,
)


class ProjectViewSet(viewsets.GenericViewSet):
    """Projects the user belongs to. Anyone signed in may create one and owns it."""

    permission_classes = [IsAuthenticated]
    lookup_value_regex = "[0-9]+"
    serializer_class = ProjectReadSerializer
    required_roles = {
        "retrieve": Role.VIEWER,
        "partial_update": Role.OWNER,
        "destroy": Role.OWNER,
    }
    ordering_fields = ["created_at", "name"]

    def get_queryset(self) -> QuerySet[Project]:
        return selectors.project_list_for_user(user=self.request.user)

    def _project(self, min_role: str) -> Project:
        return selectors.access_project(self.request.user, self.kwargs["pk"], min_role=min_role)

    def list(self, request: Request) -> Response:
        roles = dict(request.user.memberships.values_list("project_id", "role"))
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        for project in page:
            project.current_role = roles.get(project.pk)
        return self.get_paginated_response(ProjectReadSerializer(page, many=True).data)

    @extend_schema(request=ProjectWriteSerializer, responses={201: ProjectReadSerializer})
    def create(self, request: Request) -> Response:
        data = ProjectWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(created_by=request.user, **data.validated_data)
        project.current_role = Role.OWNER
        return Response(ProjectReadSerializer(project).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ProjectReadSerializer(self._project(Role.VIEWER)).data)

    @extend_schema(request=ProjectUpdateSerializer, responses=ProjectReadSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        project = self._project(Role.OWNER)
        data = ProjectUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        project = services.project_update(project=project, **data.validated_data)
        return Response(ProjectReadSerializer(project).data)

    def destroy(self, request: Request, pk: str) -> Response:
        services.project_delete(project=self._project(Role.OWNER))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembershipViewSet(ProjectScopedViewSet):
    """Members of a project. Everyone in it sees the list; owners change it."""

    serializer_class = MembershipReadSerializer
    required_roles = {
        "list": Role.VIEWER,
        "create": Role.OWNER,
        "partial_update": Role.OWNER,
        "destroy": Role.OWNER,
    }
    pagination_class = None
    model = Membership

    def scoped_queryset(self) -> QuerySet[Membership]:
        return selectors.membership_list(project=self.project)

    def list(self, request: Request, project_pk: str) -> Response:
        return Response(MembershipReadSerializer(self.get_queryset(), many=True).data)

    @extend_schema(request=MembershipCreateSerializer, responses={201: MembershipReadSerializer})
    def create(self, request: Request, project_pk: str) -> Response:
        data = MembershipCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_add(
            project=self.project, added_by=request.user, **data.validated_data
        )
        return Response(MembershipReadSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MembershipUpdateSerializer, responses=MembershipReadSerializer)
    def partial_update(self, request: Request, project_pk: str, pk: str) -> Response:
        data = MembershipUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_set_role(
            membership=get_object_or_404(self.get_queryset(), pk=pk), **data.validated_data
        )
        return Response(MembershipReadSerializer(membership).data)

    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        services.member_remove(membership=get_object_or_404(self.get_queryset(), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class IdentityViewSet(ProjectScopedViewSet, mixins.ListModelMixin):
    """Named people in a project. Curators manage them."""

    serializer_class = IdentityReadSerializer
    required_roles = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "create": Role.CURATOR,
        "partial_update": Role.CURATOR,
        "destroy": Role.CURATOR,
    }
    ordering_fields = ["name", "created_at"]
    model = Identity

    def scoped_queryset(self) -> QuerySet[Identity]:
        return selectors.identity_list(project=self.project)

    def retrieve(self, request: Request, project_pk: str, pk: str) -> Response:
        return Response(IdentityReadSerializer(get_object_or_404(self.get_queryset(), pk=pk)).data)

    @extend_schema(request=IdentityWriteSerializer, responses={201: IdentityReadSerializer})
    def create(self, request: Request, project_pk: str) -> Response:
        data = IdentityWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = services.identity_create(project=self.project, **data.validated_data)
        return Response(IdentityReadSerializer(identity).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IdentityUpdateSerializer, responses=IdentityReadSerializer)
    def partial_update(self, request: Request, project_pk: str, pk: str) -> Response:
        data = IdentityUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        identity = services.identity_update(
            identity=get_object_or_404(self.get_queryset(), pk=pk), **data.validated_data
        )
        return Response(IdentityReadSerializer(identity).data)

    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        services.identity_delete(identity=get_object_or_404(self.get_queryset(), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

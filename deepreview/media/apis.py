from functools import cached_property

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from deepreview.core.api import ProjectScopedViewSet
from deepreview.media import selectors, services
from deepreview.media.models import MediaItem
from deepreview.media.serializers import (
    MediaReadSerializer,
    MediaUpdateSerializer,
    MediaUploadSerializer,
)
from deepreview.projects.roles import Role
from deepreview.review.selectors import ReviewScope, hidden_media_q, review_scope


class MediaFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = MediaItem
        fields = ["kind", "origin", "status", "identity", "name", "sha256"]


class MediaViewSet(ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Videos and images of a project. Curators upload, edit and delete them."""

    serializer_class = MediaReadSerializer
    filterset_class = MediaFilter
    ordering_fields = ["created_at", "name", "duration_seconds", "size_bytes"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    required_roles = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "create": Role.CURATOR,
        "partial_update": Role.CURATOR,
        "destroy": Role.CURATOR,
    }

    model = MediaItem

    def scoped_queryset(self) -> QuerySet[MediaItem]:
        items = selectors.media_list(project=self.project)
        if "origin" in self.request.query_params and self.review_scope.blind:
            # Filtering by origin would tell a blind reviewer which videos are fake.
            items = items.exclude(hidden_media_q(self.review_scope))
        return items

    @cached_property
    def review_scope(self) -> ReviewScope:
        return review_scope(project=self.project, user=self.request.user)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if getattr(self, "project", None) is not None:
            context["review_scope"] = self.review_scope
        return context

    @extend_schema(
        request={"multipart/form-data": MediaUploadSerializer},
        responses={201: MediaReadSerializer, 200: MediaReadSerializer},
        description="Upload a video or image. A file already in the project (same SHA-256) "
        "answers 200 with the existing item and the header X-Deepreview-Duplicate: true.",
    )
    def create(self, request: Request, project_pk: str) -> Response:
        # Reading request.data runs the upload handlers, which flag an oversize body.
        data = MediaUploadSerializer(data=request.data)
        if getattr(request._request, "upload_too_large", False):
            raise services.upload_too_large_error()
        data.is_valid(raise_exception=True)
        item, created = services.media_upload(
            project=self.project,
            upload=data.validated_data.get("file"),
            uploaded_by=request.user,
            origin=data.validated_data["origin"],
            identity_id=data.validated_data["identity"],
            defer_large_probe=True,  # a large file is hashed and probed by its job
        )
        response = Response(
            MediaReadSerializer(item, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        if not created:
            response["X-Deepreview-Duplicate"] = "true"
        return response

    @extend_schema(request=MediaUpdateSerializer, responses=MediaReadSerializer)
    def partial_update(self, request: Request, project_pk: str, pk: str) -> Response:
        data = MediaUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "identity" in fields:
            fields["identity_id"] = fields.pop("identity")
        item = services.media_update(item=get_object_or_404(self.get_queryset(), pk=pk), **fields)
        return Response(MediaReadSerializer(item, context=self.get_serializer_context()).data)

    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        services.media_delete(item=get_object_or_404(self.get_queryset(), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

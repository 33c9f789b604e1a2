"""Dataset export API (per project) and import API (per user: an import makes a project)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from deepreview.core.api import ProjectScopedViewSet
from deepreview.exports import importer, services
from deepreview.exports.models import DatasetExport, DatasetImport
from deepreview.exports.serializers import (
    DatasetExportSerializer,
    DatasetImportSerializer,
    ExportPreviewSerializer,
    ExportWriteSerializer,
    ImportUploadSerializer,
)
from deepreview.media.services import upload_too_large_error
from deepreview.projects.roles import Role


class DatasetExportViewSet(ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Labeled dataset exports. Curators preview, build and delete them; the zip is at
    ``download_url`` (curators, since it carries every label and fake)."""

    model = DatasetExport
    serializer_class = DatasetExportSerializer
    required_roles = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "create": Role.CURATOR,
        "destroy": Role.CURATOR,
        "preview": Role.CURATOR,
    }

    def scoped_queryset(self) -> QuerySet[DatasetExport]:
        return DatasetExport.objects.filter(project=self.project).select_related(
            "job", "created_by"
        )

    @extend_schema(request=ExportWriteSerializer, responses={201: DatasetExportSerializer})
    def create(self, request: Request, project_pk: str) -> Response:
        data = ExportWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = services.export_request(
            project=self.project, requested_by=request.user, **data.validated_data
        )
        return Response(DatasetExportSerializer(export).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        services.export_delete(export=get_object_or_404(self.get_queryset(), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ExportPreviewSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request, project_pk: str) -> Response:
        """Counts per split, label, method and identity, or why the export cannot be made
        (empty selection; identities that cannot be kept apart, with a suggestion)."""
        data = ExportPreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.export_preview(project=self.project, **data.validated_data))


class DatasetImportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your imports. POST a zip (a deepreview export, or the FaceForensics++, DFDC or
    Celeb-DF layout): a job fills a new project (yours) or, with ``project``, one where
    you are a curator."""

    permission_classes = [IsAuthenticated]
    serializer_class = DatasetImportSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[DatasetImport]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return DatasetImport.objects.none()
        return DatasetImport.objects.filter(created_by=self.request.user).select_related(
            "job", "project"
        )

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: DatasetImportSerializer},
    )
    def create(self, request: Request) -> Response:
        data = ImportUploadSerializer(data=request.data)
        if getattr(request._request, "upload_too_large", False):
            raise upload_too_large_error()
        data.is_valid(raise_exception=True)
        record = importer.import_request(
            upload=data.validated_data.get("file"),
            name=data.validated_data["name"],
            requested_by=request.user,
            project_id=data.validated_data["project"],
            layout=data.validated_data["layout"],
            compression=data.validated_data["compression"],
        )
        return Response(DatasetImportSerializer(record).data, status=status.HTTP_201_CREATED)

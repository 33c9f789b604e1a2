from django.urls import reverse
from rest_framework import serializers

from deepreview.core.fields import username_field
from deepreview.core.options import JobOptionsField
from deepreview.exports.models import DatasetExport, DatasetImport
from deepreview.exports.services import EXPORT_JOB


class DatasetExportSerializer(serializers.ModelSerializer):
    created_by = username_field()
    status = serializers.CharField(source="job.status", default=None, read_only=True)
    progress = serializers.FloatField(source="job.progress", default=None, read_only=True)
    message = serializers.CharField(source="job.message", default="", read_only=True)
    error = serializers.CharField(source="job.error", default="", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DatasetExport
        fields = [
            "id",
            "name",
            "selection",
            "options",
            "job",
            "status",
            "progress",
            "message",
            "error",
            "size_bytes",
            "manifest_sha256",
            "summary",
            "datasheet",
            "download_url",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_download_url(self, export: DatasetExport) -> str | None:
        if not export.artifact:
            return None
        return reverse("export-download", kwargs={"export_id": export.pk})


class ExportWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    selection = serializers.DictField(help_text="Label source and filters (see the README)")
    options = JobOptionsField(EXPORT_JOB)


class ExportPreviewSerializer(serializers.Serializer):
    selection = serializers.DictField()
    options = JobOptionsField(EXPORT_JOB)


class DatasetImportSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    progress = serializers.FloatField(source="job.progress", default=None, read_only=True)
    error = serializers.SerializerMethodField()
    project_name = serializers.CharField(source="project.name", default=None, read_only=True)
    project_url = serializers.SerializerMethodField()

    class Meta:
        model = DatasetImport
        fields = [
            "id",
            "project",
            "project_name",
            "project_url",
            "file_name",
            "layout",
            "compression",
            "into_existing",
            "job",
            "status",
            "progress",
            "error",
            "summary",
            "created_at",
        ]
        read_only_fields = fields

    def get_project_url(self, record: DatasetImport) -> str | None:
        if record.project_id is None:
            return None
        return reverse("project-detail-page", args=[record.project_id])

    def get_status(self, record: DatasetImport) -> str | None:
        if record.error:  # the import failed and its project was removed
            return "failed"
        return record.job.status if record.job else None

    def get_error(self, record: DatasetImport) -> str:
        return record.error or (record.job.error if record.job else "")


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, allow_empty_file=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    project = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Import into this project (curators) instead of a new one",
    )
    layout = serializers.ChoiceField(
        choices=["auto", "deepreview", "ffpp", "dfdc", "celebdf"],
        default="auto",
        help_text="The zip's layout: a deepreview export, FaceForensics++, DFDC or Celeb-DF",
    )
    compression = serializers.ChoiceField(
        choices=["", "raw", "c0", "c23", "c40"],
        default="",
        help_text="FaceForensics++: which compression to import (default: the least lossy "
        "one every video has)",
    )

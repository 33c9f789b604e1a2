"""Marks interchange API: one video's marks as a CVAT for video 1.1 or Label Studio file,
and such a file imported as marks (``deepreview.review.interchange``)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from deepreview.core.errors import ApplicationError
from deepreview.media.services import upload_too_large_error
from deepreview.projects.roles import Role
from deepreview.review import interchange
from deepreview.review.apis import MEDIA_PARAM, ReviewScopedViewSet
from deepreview.review.models import Mark

FORMAT_CHOICES = list(interchange.FORMATS)


class FirstRendererNegotiation(DefaultContentNegotiation):
    """Ignores ``Accept`` and ``?format=``: this view's ``format`` is the file format,
    not DRF's renderer override, and the file's type is fixed by it. Errors are JSON."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class MarksImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A CVAT for video 1.1 XML or Label Studio JSON file")
    media = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The video")
    format = serializers.ChoiceField(choices=FORMAT_CHOICES)
    skip_unknown = serializers.BooleanField(
        default=False, help_text="Leave out marks whose label is no kind (else: refused)"
    )


class MarksImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField(
        help_text="Marks already on the video (or twice in the file)"
    )
    skipped_unknown = serializers.DictField(
        child=serializers.IntegerField(), help_text="Label -> marks left out (skip_unknown)"
    )
    ignored = serializers.DictField(
        child=serializers.IntegerField(), help_text="Elements that are not marks -> count"
    )


class MarkExchangeViewSet(ReviewScopedViewSet):
    """``GET marks/export/?media=&format=`` and ``POST marks/import/`` (multipart)."""

    model = Mark
    pagination_class = None
    content_negotiation_class = FirstRendererNegotiation
    required_roles = {"export": Role.VIEWER, "import_marks": Role.REVIEWER}

    def scoped_queryset(self) -> QuerySet[Mark]:
        return Mark.objects.filter(project=self.project)

    @extend_schema(
        parameters=[
            MEDIA_PARAM,
            OpenApiParameter("format", str, enum=FORMAT_CHOICES, required=True),
        ],
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The marks file: CVAT XML or Label Studio JSON, by format",
            ),
            (200, "application/json"): OpenApiResponse(
                {"type": "array", "items": {"type": "object"}},
                description="The marks file: CVAT XML or Label Studio JSON, by format",
            ),
        },
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request, project_pk: str) -> HttpResponse:
        """The marks you can see on the video (blind review: only yours until you give
        your verdict), as a file for CVAT or Label Studio."""
        file_format = request.query_params.get("format", "")
        if file_format not in interchange.FORMATS:
            raise ApplicationError(
                f"Say which format: ?format={' or '.join(FORMAT_CHOICES)}.",
                fields={"format": [f"One of: {', '.join(FORMAT_CHOICES)}."]},
            )
        exported = interchange.marks_export(
            scope=self.scope, media=self.video_from_query(), file_format=file_format
        )
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{_ascii(exported.filename)}"'
        return response

    @extend_schema(
        request={"multipart/form-data": MarksImportSerializer},
        responses={200: MarksImportReportSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_marks(self, request: Request, project_pk: str) -> Response:
        """Create the file's marks on the video, as yours, all or none; marks already
        there are skipped."""
        data = MarksImportSerializer(data=request.data)
        if getattr(request._request, "upload_too_large", False):
            raise upload_too_large_error()
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        upload = fields["file"]
        # Read one byte past the limit: enough to refuse, never the whole of a huge file.
        content = upload.read(interchange.MAX_IMPORT_BYTES + 1)
        report = interchange.marks_import(
            scope=self.scope,
            media=self.video(fields["media"]),
            file_format=fields["format"],
            content=content,
            skip_unknown=fields["skip_unknown"],
        )
        return Response(MarksImportReportSerializer(report).data)


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from deepreview.core.api import ProjectScopedViewSet
from deepreview.facesets import selectors as faceset_selectors
from deepreview.jobs.serializers import JobReadSerializer
from deepreview.media.models import MediaItem
from deepreview.projects.roles import Role
from deepreview.review.selectors import hidden_media_q, review_scope
from deepreview.swaps import services
from deepreview.swaps.models import ConsentRecord, Conversion, SwapModel
from deepreview.swaps.serializers import (
    ConsentReadSerializer,
    ConsentWriteSerializer,
    ConversionReadSerializer,
    ConvertRequestSerializer,
    PreviewRequestSerializer,
    SwapModelDetailSerializer,
    SwapModelReadSerializer,
    SwapModelWriteSerializer,
    TrainRequestSerializer,
)


class ConsentViewSet(ProjectScopedViewSet, mixins.ListModelMixin):
    """Consent and licence records of a faceset: what allows training on it."""

    serializer_class = ConsentReadSerializer
    model = ConsentRecord
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    required_roles = {"list": Role.VIEWER, "create": Role.CURATOR, "destroy": Role.OWNER}

    def scoped_queryset(self) -> QuerySet[ConsentRecord]:
        faceset = faceset_selectors.faceset_get(
            project=self.project, faceset_id=self.kwargs["faceset_pk"]
        )
        return ConsentRecord.objects.filter(faceset=faceset).select_related("recorded_by")

    @extend_schema(request=ConsentWriteSerializer, responses={201: ConsentReadSerializer})
    def create(self, request: Request, project_pk: str, faceset_pk: str) -> Response:
        data = ConsentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.consent_add(
            faceset=faceset_selectors.faceset_get(project=self.project, faceset_id=faceset_pk),
            recorded_by=request.user,
            **data.validated_data,
        )
        return Response(ConsentReadSerializer(record).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, project_pk: str, faceset_pk: str, pk: str) -> Response:
        services.consent_delete(record=get_object_or_404(self.get_queryset(), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SwapModelViewSet(ProjectScopedViewSet, mixins.ListModelMixin):
    """Face-swap models: train, stop, resume, convert videos, preview one frame."""

    serializer_class = SwapModelReadSerializer
    model = SwapModel
    required_roles = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "create": Role.CURATOR,
        "destroy": Role.OWNER,
        "train": Role.CURATOR,
        "stop": Role.CURATOR,
        "convert": Role.CURATOR,
        "preview": Role.CURATOR,
    }

    def scoped_queryset(self) -> QuerySet[SwapModel]:
        return SwapModel.objects.filter(project=self.project).select_related(
            "faceset_a", "faceset_b", "created_by"
        )

    def _model(self, pk: str) -> SwapModel:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _media(self, media_id: int) -> MediaItem:
        return get_object_or_404(MediaItem.objects.filter(project=self.project), pk=media_id)

    @extend_schema(responses=SwapModelDetailSerializer)
    def retrieve(self, request: Request, project_pk: str, pk: str) -> Response:
        return Response(SwapModelDetailSerializer(self._model(pk)).data)

    @extend_schema(request=SwapModelWriteSerializer, responses={201: SwapModelReadSerializer})
    def create(self, request: Request, project_pk: str) -> Response:
        data = SwapModelWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        model = services.swap_model_create(
            project=self.project,
            name=values["name"],
            faceset_a_id=values["faceset_a"],
            faceset_b_id=values["faceset_b"],
            arch=values["arch"],
            options=values["options"],
            created_by=request.user,
        )
        return Response(SwapModelReadSerializer(model).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        services.swap_model_delete(model=self._model(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=TrainRequestSerializer, responses={201: JobReadSerializer})
    @action(detail=True, methods=["post"])
    def train(self, request: Request, project_pk: str, pk: str) -> Response:
        """Train, or resume from the last checkpoint, until ``iterations`` in total."""
        data = TrainRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.swap_train_request(
            model=self._model(pk),
            iterations=data.validated_data["iterations"],
            requested_by=request.user,
        )
        return Response(JobReadSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=JobReadSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, project_pk: str, pk: str) -> Response:
        """Stop training after a checkpoint; train again to resume."""
        return Response(JobReadSerializer(services.swap_train_stop(model=self._model(pk))).data)

    @extend_schema(request=ConvertRequestSerializer, responses={201: JobReadSerializer})
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, project_pk: str, pk: str) -> Response:
        """Convert a video of the project; the fake arrives as new media with ground truth."""
        data = ConvertRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        job = services.swap_convert_request(
            model=self._model(pk),
            media=self._media(values["media"]),
            direction=values["direction"],
            options=values["options"],
            track=values["track"],
            requested_by=request.user,
        )
        return Response(JobReadSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PreviewRequestSerializer, responses={201: JobReadSerializer})
    @action(detail=True, methods=["post"])
    def preview(self, request: Request, project_pk: str, pk: str) -> Response:
        """Render one frame with these options beside the original (the job's artifact)."""
        data = PreviewRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        job = services.swap_preview_request(
            model=self._model(pk),
            media=self._media(values["media"]),
            frame=values["frame"],
            direction=values["direction"],
            options=values["options"],
            track=values["track"],
            requested_by=request.user,
        )
        return Response(JobReadSerializer(job).data, status=status.HTTP_201_CREATED)


class ConversionViewSet(ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Fakes this project made, with their ground truth."""

    serializer_class = ConversionReadSerializer
    model = Conversion
    required_roles = {"list": Role.VIEWER, "retrieve": Role.VIEWER}

    def scoped_queryset(self) -> QuerySet[Conversion]:
        queryset = Conversion.objects.filter(project=self.project).select_related("swap_model")
        # Blind review: a reviewer must not learn which videos are fakes before their verdict.
        scope = review_scope(project=self.project, user=self.request.user)
        queryset = queryset.exclude(hidden_media_q(scope, "output_media_id"))
        media = self.request.query_params.get("output_media")
        return queryset.filter(output_media_id=media) if media and media.isdigit() else queryset

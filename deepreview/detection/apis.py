from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from deepreview.core.api import ProjectScopedViewSet
from deepreview.core.errors import ApplicationError
from deepreview.detection import services
from deepreview.detection.models import DetectionRun, Detector
from deepreview.detection.serializers import (
    DetectionRunSerializer,
    DetectorReadSerializer,
    DetectorTrainSerializer,
    DetectorWriteSerializer,
    DetectRequestSerializer,
)
from deepreview.jobs.serializers import JobReadSerializer
from deepreview.projects.roles import Role
from deepreview.review.selectors import review_scope


class DetectorViewSet(ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Learned detectors: train on the project's labeled videos, evaluate, compare."""

    serializer_class = DetectorReadSerializer
    model = Detector
    required_roles = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "create": Role.CURATOR,
        "destroy": Role.OWNER,
        "train": Role.CURATOR,
        "evaluation": Role.VIEWER,
        "caught": Role.VIEWER,
    }

    def scoped_queryset(self) -> QuerySet[Detector]:
        return Detector.objects.filter(project=self.project).select_related("created_by")

    def _refuse_blind_reviewer(self) -> None:
        # Both answers list which videos are fake: ground truth under blind review.
        if review_scope(project=self.project, user=self.request.user).blind:
            raise ApplicationError(
                "Evaluations show which videos are fake, which blind review hides from "
                "reviewers; ask a curator or owner.",
                code="blind_review",
                status=403,
            )

    @extend_schema(request=DetectorWriteSerializer, responses={201: DetectorReadSerializer})
    def create(self, request: Request, project_pk: str) -> Response:
        data = DetectorWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        detector = services.detector_create(
            project=self.project, created_by=request.user, **data.validated_data
        )
        return Response(DetectorReadSerializer(detector).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        services.detector_delete(detector=get_object_or_404(self.get_queryset(), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=DetectorTrainSerializer, responses={201: JobReadSerializer})
    @action(detail=True, methods=["post"])
    def train(self, request: Request, project_pk: str, pk: str) -> Response:
        """Train on every labeled video of the project (identity-disjoint validation), or
        on a built dataset export of the project (``export``: its train/validation splits)."""
        data = DetectorTrainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.detector_train_request(
            detector=get_object_or_404(self.get_queryset(), pk=pk),
            requested_by=request.user,
            export_id=data.validated_data["export"],
        )
        return Response(JobReadSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "media", str, description="Comma-separated media ids (default: every labeled video)"
            ),
            OpenApiParameter("threshold", float, description="Default: the detector's own"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["get"])
    def evaluation(self, request: Request, project_pk: str, pk: str) -> Response:
        """ROC curve, AUC, EER, log loss and confusion matrix on labeled videos."""
        self._refuse_blind_reviewer()
        raw_media = request.query_params.get("media", "")
        raw_threshold = request.query_params.get("threshold")
        try:
            media = [int(v) for v in raw_media.split(",") if v.strip()]
            threshold = float(raw_threshold) if raw_threshold not in (None, "") else None
        except ValueError:
            raise ApplicationError("media must be ids and threshold a number.") from None
        detector = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(
            services.detector_evaluation(
                detector=detector, media_ids=media or None, threshold=threshold
            )
        )

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def caught(self, request: Request, project_pk: str) -> Response:
        """What gets caught: the project's fakes by conversion settings × detectors/signals."""
        self._refuse_blind_reviewer()
        return Response(services.caught_matrix(project=self.project))


class DetectionRunViewSet(ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Detection runs (newest first); ``?media=`` filters; POST queues runs on videos."""

    serializer_class = DetectionRunSerializer
    model = DetectionRun
    required_roles = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "create": Role.CURATOR}

    def scoped_queryset(self) -> QuerySet[DetectionRun]:
        runs = DetectionRun.objects.filter(project=self.project)
        media = self.request.query_params.get("media")
        if media and media.isdigit():
            runs = runs.filter(media_id=media)
        return runs

    @extend_schema(request=DetectRequestSerializer, responses={201: JobReadSerializer(many=True)})
    def create(self, request: Request, project_pk: str) -> Response:
        data = DetectRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        jobs = services.detect_request(
            project=self.project,
            media_ids=data.validated_data["media"],
            detector_id=data.validated_data["detector"],
            signals_only=data.validated_data["signals_only"],
            options=data.validated_data["options"],
            requested_by=request.user,
        )
        return Response(JobReadSerializer(jobs, many=True).data, status=status.HTTP_201_CREATED)

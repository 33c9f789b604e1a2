import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from deepreview.core.api import ProjectScopedViewSet
from deepreview.jobs import selectors, services
from deepreview.jobs.models import Job, JobStatus
from deepreview.jobs.serializers import JobReadSerializer
from deepreview.projects.roles import Role
from deepreview.review.selectors import review_scope
from deepreview_workers.pipeline.options.jobs import JOB_OPTIONS
from deepreview_workers.pipeline.options.spec import option_spec

GROUND_TRUTH_JOB_KINDS = ("swap_convert", "swap_preview")


class JobFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = Job
        fields = ["status", "kind", "media"]


class JobViewSet(ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Background jobs of a project, newest first. Curators cancel and retry them."""

    serializer_class = JobReadSerializer
    filterset_class = JobFilter
    ordering_fields = ["created_at", "status", "kind"]
    required_roles = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "cancel": Role.CURATOR,
        "retry": Role.CURATOR,
    }

    model = Job

    def scoped_queryset(self) -> QuerySet[Job]:
        jobs = selectors.job_list(project=self.project)
        if review_scope(project=self.project, user=self.request.user).blind:
            # Conversion jobs name the fakes they made: hidden from blind reviewers.
            jobs = jobs.exclude(kind__in=GROUND_TRUTH_JOB_KINDS)
        return jobs

    @extend_schema(request=None, responses=JobReadSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, project_pk: str, pk: str) -> Response:
        job = services.job_request_cancel(job=selectors.job_get(project=self.project, job_id=pk))
        return Response(JobReadSerializer(job).data)

    @extend_schema(request=None, responses={201: JobReadSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, project_pk: str, pk: str) -> Response:
        job = services.job_retry(
            job=selectors.job_get(project=self.project, job_id=pk), user=request.user
        )
        return Response(JobReadSerializer(job).data, status=status.HTTP_201_CREATED)


class JobOptionsView(APIView):
    """The options each job kind takes: name, kind, label, help, default, range and
    choices. The forms render from it; API clients can too (the same declarations
    validate requests and give the request schemas)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response({kind: option_spec(cls) for kind, cls in JOB_OPTIONS.items()})

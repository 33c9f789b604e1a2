from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from deepreview.core.api import ProjectScopedViewSet
from deepreview.core.errors import ApplicationError
from deepreview.demo import services
from deepreview.demo.models import DemoBuild
from deepreview.demo.serializers import DemoStatusSerializer
from deepreview.jobs.serializers import JobReadSerializer
from deepreview.projects.roles import Role

# Link.page -> (URL name, keyword of the object id)
PAGES = {
    "faceset": ("faceset-detail-page", "faceset_id"),
    "swap_model": ("swap-model-detail-page", "model_id"),
    "media": ("media-detail-page", "media_id"),
    "workspace": ("review-workspace-page", "media_id"),
    "report": ("review-report-page", "media_id"),
    "detection": ("detection-page", None),
    "review": ("review-page", None),
    "exports": ("exports-page", None),
}


def _with_urls(state: dict, project_id: int) -> dict:
    for step in state["steps"]:
        for link in step["links"]:
            name, id_kwarg = PAGES[link.pop("page")]
            kwargs = {"project_id": project_id}
            if id_kwarg:
                kwargs[id_kwarg] = link.pop("id")
            else:
                link.pop("id")
            link["url"] = reverse(name, kwargs=kwargs)
    return state


class DemoViewSet(ProjectScopedViewSet):
    """The demo project's build: each step's state and progress; curators retry failed steps."""

    required_roles = {"list": Role.VIEWER, "retry": Role.CURATOR}
    model = DemoBuild
    serializer_class = DemoStatusSerializer

    @extend_schema(responses=DemoStatusSerializer)
    def list(self, request: Request, project_pk: str) -> Response:
        state = services.demo_status(project=self.project)
        if state is None:
            raise ApplicationError("This project is not the demo.", code="not_demo", status=404)
        return Response(DemoStatusSerializer(_with_urls(state, self.project.pk)).data)

    @extend_schema(request=None, responses={201: JobReadSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def retry(self, request: Request, project_pk: str) -> Response:
        jobs = services.demo_retry(project=self.project, user=request.user)
        return Response(JobReadSerializer(jobs, many=True).data, status=status.HTTP_201_CREATED)

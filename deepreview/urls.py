from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter

from deepreview.demo.apis import DemoViewSet
from deepreview.detection.apis import DetectionRunViewSet, DetectorViewSet
from deepreview.detection.file_apis import detection_result
from deepreview.exports.apis import DatasetExportViewSet, DatasetImportViewSet
from deepreview.exports.file_apis import export_download
from deepreview.facesets.apis import FacesetViewSet, FaceViewSet
from deepreview.facesets.file_apis import face_file
from deepreview.jobs.apis import JobOptionsView, JobViewSet
from deepreview.jobs.file_apis import job_artifact
from deepreview.media.apis import MediaViewSet
from deepreview.media.file_apis import media_file, media_frame
from deepreview.projects.apis import IdentityViewSet, MembershipViewSet, ProjectViewSet
from deepreview.review.apis import (
    ArtifactKindViewSet,
    AssignmentViewSet,
    CommentViewSet,
    MarkViewSet,
    ReviewViewSet,
    VerdictViewSet,
)
from deepreview.review.interchange_apis import MarkExchangeViewSet
from deepreview.swaps.apis import ConsentViewSet, ConversionViewSet, SwapModelViewSet
from deepreview.swaps.file_apis import (
    consent_evidence,
    conversion_mask_frame,
    conversion_masks,
    swap_preview_file,
)

router = DefaultRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register(r"projects/(?P<project_pk>\d+)/members", MembershipViewSet, basename="member")
router.register(r"projects/(?P<project_pk>\d+)/identities", IdentityViewSet, basename="identity")
router.register(r"projects/(?P<project_pk>\d+)/media", MediaViewSet, basename="media")
router.register(r"projects/(?P<project_pk>\d+)/jobs", JobViewSet, basename="job")
router.register(r"projects/(?P<project_pk>\d+)/facesets", FacesetViewSet, basename="faceset")
router.register(
    r"projects/(?P<project_pk>\d+)/facesets/(?P<faceset_pk>\d+)/faces", FaceViewSet, basename="face"
)
router.register(
    r"projects/(?P<project_pk>\d+)/facesets/(?P<faceset_pk>\d+)/consents",
    ConsentViewSet,
    basename="consent",
)
router.register(r"projects/(?P<project_pk>\d+)/swap-models", SwapModelViewSet, basename="swapmodel")
router.register(
    r"projects/(?P<project_pk>\d+)/conversions", ConversionViewSet, basename="conversion"
)
router.register(r"projects/(?P<project_pk>\d+)/detectors", DetectorViewSet, basename="detector")
router.register(
    r"projects/(?P<project_pk>\d+)/detections", DetectionRunViewSet, basename="detection"
)
router.register(
    r"projects/(?P<project_pk>\d+)/artifact-kinds", ArtifactKindViewSet, basename="artifactkind"
)
router.register(r"projects/(?P<project_pk>\d+)/marks", MarkViewSet, basename="mark")
# marks/export/ and marks/import/: files for CVAT and Label Studio (no list, no ids).
router.register(r"projects/(?P<project_pk>\d+)/marks", MarkExchangeViewSet, basename="markexchange")
router.register(r"projects/(?P<project_pk>\d+)/verdicts", VerdictViewSet, basename="verdict")
router.register(
    r"projects/(?P<project_pk>\d+)/assignments", AssignmentViewSet, basename="assignment"
)
router.register(r"projects/(?P<project_pk>\d+)/comments", CommentViewSet, basename="comment")
router.register(r"projects/(?P<project_pk>\d+)/reviews", ReviewViewSet, basename="review")
router.register(r"projects/(?P<project_pk>\d+)/exports", DatasetExportViewSet, basename="export")
router.register(r"projects/(?P<project_pk>\d+)/demo", DemoViewSet, basename="demo")
router.register(r"imports", DatasetImportViewSet, basename="import")

urlpatterns = [
    path("api/", include(router.urls)),
    path("api/auth/token/", ObtainAuthToken.as_view(), name="api-token"),
    path("api/job-options/", JobOptionsView.as_view(), name="job-options"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from a URL: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="web/redoc.html"),
        name="api-redoc",
    ),
    path("files/media/<int:media_id>/<str:variant>", media_file, name="media-file"),
    path("files/media/<int:media_id>/frames/<int:frame>", media_frame, name="media-frame"),
    path("files/faces/<int:face_id>/<str:variant>", face_file, name="face-file"),
    path("files/jobs/<int:job_id>/artifact", job_artifact, name="job-artifact"),
    path(
        "files/swaps/<int:model_id>/previews/<int:iteration>",
        swap_preview_file,
        name="swap-preview-file",
    ),
    path("files/consents/<int:consent_id>/evidence", consent_evidence, name="consent-evidence"),
    path("files/conversions/<int:conversion_id>/masks", conversion_masks, name="conversion-masks"),
    path(
        "files/conversions/<int:conversion_id>/masks/<int:frame>",
        conversion_mask_frame,
        name="conversion-mask-frame",
    ),
    path("files/detections/<int:run_id>/result", detection_result, name="detection-result"),
    path("files/exports/<int:export_id>/download", export_download, name="export-download"),
    path("admin/", admin.site.urls),
    path("", include("deepreview.web.urls")),
]

handler400 = "deepreview.core.views.bad_request"
handler404 = "deepreview.core.views.not_found"
handler500 = "deepreview.core.views.server_error"

from collections.abc import Callable

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from deepreview.core.api import ProjectScopedViewSet
from deepreview.core.errors import ApplicationError
from deepreview.facesets import people, selectors, services
from deepreview.facesets.models import CurationEvent, Face, Faceset
from deepreview.facesets.serializers import (
    BestSerializer,
    CurationEventSerializer,
    DedupeSerializer,
    ExtractRequestSerializer,
    FaceDetailSerializer,
    FaceIdsSerializer,
    FaceReadSerializer,
    FacesetReadSerializer,
    FacesetWriteSerializer,
    FacesImportSerializer,
    KeepPersonSerializer,
    MergeSerializer,
    MoveSerializer,
    SplitSerializer,
    UndoSerializer,
)
from deepreview.jobs.serializers import JobReadSerializer
from deepreview.media.services import upload_too_large_error
from deepreview.projects.roles import Role


class FacesetViewSet(ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Facesets of a project. Curators create them, extract into them and undo changes."""

    serializer_class = FacesetReadSerializer
    model = Faceset
    required_roles = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "history": Role.VIEWER,
        "stats": Role.VIEWER,
        "create": Role.CURATOR,
        "destroy": Role.CURATOR,
        "extract": Role.CURATOR,
        "undo": Role.CURATOR,
        "merge": Role.CURATOR,
        "dedupe": Role.CURATOR,
        "best": Role.CURATOR,
        "split": Role.CURATOR,
        "keep_person": Role.CURATOR,
        "export": Role.CURATOR,
        "import_faces": Role.CURATOR,
    }

    def scoped_queryset(self) -> QuerySet[Faceset]:
        return selectors.faceset_list(project=self.project)

    @extend_schema(request=FacesetWriteSerializer, responses={201: FacesetReadSerializer})
    def create(self, request: Request, project_pk: str) -> Response:
        data = FacesetWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        faceset = services.faceset_create(
            project=self.project,
            created_by=request.user,
            identity_id=values.pop("identity"),
            **values,
        )
        faceset = selectors.faceset_get(project=self.project, faceset_id=faceset.pk)
        return Response(FacesetReadSerializer(faceset).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        services.faceset_delete(faceset=selectors.faceset_get(project=self.project, faceset_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ExtractRequestSerializer, responses={201: JobReadSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def extract(self, request: Request, project_pk: str, pk: str) -> Response:
        data = ExtractRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        jobs = services.faceset_extract(
            faceset=selectors.faceset_get(project=self.project, faceset_id=pk),
            media_ids=data.validated_data["media"],
            options=data.validated_data["options"],
            requested_by=request.user,
        )
        return Response(JobReadSerializer(jobs, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def stats(self, request: Request, project_pk: str, pk: str) -> Response:
        """Yaw/pitch coverage grid and blur/size histograms for the charts."""
        faceset = selectors.faceset_get(project=self.project, faceset_id=pk)
        return Response(selectors.faceset_stats(faceset=faceset))

    @extend_schema(responses=CurationEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, project_pk: str, pk: str) -> Response:
        faceset = selectors.faceset_get(project=self.project, faceset_id=pk)
        page = self.paginate_queryset(selectors.event_list(faceset=faceset))
        return self.get_paginated_response(CurationEventSerializer(page, many=True).data)

    @extend_schema(request=MergeSerializer, responses=CurationEventSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, project_pk: str, pk: str) -> Response:
        """Bring every live face of another faceset into this one (undoable)."""
        data = MergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.faceset_merge(
            faceset=selectors.faceset_get(project=self.project, faceset_id=pk),
            source=selectors.faceset_get(
                project=self.project, faceset_id=data.validated_data["source"]
            ),
            user=request.user,
        )
        return Response(CurationEventSerializer(event).data)

    @extend_schema(request=DedupeSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def dedupe(self, request: Request, project_pk: str, pk: str) -> Response:
        """Soft-delete near-duplicates (same person, same head angle), keeping the sharpest."""
        data = DedupeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        dry_run = params.pop("dry_run")
        faceset = selectors.faceset_get(project=self.project, faceset_id=pk)
        drop = services.near_duplicate_ids(faceset=faceset, **params)
        return self._drop(faceset, drop, dry_run, reason="near-duplicates", params=params)

    @extend_schema(request=BestSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def best(self, request: Request, project_pk: str, pk: str) -> Response:
        """Keep N faces covering head angles evenly, sharpest per angle; soft-delete the rest."""
        data = BestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = data.validated_data["count"]
        faceset = selectors.faceset_get(project=self.project, faceset_id=pk)
        drop = services.best_faces_drop_ids(faceset=faceset, count=count)
        return self._drop(
            faceset, drop, data.validated_data["dry_run"], reason="best", params={"count": count}
        )

    @extend_schema(request=SplitSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def split(self, request: Request, project_pk: str, pk: str) -> Response:
        """Split by track or identity cluster: the largest part stays, each other part
        becomes a new faceset. A dry run lists the parts; undo brings them back."""
        data = SplitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        faceset = selectors.faceset_get(project=self.project, faceset_id=pk)
        if params.pop("dry_run"):
            parts = people.faceset_split_plan(faceset=faceset, **params)
            return Response({"parts": [_part_json(part) for part in parts]})
        event = people.faceset_split(faceset=faceset, user=request.user, **params)
        return Response(CurationEventSerializer(event).data)

    @extend_schema(request=KeepPersonSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="keep-person")
    def keep_person(self, request: Request, project_pk: str, pk: str) -> Response:
        """Keep the clicked face's track (and that person's other tracks); soft-delete the
        rest. A dry run returns the faces it would remove."""
        data = KeepPersonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        dry_run = params.pop("dry_run")
        faceset = selectors.faceset_get(project=self.project, faceset_id=pk)
        plan = people.keep_person_plan(faceset=faceset, face_id=params.pop("face"), **params)
        if dry_run:
            return Response(
                {
                    "face_ids": plan.drop_ids,
                    "count": len(plan.drop_ids),
                    "kept_count": len(plan.kept_ids),
                    "track_count": plan.track_count,
                }
            )
        return self._drop(
            faceset,
            plan.drop_ids,
            False,
            reason="keep person",
            params={"face": data.validated_data["face"], "kept": len(plan.kept_ids)},
        )

    def _drop(
        self, faceset: Faceset, drop: list[int], dry_run: bool, *, reason: str, params: dict
    ) -> Response:
        if dry_run:
            return Response({"face_ids": drop, "count": len(drop)})
        event = services.faces_drop(
            faceset=faceset, face_ids=drop, user=self.request.user, reason=reason, params=params
        )
        return Response(CurationEventSerializer(event).data)

    @extend_schema(request=None, responses={201: JobReadSerializer})
    @action(detail=True, methods=["post"])
    def export(self, request: Request, project_pk: str, pk: str) -> Response:
        """Queue a training-set zip (aligned faces, masks, alignments files) of the live faces.

        When the job succeeds, /files/jobs/<job id>/artifact downloads it.
        """
        job = services.faceset_export_request(
            faceset=selectors.faceset_get(project=self.project, faceset_id=pk),
            requested_by=request.user,
        )
        return Response(JobReadSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": FacesImportSerializer}, responses={201: JobReadSerializer}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="import-faces",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_faces(self, request: Request, project_pk: str, pk: str) -> Response:
        """Queue the import of a zip of faceswap or DeepFaceLab aligned faces (landmarks
        kept, re-aligned to ours); faces it cannot read are skipped and counted."""
        if getattr(request._request, "upload_too_large", False):
            raise upload_too_large_error()
        data = FacesImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.faceset_import_request(
            faceset=selectors.faceset_get(project=self.project, faceset_id=pk),
            upload=data.validated_data["file"],
            format=data.validated_data["format"],
            requested_by=request.user,
        )
        return Response(JobReadSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UndoSerializer, responses=CurationEventSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, project_pk: str, pk: str) -> Response:
        data = UndoSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.event_undo(
            faceset=selectors.faceset_get(project=self.project, faceset_id=pk),
            event_id=data.validated_data["event"],
            user=request.user,
        )
        return Response(CurationEventSerializer(event).data)


def _part_json(part: people.SplitPart) -> dict:
    samples = [
        {"id": pk, "thumb_url": reverse("face-file", kwargs={"face_id": pk, "variant": "thumb"})}
        for pk in part.sample_ids
    ]
    return {
        "label": part.label,
        "count": len(part.face_ids),
        "face_ids": part.face_ids,
        "samples": samples,
    }


def _range(request: Request, key: str) -> tuple[float | None, float | None]:
    def number(name: str) -> float | None:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return None
        try:
            return float(raw)
        except ValueError:
            raise ApplicationError(
                f"{name} must be a number.", fields={name: ["Not a number."]}
            ) from None

    return number(f"min_{key}"), number(f"max_{key}")


FACE_QUERY_PARAMETERS = [
    OpenApiParameter(
        "ordering",
        str,
        description=f"One of {', '.join(selectors.SORT_KEYS)}; "
        "a leading '-' reverses the curation order",
    ),
    OpenApiParameter("deleted", bool, description="List soft-deleted faces instead"),
    OpenApiParameter("reference", int, description="Face id for identity ordering"),
    *[
        OpenApiParameter(f"{bound}_{key}", OpenApiTypes.NUMBER)
        for key in selectors.RANGE_FILTERS
        for bound in ("min", "max")
    ],
]


class FaceViewSet(ProjectScopedViewSet):
    """Faces of a faceset, in curation order, with range filters and bulk actions."""

    serializer_class = FaceReadSerializer
    model = Face
    filter_backends: list = []
    required_roles = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "ids": Role.VIEWER,
        "remove": Role.CURATOR,
        "restore": Role.CURATOR,
        "move": Role.CURATOR,
    }

    def _ordered_ids(self, request: Request) -> list[int]:
        faceset = self._faceset()
        ordering = request.query_params.get("ordering", "created")
        reference = None
        if request.query_params.get("reference"):
            reference = Face.objects.filter(
                faceset=faceset, pk=request.query_params["reference"]
            ).first()
        faces = selectors.face_queryset(
            faceset=faceset,
            deleted=request.query_params.get("deleted") in ("1", "true"),
            ranges={key: _range(request, key) for key in selectors.RANGE_FILTERS},
        )
        return selectors.face_ids_ordered(
            faces, by=ordering.lstrip("-"), reverse=ordering.startswith("-"), reference=reference
        )

    def _faceset(self) -> Faceset:
        return selectors.faceset_get(project=self.project, faceset_id=self.kwargs["faceset_pk"])

    def scoped_queryset(self) -> QuerySet[Face]:
        return Face.objects.filter(faceset=self._faceset()).select_related("media")

    @extend_schema(parameters=FACE_QUERY_PARAMETERS)
    def list(self, request: Request, project_pk: str, faceset_pk: str) -> Response:
        ids = self._ordered_ids(request)
        page_ids = self.paginate_queryset(ids)
        rows = Face.objects.select_related("media").in_bulk(page_ids)
        data = FaceReadSerializer([rows[pk] for pk in page_ids], many=True).data
        return self.get_paginated_response(data)

    @extend_schema(parameters=FACE_QUERY_PARAMETERS, responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def ids(self, request: Request, project_pk: str, faceset_pk: str) -> Response:
        """Every matching face id in order, for "select all matching the filter"."""
        return Response({"ids": self._ordered_ids(request)})

    @extend_schema(responses=FaceDetailSerializer)
    def retrieve(self, request: Request, project_pk: str, faceset_pk: str, pk: str) -> Response:
        face = self.get_queryset().filter(pk=pk).first()
        if face is None:
            raise ApplicationError("No such face.", code="not_found", status=404)
        return Response(FaceDetailSerializer(face).data)

    @extend_schema(request=FaceIdsSerializer, responses=CurationEventSerializer)
    @action(detail=False, methods=["post"])
    def remove(self, request: Request, project_pk: str, faceset_pk: str) -> Response:
        """Soft-delete faces; the event lists those that were still there to delete."""
        return self._bulk(request, services.faces_delete)

    @extend_schema(request=FaceIdsSerializer, responses=CurationEventSerializer)
    @action(detail=False, methods=["post"])
    def restore(self, request: Request, project_pk: str, faceset_pk: str) -> Response:
        """Bring soft-deleted faces back."""
        return self._bulk(request, services.faces_restore)

    @extend_schema(request=MoveSerializer, responses=CurationEventSerializer)
    @action(detail=False, methods=["post"])
    def move(self, request: Request, project_pk: str, faceset_pk: str) -> Response:
        """Move faces to another faceset of the project (undoable)."""
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = selectors.faceset_get(
            project=self.project, faceset_id=data.validated_data["target"]
        )
        event = services.faces_move(
            faceset=self._faceset(),
            face_ids=data.validated_data["ids"],
            target=target,
            user=request.user,
        )
        return Response(CurationEventSerializer(event).data)

    def _bulk(self, request: Request, service: Callable[..., CurationEvent]) -> Response:
        data = FaceIdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = service(
            faceset=self._faceset(), face_ids=data.validated_data["ids"], user=request.user
        )
        return Response(CurationEventSerializer(event).data)

"""Review API: thin views over review services and selectors.

Every read goes through the caller's ``ReviewScope`` (blind review, gold secrecy);
every change to a mark, verdict or consensus carries the version it was made from.
"""

from __future__ import annotations

import re
from functools import cached_property

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from deepreview.core.api import ProjectScopedViewSet, json_response
from deepreview.core.errors import ApplicationError
from deepreview.media.models import MediaItem
from deepreview.projects.roles import Role, role_at_least
from deepreview.review import payloads, queue, selectors, services
from deepreview.review.models import ArtifactKind, Assignment, Comment, Consensus, Mark, Verdict
from deepreview.review.serializers import (
    AdjudicateSerializer,
    AssignmentCreateSerializer,
    AssignmentReadSerializer,
    CommentReadSerializer,
    CommentWriteSerializer,
    ConsensusReadSerializer,
    GoldSerializer,
    KindSerializer,
    KindWriteSerializer,
    MarkChangesQuerySerializer,
    MarkCreateSerializer,
    MarkReadSerializer,
    MarkUpdateSerializer,
    VerdictReadSerializer,
    VerdictWriteSerializer,
)

CURRENT_SERIALIZERS = {
    Mark: MarkReadSerializer,
    Verdict: VerdictReadSerializer,
    Consensus: ConsensusReadSerializer,
}
MEDIA_PARAM = OpenApiParameter("media", int, required=True, description="The video's id")


class ReviewScopedViewSet(ProjectScopedViewSet):
    @cached_property
    def scope(self) -> selectors.ReviewScope:
        return selectors.review_scope(project=self.project, user=self.request.user)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.VersionConflict):
            serializer = CURRENT_SERIALIZERS[type(exc.current)]
            exc.extra = {"current": serializer(exc.current).data}
        return super().handle_exception(exc)

    def video(self, media_id: object) -> MediaItem:
        return selectors.review_video(scope=self.scope, media_id=media_id)

    def video_from_query(self) -> MediaItem:
        raw = self.request.query_params.get("media")
        if not raw:
            raise ApplicationError("Say which video: ?media=<id>.", fields={"media": ["Required."]})
        return self.video(raw)

    def version_from(self, request: Request, body: dict) -> int | None:
        """The version the change was made from: the body's ``version`` or If-Match."""
        if body.get("version") is not None:
            return body["version"]
        match = re.fullmatch(r'\s*(?:W/)?"?(\d+)"?\s*', request.headers.get("If-Match", ""))
        return int(match.group(1)) if match else None


def _etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response


def _etag_matches(request: Request, etag: str) -> bool:
    """If-None-Match names ``etag`` (weak comparison, RFC 9110 13.1.2)."""
    opaque = etag.removeprefix("W/")
    sent = request.headers.get("If-None-Match", "")
    return any(tag.strip().removeprefix("W/") in (opaque, "*") for tag in sent.split(","))


def _revalidate(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


class ArtifactKindViewSet(ReviewScopedViewSet):
    """The project's taxonomy: built-in kinds (deepreview/review/taxonomy.json) plus its own."""

    model = ArtifactKind
    serializer_class = KindSerializer
    pagination_class = None
    required_roles = {"list": Role.VIEWER, "create": Role.CURATOR, "destroy": Role.CURATOR}

    def scoped_queryset(self) -> QuerySet[ArtifactKind]:
        return ArtifactKind.objects.filter(project=self.project)

    @extend_schema(responses=KindSerializer(many=True))
    def list(self, request: Request, project_pk: str) -> Response:
        own = {k.slug: k.pk for k in self.get_queryset()}
        kinds = selectors.artifact_kinds(project=self.project)
        data = [{**k.__dict__, "id": None if k.built_in else own.get(k.slug)} for k in kinds]
        return Response(KindSerializer(data, many=True).data)

    @extend_schema(request=KindWriteSerializer, responses={201: KindSerializer})
    def create(self, request: Request, project_pk: str) -> Response:
        data = KindWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = services.artifact_kind_create(
            project=self.project, created_by=request.user, **data.validated_data
        )
        body = {
            "id": kind.pk,
            "slug": kind.slug,
            "label": kind.label,
            "description": kind.description,
            "color": kind.color,
            "built_in": False,
        }
        return Response(KindSerializer(body).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        services.artifact_kind_delete(kind=get_object_or_404(self.get_queryset(), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MarkViewSet(ReviewScopedViewSet, mixins.ListModelMixin):
    """Artifact marks on a video's frames (``?media=`` lists one video's)."""

    model = Mark
    serializer_class = MarkReadSerializer
    pagination_class = None
    required_roles = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "create": Role.REVIEWER,
        "partial_update": Role.REVIEWER,
        "destroy": Role.REVIEWER,
    }

    def scoped_queryset(self) -> QuerySet[Mark]:
        if self.action == "list":
            return selectors.mark_list(scope=self.scope, media=self.video_from_query())
        return Mark.objects.filter(project=self.project).select_related(
            "media", "created_by", "updated_by"
        )

    def visible_mark(self, pk: str) -> Mark:
        mark = get_object_or_404(self.get_queryset(), pk=pk)
        if not self.scope.reveals(mark.media_id) and mark.created_by_id != self.request.user.pk:
            raise Http404("No such mark.")
        return mark

    @extend_schema(parameters=[MEDIA_PARAM])
    def list(self, request: Request, project_pk: str) -> Response:
        text = selectors.mark_list_json(scope=self.scope, media=self.video_from_query())
        return json_response(raw=text)

    def retrieve(self, request: Request, project_pk: str, pk: str) -> Response:
        mark = self.visible_mark(pk)
        return _etag(Response(MarkReadSerializer(mark).data), mark.version)

    @extend_schema(request=MarkCreateSerializer, responses={201: MarkReadSerializer})
    def create(self, request: Request, project_pk: str) -> Response:
        data = MarkCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        mark = services.mark_create(
            scope=self.scope, media=self.video(fields.pop("media")), **fields
        )
        response = Response(MarkReadSerializer(mark).data, status=status.HTTP_201_CREATED)
        return _etag(response, mark.version)

    @extend_schema(request=MarkUpdateSerializer, responses=MarkReadSerializer)
    def partial_update(self, request: Request, project_pk: str, pk: str) -> Response:
        data = MarkUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        version = self.version_from(request, changes)
        changes.pop("version", None)
        mark = services.mark_update(
            scope=self.scope, mark=self.visible_mark(pk), version=version, **changes
        )
        return _etag(Response(MarkReadSerializer(mark).data), mark.version)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "If-Match", str, OpenApiParameter.HEADER, description="Delete only this version"
            )
        ]
    )
    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        services.mark_delete(
            scope=self.scope, mark=self.visible_mark(pk), version=self.version_from(request, {})
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class VerdictViewSet(ReviewScopedViewSet, mixins.ListModelMixin):
    """Verdicts on a video (``?media=``). POST gives or changes your own."""

    model = Verdict
    serializer_class = VerdictReadSerializer
    pagination_class = None
    required_roles = {"list": Role.VIEWER, "create": Role.REVIEWER}

    def scoped_queryset(self) -> QuerySet[Verdict]:
        return selectors.verdict_list(scope=self.scope, media=self.video_from_query())

    @extend_schema(parameters=[MEDIA_PARAM])
    def list(self, request: Request, project_pk: str) -> Response:
        return super().list(request, project_pk)

    @extend_schema(
        request=VerdictWriteSerializer,
        responses={201: VerdictReadSerializer, 200: VerdictReadSerializer},
    )
    def create(self, request: Request, project_pk: str) -> Response:
        data = VerdictWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        verdict, created = services.verdict_submit(
            scope=self.scope,
            media=self.video(fields.pop("media")),
            version=self.version_from(request, fields),
            label=fields["label"],
            confidence=fields["confidence"],
            rationale=fields["rationale"],
        )
        response = Response(
            VerdictReadSerializer(verdict).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        return _etag(response, verdict.version)


class AssignmentViewSet(ReviewScopedViewSet, mixins.ListModelMixin):
    """Who reviews what. Curators and owners assign; reviewers see their own inbox."""

    model = Assignment
    serializer_class = AssignmentReadSerializer
    required_roles = {
        "list": Role.VIEWER,
        "create": Role.CURATOR,
        "destroy": Role.CURATOR,
        "inbox": Role.REVIEWER,
    }

    def scoped_queryset(self) -> QuerySet[Assignment]:
        rows = Assignment.objects.filter(project=self.project).select_related(
            "media", "reviewer", "assigned_by"
        )
        if not role_at_least(self.project.current_role, Role.CURATOR):
            rows = rows.filter(reviewer=self.request.user)
        media = self.request.query_params.get("media")
        return rows.filter(media_id=media) if media and media.isdigit() else rows

    @extend_schema(request=AssignmentCreateSerializer, responses={201: OpenApiTypes.OBJECT})
    def create(self, request: Request, project_pk: str) -> Response:
        data = AssignmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.assignments_create(
            project=self.project,
            media_ids=data.validated_data["media"],
            reviewer_ids=data.validated_data["reviewers"],
            assigned_by=request.user,
        )
        return Response(result, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        services.assignment_delete(assignment=get_object_or_404(self.get_queryset(), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def inbox(self, request: Request, project_pk: str) -> Response:
        """Your assigned videos and your progress: unreviewed, undecided (you said
        uncertain) and done."""
        box = selectors.inbox(scope=self.scope)
        rows = [
            {
                **AssignmentReadSerializer(row["assignment"]).data,
                "state": row["state"],
                "marks": row["marks"],
                "verdict": VerdictReadSerializer(row["verdict"]).data if row["verdict"] else None,
                "frame_count": row["assignment"].media.frame_count,
                "duration_seconds": row["assignment"].media.duration_seconds,
            }
            for row in box["rows"]
        ]
        return Response({"total": box["total"], "counts": box["counts"], "results": rows})


class CommentViewSet(ReviewScopedViewSet, mixins.ListModelMixin):
    """Threaded comments at frames of a video (``?media=``)."""

    model = Comment
    serializer_class = CommentReadSerializer
    pagination_class = None
    required_roles = {"list": Role.VIEWER, "create": Role.REVIEWER, "destroy": Role.REVIEWER}

    def scoped_queryset(self) -> QuerySet[Comment]:
        if self.action == "list":
            return selectors.comment_list(scope=self.scope, media=self.video_from_query())
        return Comment.objects.filter(project=self.project)

    @extend_schema(parameters=[MEDIA_PARAM])
    def list(self, request: Request, project_pk: str) -> Response:
        return super().list(request, project_pk)

    @extend_schema(request=CommentWriteSerializer, responses={201: CommentReadSerializer})
    def create(self, request: Request, project_pk: str) -> Response:
        data = CommentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        comment = services.comment_create(
            scope=self.scope,
            media=self.video(fields["media"]),
            frame=fields["frame"],
            body=fields["body"],
            parent_id=fields["parent"],
        )
        return Response(CommentReadSerializer(comment).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        comment = get_object_or_404(self.get_queryset(), pk=pk)
        if not self.scope.reveals(comment.media_id) and comment.author_id != request.user.pk:
            raise Http404("No such comment.")
        services.comment_delete(scope=self.scope, comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewViewSet(ReviewScopedViewSet):
    """Videos under review: the queue, one video's summary and timeline, adjudication,
    gold videos and the project's agreement. ``{id}`` is the video's media id."""

    model = MediaItem
    required_roles = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "timeline": Role.VIEWER,
        "mark_changes": Role.VIEWER,
        "agreement": Role.VIEWER,
        "adjudicate": Role.OWNER,
        "gold": Role.OWNER,
    }

    def scoped_queryset(self) -> QuerySet[MediaItem]:
        return selectors.review_videos(project=self.project)

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=["unreviewed", "undecided", "decided"]),
            OpenApiParameter("assigned", str, enum=["me"]),
            OpenApiParameter("disagreement", bool),
        ],
        responses=OpenApiTypes.OBJECT,
        operation_id="projects_reviews_list",
    )
    def list(self, request: Request, project_pk: str) -> Response:
        """Every video with its review state, verdict counts, consensus, detector
        suggestion and assigned reviewers (paginated)."""
        params = request.query_params
        videos = queue.queue_videos(
            scope=self.scope,
            state=params.get("state"),
            assigned_to_me=params.get("assigned") == "me",
            disagreement=params.get("disagreement") in ("1", "true"),
        )
        page = self.paginate_queryset(videos)
        return self.get_paginated_response(queue.queue_rows(scope=self.scope, page=page))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, project_pk: str, pk: str) -> Response:
        summary = payloads.video_summary(scope=self.scope, media=self.video(pk))
        return Response(_summary_data(summary))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, project_pk: str, pk: str) -> Response:
        """What the annotator draws: sprite, detection series, ground truth (unless
        hidden), the visible marks, the taxonomy and your own verdict."""
        media = self.video(pk)
        version, last_change = payloads.timeline_version(
            scope=self.scope, media=media, user=request.user
        )
        # Weak: equal content, not equal bytes. Browsers revalidate every time
        # (no-cache) and an unchanged video costs the fingerprint's small queries only.
        etag = f'W/"timeline-{version}"'
        if _etag_matches(request, etag):
            return _revalidate(HttpResponseNotModified(), etag)
        data = payloads.timeline(scope=self.scope, media=media)
        # Read before the marks: a change committed between them comes again in the
        # client's next mark-changes request, which replaces marks by id.
        data["marks_change"] = last_change
        marks = selectors.mark_list_json(scope=self.scope, media=media)
        data["kinds"] = [{**k.__dict__} for k in selectors.artifact_kinds(project=self.project)]
        own = Verdict.objects.filter(media=media, reviewer=request.user).first()
        data["own_verdict"] = VerdictReadSerializer(own).data if own else None
        return _revalidate(json_response(data, marks=marks), etag)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                int,
                required=True,
                description="The `marks_change` (or `last_change`) the client holds",
            )
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["get"], url_path="mark-changes")
    def mark_changes(self, request: Request, project_pk: str, pk: str) -> Response:
        """The video's visible marks written after change ``since`` (as they are now),
        the ids of those deleted, and ``last_change`` to ask from next time. When
        ``revealed`` differs from what the client had, it reloads the timeline."""
        query = MarkChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        media = self.video(pk)
        changes = selectors.mark_changes(
            scope=self.scope, media=media, since=query.validated_data["since"]
        )
        data = {
            "last_change": changes.last,
            "revealed": self.scope.reveals(media.pk),
            "deleted": changes.deleted,
        }
        return json_response(data, marks=changes.marks_json)

    @extend_schema(request=AdjudicateSerializer, responses=ConsensusReadSerializer)
    @action(detail=True, methods=["post"])
    def adjudicate(self, request: Request, project_pk: str, pk: str) -> Response:
        """An owner records the consensus label (name the version to change one)."""
        data = AdjudicateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        consensus = services.consensus_set(
            scope=self.scope,
            media=self.video(pk),
            label=fields["label"],
            note=fields["note"],
            version=self.version_from(request, fields),
        )
        return _etag(Response(ConsensusReadSerializer(consensus).data), consensus.version)

    @extend_schema(request=GoldSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post", "delete"])
    def gold(self, request: Request, project_pk: str, pk: str) -> Response:
        """Make the video a hidden gold check (POST) or an ordinary video again (DELETE)."""
        media = self.video(pk)
        if request.method == "DELETE":
            services.gold_clear(media=media)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = GoldSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gold = services.gold_set(
            project=self.project,
            media=media,
            label=data.validated_data["label"],
            set_by=request.user,
        )
        return Response({"media": media.pk, "label": gold.label})

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def agreement(self, request: Request, project_pk: str) -> Response:
        """Krippendorff's alpha, mark overlap per kind, disagreements, reviewers (and
        their gold accuracy, for curators and owners)."""
        return Response(payloads.project_agreement(scope=self.scope))


def _summary_data(summary: dict) -> dict:
    gold = summary.pop("gold")
    return {
        **summary,
        "verdicts": VerdictReadSerializer(summary["verdicts"], many=True).data,
        "own_verdict": (
            VerdictReadSerializer(summary["own_verdict"]).data if summary["own_verdict"] else None
        ),
        "consensus": (
            ConsensusReadSerializer(summary["consensus"]).data if summary["consensus"] else None
        ),
        "gold": {"label": gold.label} if gold else None,
    }

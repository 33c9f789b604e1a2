from rest_framework import serializers

from deepreview.core.fields import username_field
from deepreview.review.models import Assignment, Comment, Consensus, Mark, ReviewLabel, Verdict


class KindSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null for built-in kinds")
    slug = serializers.SlugField()
    label = serializers.CharField()
    description = serializers.CharField()
    color = serializers.CharField()
    built_in = serializers.BooleanField()


class KindWriteSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=60)
    label = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    color = serializers.CharField(max_length=7, required=False, default="#888888")


class RegionField(serializers.ListField):
    child = serializers.FloatField()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            allow_null=True,
            required=False,
            min_length=4,
            max_length=4,
            help_text="[x0, y0, x1, y1] as fractions of the frame",
            **kwargs,
        )


class MarkReadSerializer(serializers.ModelSerializer):
    region = RegionField(read_only=True)
    created_by = username_field()
    updated_by = username_field()

    class Meta:
        model = Mark
        fields = [
            "id",
            "media",
            "kind",
            "start_frame",
            "end_frame",
            "region",
            "note",
            "created_by",
            "updated_by",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MarkCreateSerializer(serializers.Serializer):
    media = serializers.IntegerField()
    kind = serializers.SlugField(max_length=60)
    start_frame = serializers.IntegerField()
    end_frame = serializers.IntegerField()
    region = RegionField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MarkUpdateSerializer(serializers.Serializer):
    kind = serializers.SlugField(max_length=60, required=False)
    start_frame = serializers.IntegerField(required=False)
    end_frame = serializers.IntegerField(required=False)
    region = RegionField()
    note = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(
        required=False, help_text="The version you changed (or an If-Match header)"
    )


class MarkChangesQuerySerializer(serializers.Serializer):
    since = serializers.IntegerField(min_value=0, max_value=2**63 - 1)


class VerdictReadSerializer(serializers.ModelSerializer):
    reviewer = username_field()
    reviewer_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Verdict
        fields = [
            "id",
            "media",
            "reviewer",
            "reviewer_id",
            "label",
            "confidence",
            "rationale",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VerdictWriteSerializer(serializers.Serializer):
    media = serializers.IntegerField()
    label = serializers.ChoiceField(choices=ReviewLabel.choices)
    confidence = serializers.FloatField(min_value=0.0, max_value=1.0)
    rationale = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Omit for your first verdict on the video; else the version you changed",
    )


class ConsensusReadSerializer(serializers.ModelSerializer):
    decided_by = username_field()

    class Meta:
        model = Consensus
        fields = ["media", "label", "note", "decided_by", "decided_at", "version"]
        read_only_fields = fields


class AdjudicateSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=ReviewLabel.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class GoldSerializer(serializers.Serializer):
    label = serializers.ChoiceField(
        choices=[("real", "Real"), ("fake", "Fake")],
        required=False,
        allow_null=True,
        default=None,
        help_text="Default: the video's known origin",
    )


class AssignmentReadSerializer(serializers.ModelSerializer):
    reviewer = username_field()
    reviewer_id = serializers.IntegerField(read_only=True)
    assigned_by = username_field()
    media_name = serializers.CharField(source="media.name", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "media",
            "media_name",
            "reviewer",
            "reviewer_id",
            "assigned_by",
            "created_at",
        ]
        read_only_fields = fields


class AssignmentCreateSerializer(serializers.Serializer):
    media = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    reviewers = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        help_text="User ids of members with the reviewer role or above",
    )


class CommentReadSerializer(serializers.ModelSerializer):
    author = username_field()

    class Meta:
        model = Comment
        fields = ["id", "media", "frame", "parent", "author", "body", "created_at"]
        read_only_fields = fields


class CommentWriteSerializer(serializers.Serializer):
    media = serializers.IntegerField()
    frame = serializers.IntegerField(min_value=0)
    body = serializers.CharField(max_length=4000)
    parent = serializers.IntegerField(required=False, allow_null=True, default=None)

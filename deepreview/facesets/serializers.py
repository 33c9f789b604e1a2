from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deepreview.core.fields import username_field
from deepreview.core.options import JobOptionsField
from deepreview.facesets.models import CurationEvent, Face, Faceset
from deepreview_workers.pipeline.curation.grouping import DEFAULT_IDENTITY_THRESHOLD


def face_file_url(face: Face, variant: str) -> str:
    return reverse("face-file", kwargs={"face_id": face.pk, "variant": variant})


class FacesetReadSerializer(serializers.ModelSerializer):
    face_count = serializers.IntegerField(read_only=True)
    deleted_count = serializers.IntegerField(read_only=True)
    created_by = username_field()

    class Meta:
        model = Faceset
        fields = [
            "id",
            "name",
            "description",
            "identity",
            "face_count",
            "deleted_count",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FacesetWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    identity = serializers.IntegerField(required=False, allow_null=True, default=None)


class ExtractRequestSerializer(serializers.Serializer):
    media = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    options = JobOptionsField("extract")


class FacesImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="zip of faceswap or DeepFaceLab aligned faces")
    format = serializers.ChoiceField(
        choices=["auto", "faceswap", "deepfacelab"], required=False, default="auto"
    )


class FaceIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=20000)


class UndoSerializer(serializers.Serializer):
    event = serializers.IntegerField()


class FaceReadSerializer(serializers.ModelSerializer):
    media_name = serializers.CharField(source="media.name", read_only=True, default=None)
    crop_url = serializers.SerializerMethodField()
    thumb_url = serializers.SerializerMethodField()
    frame_url = serializers.SerializerMethodField()
    mask_urls = serializers.SerializerMethodField()

    class Meta:
        model = Face
        fields = [
            "id",
            "media",
            "media_name",
            "frame_index",
            "pts_seconds",
            "face_index",
            "track_id",
            "box",
            "crop_size",
            "blur",
            "face_size",
            "brightness",
            "hue",
            "yaw",
            "pitch",
            "roll",
            "confidence",
            "embedder",
            "deleted_at",
            "crop_url",
            "thumb_url",
            "frame_url",
            "mask_urls",
        ]
        read_only_fields = fields

    def get_crop_url(self, face: Face) -> str:
        return face_file_url(face, "crop")

    def get_thumb_url(self, face: Face) -> str:
        return face_file_url(face, "thumb" if face.thumb else "crop")

    def get_frame_url(self, face: Face) -> str | None:
        return face_file_url(face, "frame") if face.media_id else None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_mask_urls(self, face: Face) -> dict[str, str]:
        return {name: face_file_url(face, f"mask_{name}") for name in face.masks}


class FaceDetailSerializer(FaceReadSerializer):
    class Meta(FaceReadSerializer.Meta):
        fields = [*FaceReadSerializer.Meta.fields, "points5", "landmarks68", "matrix", "histogram"]
        read_only_fields = fields


class CurationEventSerializer(serializers.ModelSerializer):
    user = username_field()
    face_count = serializers.SerializerMethodField()

    class Meta:
        model = CurationEvent
        fields = [
            "id",
            "action",
            "user",
            "face_ids",
            "face_count",
            "details",
            "undone_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_face_count(self, event: CurationEvent) -> int:
        return len(event.face_ids)


class MoveSerializer(FaceIdsSerializer):
    target = serializers.IntegerField(help_text="Faceset of the same project")


class MergeSerializer(serializers.Serializer):
    source = serializers.IntegerField(help_text="Faceset whose faces come into this one")


class DedupeSerializer(serializers.Serializer):
    max_distance = serializers.FloatField(default=0.06, min_value=0.0, max_value=2.0)
    max_angle = serializers.FloatField(default=5.0, min_value=0.0, max_value=90.0)
    dry_run = serializers.BooleanField(default=False)


class SplitSerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=["track", "identity"])
    threshold = serializers.FloatField(
        default=DEFAULT_IDENTITY_THRESHOLD,
        min_value=0.01,
        max_value=2.0,
        help_text="identity: largest distance between a person's and a track's mean embedding",
    )
    dry_run = serializers.BooleanField(default=False)


class KeepPersonSerializer(serializers.Serializer):
    face = serializers.IntegerField(help_text="a face of the person to keep")
    include_identity = serializers.BooleanField(
        default=True, help_text="also keep other tracks of the same person"
    )
    threshold = serializers.FloatField(
        default=DEFAULT_IDENTITY_THRESHOLD, min_value=0.01, max_value=2.0
    )
    dry_run = serializers.BooleanField(default=False)


class BestSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1)
    dry_run = serializers.BooleanField(default=False)

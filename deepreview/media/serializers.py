from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deepreview.core.fields import username_field
from deepreview.media.models import MediaItem, Origin


def file_url(item: MediaItem, variant: str) -> str:
    return reverse("media-file", kwargs={"media_id": item.pk, "variant": variant})


class MediaReadSerializer(serializers.ModelSerializer):
    identity_name = serializers.CharField(
        source="identity.name", read_only=True, default=None, allow_null=True
    )
    uploaded_by = username_field()
    poster_url = serializers.SerializerMethodField()
    sprite_url = serializers.SerializerMethodField()
    playback_url = serializers.SerializerMethodField()
    frame_pts_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField()
    detail_url = serializers.SerializerMethodField()
    sprite = serializers.SerializerMethodField()
    origin_hidden = serializers.SerializerMethodField()
    c2pa = serializers.DictField(
        read_only=True,
        allow_null=True,
        help_text="The file's C2PA manifest as the probe job verified it: state "
        "(absent, trusted, valid, invalid, unreadable), integrity_ok, signed_by_installation, "
        "claim_generator, signer, actions, ai_generated, errors; {} until probed",
    )

    class Meta:
        model = MediaItem
        fields = [
            "id",
            "kind",
            "name",
            "size_bytes",
            "sha256",
            "status",
            "container",
            "codec",
            "pix_fmt",
            "width",
            "height",
            "fps",
            "frame_count",
            "duration_seconds",
            "has_audio",
            "audio_codec",
            "bit_rate",
            "origin",
            "origin_hidden",
            "c2pa",
            "identity",
            "identity_name",
            "poster_url",
            "sprite_url",
            "sprite",
            "playback_url",
            "frame_pts_url",
            "original_url",
            "detail_url",
            "created_at",
            "uploaded_by",
        ]
        read_only_fields = fields

    def get_origin_hidden(self, item: MediaItem) -> bool:
        # Blind review: the origin is ground truth a reviewer sees after their verdict.
        scope = self.context.get("review_scope")
        return scope is not None and not scope.reveals(item.pk)

    def to_representation(self, item: MediaItem) -> dict:
        data = super().to_representation(item)
        if data["origin_hidden"]:
            # A manifest saying "AI-generated" would give the ground truth away too.
            data["origin"], data["c2pa"] = None, None
        return data

    def get_poster_url(self, item: MediaItem) -> str | None:
        return file_url(item, "poster") if item.poster else None

    def get_sprite_url(self, item: MediaItem) -> str | None:
        return file_url(item, "sprite") if item.sprite else None

    def get_playback_url(self, item: MediaItem) -> str | None:
        return file_url(item, "playback") if item.kind == "video" else None

    def get_frame_pts_url(self, item: MediaItem) -> str | None:
        return file_url(item, "frame_pts") if item.frame_pts else None

    def get_original_url(self, item: MediaItem) -> str:
        return file_url(item, "original")

    def get_detail_url(self, item: MediaItem) -> str:
        return reverse(
            "media-detail-page", kwargs={"project_id": item.project_id, "media_id": item.pk}
        )

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_sprite(self, item: MediaItem) -> dict | None:
        return item.sprite_meta or None


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        required=False, allow_empty_file=True, help_text="A video or still image"
    )
    origin = serializers.ChoiceField(choices=Origin.choices, default=Origin.UNKNOWN)
    identity = serializers.IntegerField(required=False, allow_null=True, default=None)


class MediaUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    origin = serializers.ChoiceField(choices=Origin.choices, required=False)
    identity = serializers.IntegerField(required=False, allow_null=True)

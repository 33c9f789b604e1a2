from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deepreview.core.fields import username_field
from deepreview.core.options import JobOptionsField
from deepreview.swaps.models import ConsentBasis, ConsentRecord, Conversion, SwapModel
from deepreview.swaps.services import DIRECTIONS, SWAP_ARCHS


class ConsentReadSerializer(serializers.ModelSerializer):
    recorded_by = username_field()
    basis_label = serializers.CharField(source="get_basis_display", read_only=True)
    evidence_url = serializers.SerializerMethodField()

    class Meta:
        model = ConsentRecord
        fields = [
            "id",
            "faceset",
            "basis",
            "basis_label",
            "subject",
            "reference",
            "scope",
            "evidence_url",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_evidence_url(self, record: ConsentRecord) -> str | None:
        if not record.evidence:
            return None
        return reverse("consent-evidence", kwargs={"consent_id": record.pk})


class ConsentWriteSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(choices=ConsentBasis.choices)
    subject = serializers.CharField(max_length=200)
    scope = serializers.CharField()
    reference = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    evidence = serializers.FileField(required=False, allow_null=True, default=None)


class SwapModelReadSerializer(serializers.ModelSerializer):
    faceset_a_name = serializers.CharField(source="faceset_a.name", default=None, read_only=True)
    faceset_b_name = serializers.CharField(source="faceset_b.name", default=None, read_only=True)
    created_by = username_field()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    previews = serializers.SerializerMethodField()
    has_checkpoint = serializers.SerializerMethodField()

    class Meta:
        model = SwapModel
        fields = [
            "id",
            "name",
            "description",
            "arch",
            "options",
            "faceset_a",
            "faceset_a_name",
            "faceset_b",
            "faceset_b_name",
            "status",
            "status_label",
            "iteration",
            "target_iterations",
            "loss_a",
            "loss_b",
            "iterations_per_second",
            "train_seconds",
            "has_checkpoint",
            "previews",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_previews(self, model: SwapModel) -> list[dict]:
        return [
            {
                "iteration": p["iteration"],
                "url": reverse(
                    "swap-preview-file", kwargs={"model_id": model.pk, "iteration": p["iteration"]}
                ),
            }
            for p in model.previews
        ]

    def get_has_checkpoint(self, model: SwapModel) -> bool:
        return bool(model.checkpoint)


class SwapModelDetailSerializer(SwapModelReadSerializer):
    class Meta(SwapModelReadSerializer.Meta):
        fields = [*SwapModelReadSerializer.Meta.fields, "history"]
        read_only_fields = fields


class SwapModelWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    faceset_a = serializers.IntegerField()
    faceset_b = serializers.IntegerField()
    arch = serializers.ChoiceField(choices=SWAP_ARCHS, default="original")
    options = JobOptionsField("swap_train")


class TrainRequestSerializer(serializers.Serializer):
    iterations = serializers.IntegerField(
        min_value=1, max_value=10_000_000, help_text="Train until this many in total"
    )


class ConvertRequestSerializer(serializers.Serializer):
    media = serializers.IntegerField(help_text="The target video")
    direction = serializers.ChoiceField(choices=DIRECTIONS, default="a-to-b")
    options = JobOptionsField("swap_convert")
    track = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Track of the face to replace; the largest face when none",
    )


class PreviewRequestSerializer(ConvertRequestSerializer):
    frame = serializers.IntegerField(min_value=0)


class ConversionReadSerializer(serializers.ModelSerializer):
    swap_model_name = serializers.CharField(source="swap_model.name", default=None, read_only=True)
    masks_url = serializers.SerializerMethodField()

    class Meta:
        model = Conversion
        fields = [
            "id",
            "swap_model",
            "swap_model_name",
            "source_media",
            "output_media",
            "direction",
            "options",
            "provenance",
            "frame_count",
            "manipulated_count",
            "manipulated_ranges",
            "masks_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_masks_url(self, conversion: Conversion) -> str:
        return reverse("conversion-masks", kwargs={"conversion_id": conversion.pk})

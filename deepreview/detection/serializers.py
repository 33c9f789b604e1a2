from django.urls import reverse
from rest_framework import serializers

from deepreview.core.fields import username_field
from deepreview.core.options import JobOptionsField
from deepreview.detection.models import DetectionRun, Detector
from deepreview.detection.services import DETECTOR_ARCHS


class DetectorReadSerializer(serializers.ModelSerializer):
    created_by = username_field()
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Detector
        fields = [
            "id",
            "name",
            "arch",
            "options",
            "status",
            "status_label",
            "threshold",
            "history",
            "best",
            "training_set",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DetectorWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    arch = serializers.ChoiceField(
        choices=DETECTOR_ARCHS,
        default="efficientnet_lite0",
        help_text="efficientnet_lite0 (the default) fine-tunes the built-in detector; "
        "efficientnet_lite2 starts from ImageNet, meso4 and efficientnet_b0 from random weights",
    )
    options = JobOptionsField("detector_train")


class DetectorTrainSerializer(serializers.Serializer):
    export = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A built dataset export of the project to train on (default: the "
        "project's labeled videos)",
    )


class DetectRequestSerializer(serializers.Serializer):
    media = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)
    detector = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A trained detector of the project; None runs the built-in detector",
    )
    signals_only = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Measure the forensic signals alone, with no detector",
    )
    options = JobOptionsField("detect")


class DetectionRunSerializer(serializers.ModelSerializer):
    result_url = serializers.SerializerMethodField()

    class Meta:
        model = DetectionRun
        fields = [
            "id",
            "media",
            "detector",
            "detector_name",
            "job",
            "status",
            "message",
            "score_mean",
            "score_confident",
            "threshold",
            "label",
            "signals",
            "frames_analysed",
            "frames_with_faces",
            "options",
            "seconds",
            "result_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_result_url(self, run: DetectionRun) -> str:
        return reverse("detection-result", kwargs={"run_id": run.pk})

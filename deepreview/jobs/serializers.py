from rest_framework import serializers

from deepreview.core.fields import username_field
from deepreview.jobs.models import Job


class JobReadSerializer(serializers.ModelSerializer):
    media_name = serializers.CharField(source="media.name", read_only=True, default=None)
    params = serializers.DictField(read_only=True)
    result = serializers.DictField(read_only=True)
    created_by = username_field()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "queue",
            "status",
            "progress",
            "message",
            "eta_seconds",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "worker_host",
            "device",
            "params",
            "result",
            "error",
            "retry_safe",
            "cancel_requested",
            "attempts",
            "media",
            "media_name",
            "created_by",
            "retry_of",
        ]
        read_only_fields = fields

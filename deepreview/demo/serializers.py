from rest_framework import serializers


class DemoLinkSerializer(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.CharField()


class DemoStepSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=["done", "running", "failed", "waiting", "ready"])
    progress = serializers.FloatField()
    message = serializers.CharField(allow_blank=True)
    job_ids = serializers.ListField(child=serializers.IntegerField())
    links = DemoLinkSerializer(many=True)


class DemoStatusSerializer(serializers.Serializer):
    complete = serializers.BooleanField()
    has_media = serializers.BooleanField()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    progress = serializers.FloatField()
    steps = DemoStepSerializer(many=True)

from django.contrib.auth import get_user_model
from rest_framework import serializers

from deepreview.core.fields import username_field
from deepreview.projects.models import Identity, Membership, Project
from deepreview.projects.roles import Role


class ProjectReadSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    created_by = username_field()

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "description",
            "blind_review",
            "role",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_role(self, project: Project) -> str | None:
        return getattr(project, "current_role", None)


class ProjectWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ProjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    blind_review = serializers.BooleanField(
        required=False,
        help_text="Reviewers see no other verdicts, marks, comments or ground truth of a "
        "video until they submit their own verdict",
    )


class MembershipReadSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    user_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user_id", "username", "role", "created_at"]


class MembershipCreateSerializer(serializers.Serializer):
    username = serializers.CharField(
        max_length=get_user_model()._meta.get_field("username").max_length
    )
    role = serializers.ChoiceField(choices=Role.choices)


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class IdentityReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Identity
        fields = ["id", "name", "notes", "created_at"]


class IdentityWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class IdentityUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)

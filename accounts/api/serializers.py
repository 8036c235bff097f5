from rest_framework import serializers

from accounts.models import Group, Membership, Role, User, WorkerCheck
from accounts.permissions import role_in


class GroupSerializer(serializers.ModelSerializer):
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = ["id", "name", "slug", "description", "my_role"]
        read_only_fields = fields

    def get_my_role(self, group) -> str | None:
        return role_in(self.context["request"].user, group)


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    group = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["id", "username", "group", "role", "created_at"]
        read_only_fields = ["id", "username", "group", "created_at"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "memberships"]
        read_only_fields = fields


class WorkerCheckSerializer(serializers.ModelSerializer):
    group = serializers.SlugRelatedField(slug_field="slug", queryset=Group.objects.none())

    class Meta:
        model = WorkerCheck
        fields = ["id", "group", "status", "worker_hostname", "error", "created_at", "finished_at"]
        read_only_fields = ["id", "status", "worker_hostname", "error", "created_at", "finished_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only groups the caller belongs to can be named; others read as "does not exist".
            self.fields["group"].queryset = Group.objects.visible_to(request.user)

from allauth.mfa.utils import is_mfa_enabled
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer

from accounts.models import Group, Membership, Role, User, WorkerCheck
from accounts.permissions import role_in


class GroupSerializer(serializers.ModelSerializer):
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = ["id", "name", "slug", "description", "listed_for_sharing", "my_role"]
        read_only_fields = fields

    def get_my_role(self, group) -> str | None:
        return role_in(self.context["request"].user, group)


class SharePartnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["name", "slug"]
        read_only_fields = fields


class SharingListingSerializer(serializers.Serializer):
    listed_for_sharing = serializers.BooleanField(
        help_text="List the group among those other groups' coordinators may share evidence with.")


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


class TokenRequestSerializer(AuthTokenSerializer):
    """
    Username and password, and for an account with two-factor sign-in a current code from its authenticator app
    (or an unused recovery code): a token must not be easier to get than a signed-in session.
    """

    code = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                 help_text="For accounts with two-factor sign-in: a code from the authenticator app "
                                 "or a recovery code.")

    def validate(self, attrs):
        from accounts.signin import lockout_message

        request = self.context["request"]
        try:
            attrs = super().validate(attrs)
        except serializers.ValidationError:
            if getattr(request, "axes_locked_out", False):
                raise exceptions.Throttled(detail=lockout_message(request)) from None
            raise
        # A group requiring a second factor this account lacks is left out of what the token reaches
        # (accounts.scoping), not the account's other groups.
        user = attrs["user"]
        if is_mfa_enabled(user):
            if not attrs.get("code"):
                raise serializers.ValidationError(
                    {"code": _("This account signs in with a second factor: send a current code from the "
                               "authenticator app, or a recovery code, as `code`.")})
            from accounts.signin import SecondFactorForm

            form = SecondFactorForm(data={"code": attrs["code"]}, user=user)
            if not form.is_valid():
                raise serializers.ValidationError({"code": form.errors["code"]})
        return attrs

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers

from accounts.api.fields import PageLinkField, ReaderTextField
from accounts.models import ApiToken, Group, Membership, Role, User, WorkerCheck
from accounts.permissions import role_in


class GroupSerializer(serializers.ModelSerializer):
    page_url = PageLinkField()
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = ["id", "name", "slug", "description", "listed_for_sharing", "alert_titles_shown", "captures_sources",
                  "my_role", "page_url"]
        read_only_fields = fields
        extra_kwargs = {
            "alert_titles_shown": {"help_text": "Saved-search e-mails and feeds name the group's records by title "
                                                "(otherwise they give a count and a link only)."},
            "captures_sources": {"help_text": "A worker keeps a copy of the web page of each source the group logs "
                                              "(never of a protected source)."},
        }

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


class GroupSettingsSerializer(serializers.Serializer):
    """A group's yes/no settings: name only those to change; each change is written to the group's audit log."""

    listed_for_sharing = serializers.BooleanField(
        required=False, help_text="List the group among those other groups' coordinators may share evidence with.")
    alert_titles_shown = serializers.BooleanField(
        required=False, help_text="Let saved-search e-mails and feeds name the group's records by title.")
    captures_sources = serializers.BooleanField(
        required=False, help_text="Keep a copy of the web page of each source the group logs (never of a protected "
        "source).")

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                _("Name at least one setting to change: %(settings)s.") % {"settings": ", ".join(self.fields)})
        return attrs


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
    page_url = PageLinkField()
    error = ReaderTextField()
    group = serializers.SlugRelatedField(slug_field="slug", queryset=Group.objects.none())

    class Meta:
        model = WorkerCheck
        fields = ["id", "group", "status", "worker_hostname", "error", "created_at", "finished_at", "page_url"]
        read_only_fields = ["id", "status", "worker_hostname", "error", "created_at", "finished_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only groups the caller belongs to can be named; others read as "does not exist".
            self.fields["group"].queryset = Group.objects.visible_to(request.user)


class TokenRequestSerializer(serializers.Serializer):
    """
    Username and password, and for an account with two-factor sign-in a current code from its authenticator app
    (or an unused recovery code): a token must not be easier to get than a signed-in session.
    """

    username = serializers.CharField(write_only=True, max_length=150)
    password = serializers.CharField(write_only=True, max_length=4096, trim_whitespace=False,
                                     style={"input_type": "password"})
    code = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                 help_text="For accounts with two-factor sign-in: a code from the authenticator app "
                                 "or a recovery code.")
    name = serializers.CharField(required=False, max_length=100, default="API", write_only=True,
                                 help_text="What the token is for (a script, a machine), to tell it apart in your "
                                 "list.")

    def validate(self, attrs):
        from accounts.signin import lockout_message

        request = self.context["request"]
        # Through the authentication backends, so that django-axes counts a failure and refuses a locked account.
        user = authenticate(request=request, username=attrs["username"], password=attrs["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                raise exceptions.Throttled(detail=lockout_message(request))
            raise exceptions.AuthenticationFailed(_("Unable to sign in with this username and password."))
        # A group requiring a second factor this account lacks is left out of what the token reaches
        # (accounts.scoping), not the account's other groups.
        attrs["user"] = user
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


class ApiTokenSerializer(serializers.ModelSerializer):
    """One of your API tokens, as listed: never its key, which was shown once when it was made."""

    class Meta:
        model = ApiToken
        fields = ["id", "name", "created_at", "last_used_at", "expires_at"]
        read_only_fields = fields


class NewApiTokenSerializer(ApiTokenSerializer):
    """A token just made, with its key: the only time the key is shown."""

    token = serializers.SerializerMethodField(help_text="The key, for the header `Authorization: Token <key>`. "
                                              "It is not stored and cannot be shown again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = ["token", *ApiTokenSerializer.Meta.fields]
        read_only_fields = fields

    def get_token(self, token) -> str:
        return self.context["key"]


class FeedAddressSerializer(serializers.Serializer):
    """A private feed's new address, with its secret key: the only time it is shown (only a hash is kept)."""

    feed_url = serializers.URLField(read_only=True, help_text="The feed's address, with its secret key: give it to a "
                                    "calendar app or feed reader. It ends the address made before; it cannot be shown "
                                    "again.")

from django.db.models import Prefetch, prefetch_related_objects
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.mixins import RecheckedWrites
from accounts.api.serializers import (
    ApiTokenSerializer,
    FeedAddressSerializer,
    GroupSerializer,
    GroupSettingsSerializer,
    MembershipSerializer,
    MeSerializer,
    NewApiTokenSerializer,
    SharePartnerSerializer,
    SharingListingSerializer,
    TokenRequestSerializer,
    WorkerCheckSerializer,
)
from accounts.models import ApiToken, Group, Membership, WorkerCheck
from accounts.permissions import Action, GroupRolePermission, can


class GroupViewSet(viewsets.ReadOnlyModelViewSet):
    """
    The groups you belong to, with your role in each and the group's settings. `partners/` lists the groups you may
    share evidence with; a coordinator lists their own group there with `sharing/`, and changes the group's yes/no
    settings with `settings/`.
    """

    serializer_class = GroupSerializer
    permission_classes = [IsAuthenticated, GroupRolePermission]
    write_action = Action.MANAGE_MEMBERS

    def get_queryset(self):
        return Group.objects.visible_to(self.request.user)

    @extend_schema(responses=SharePartnerSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def partners(self, request):
        """Groups whose coordinators listed them for sharing, and your own: the only ones `share` accepts."""
        groups = Group.objects.share_partners(request.user).only("name", "slug").order_by("name")
        return Response(SharePartnerSerializer(groups, many=True).data)

    @extend_schema(request=SharingListingSerializer, responses=GroupSerializer)
    @action(detail=True, methods=["post"])
    def sharing(self, request, pk=None):
        """List this group for sharing, or not (coordinators)."""
        group = self.get_object()
        body = SharingListingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group = services.set_listed_for_sharing(group, listed=body.validated_data["listed_for_sharing"],
                                                actor=request.user)
        return Response(self.get_serializer(group).data)

    @extend_schema(request=GroupSettingsSerializer, responses=GroupSerializer)
    # Not named `settings`, which would hide the view's DRF settings (APIView.settings).
    @action(detail=True, methods=["post"], url_path="settings", url_name="settings")
    def change_settings(self, request, pk=None):
        """
        Change the group's yes/no settings (coordinators): listed for sharing, titles in saved-search alerts, source
        capture. Name only those to change; all of them change, or none.
        """
        group = self.get_object()
        # partial: a setting a form-encoded body leaves out is left as it is (DRF reads a missing checkbox as False).
        body = GroupSettingsSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        group = services.set_group_flags(group, actor=request.user, **body.validated_data)
        return Response(self.get_serializer(group).data)


class MembershipViewSet(
    RecheckedWrites, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, viewsets.GenericViewSet,
):
    """Members of your groups. Coordinators change roles (PATCH) and remove members (DELETE)."""

    serializer_class = MembershipSerializer
    permission_classes = [IsAuthenticated, GroupRolePermission]
    write_action = Action.MANAGE_MEMBERS
    filterset_fields = ["group__slug", "role"]

    def get_queryset(self):
        if self.action == "leave":
            # One's own memberships, those of groups whose second factor one still owes included: leaving takes
            # nothing and must not wait for it. Anyone else's is a 404.
            return Membership.objects.filter(user__pk=self.request.user.pk).select_related("user", "group")
        return Membership.objects.visible_to(self.request.user).select_related("user", "group")

    def get_permissions(self):
        if self.action == "leave":
            return [IsAuthenticated()]  # any member leaves; leave_group refuses anyone else's membership
        return super().get_permissions()

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        """Leave the group of this membership, your own (its last coordinator cannot)."""
        services.leave_group(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def write(self, serializer):
        if "role" not in serializer.validated_data:  # a PATCH naming nothing changes nothing
            return
        serializer.instance = services.change_role(serializer.instance, role=serializer.validated_data["role"],
                                                   actor=self.request.user)

    def perform_destroy(self, instance):
        services.remove_member(instance, actor=self.request.user)


class WorkerCheckViewSet(RecheckedWrites, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Round trips through the Celery worker. POST starts one; poll it until `status` is `done`."""

    serializer_class = WorkerCheckSerializer
    permission_classes = [IsAuthenticated, GroupRolePermission]
    write_action = Action.CHECK_WORKER

    def get_queryset(self):
        return WorkerCheck.objects.visible_to(self.request.user).select_related("group")

    def write(self, serializer):
        group = serializer.validated_data["group"]
        if not can(self.request.user, Action.CHECK_WORKER, group):
            raise PermissionDenied(_("Only coordinators can start worker checks."))
        serializer.instance = services.request_worker_check(group, actor=self.request.user)

    def perform_create(self, serializer):
        super().perform_create(serializer)
        # Sent to the worker when the transaction committed, just now; if the queue could not be reached the row
        # has failed already, with the reason: answer with that, not with the row as it was created.
        serializer.instance.refresh_from_db()


class MeView(generics.RetrieveAPIView):
    """The signed-in user and their memberships."""

    serializer_class = MeSerializer

    def get_object(self):
        user = self.request.user
        # The memberships with their groups in one query, not one more a group: this is the floor bench/load.py
        # judges every page by.
        prefetch_related_objects([user], Prefetch("memberships", queryset=Membership.objects.select_related("group")))
        return user


def feed_address(url):
    """The answer holding a new feed address: shown once, so no cache may keep it."""
    response = Response(FeedAddressSerializer({"feed_url": url}).data)
    add_never_cache_headers(response)
    return response


class CalendarFeedView(APIView):
    """
    Your private calendar feed (iCalendar) of your tasks and your targets' next steps. POST makes its address, with
    a secret key shown in this answer only, and ends the address before; DELETE turns the feed off. Another
    person's calendar cannot be named.
    """

    @extend_schema(request=None, responses=FeedAddressSerializer)
    def post(self, request):
        """Make a new address for your calendar feed (ending the one before); its key is shown once."""
        key = services.new_calendar_key(request.user, actor=request.user)
        return feed_address(services.calendar_feed_url(key))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """Turn your calendar feed off: its address answers 404 from now on."""
        services.end_calendar_feed(request.user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ObtainTokenView(APIView):
    """
    A new API token for a username and password, plus `code` for accounts with two-factor sign-in. Each call
    makes a new token; its key is in this answer only (it is stored hashed). It expires at `expires_at`; list and
    revoke your tokens at /api/tokens/.
    """

    permission_classes = []
    serializer_class = TokenRequestSerializer

    @extend_schema(request=TokenRequestSerializer, responses=NewApiTokenSerializer)
    def post(self, request):
        body = TokenRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        user = body.validated_data["user"]
        token, key = services.create_api_token(user, name=body.validated_data["name"], actor=user)
        return Response(NewApiTokenSerializer(token, context={"key": key}).data)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                      viewsets.GenericViewSet):
    """Your own API tokens (never their keys). DELETE revokes one. Make one with POST /api/auth/token/."""

    serializer_class = ApiTokenSerializer

    def get_queryset(self):
        # A person's own tokens only: anyone else's is a 404, like a missing one. (By pk: the schema generator
        # calls this with an anonymous user, whose pk is None and who has none.)
        return ApiToken.objects.live().filter(user_id=self.request.user.pk)

    def perform_destroy(self, instance):
        services.revoke_api_token(instance, actor=self.request.user)

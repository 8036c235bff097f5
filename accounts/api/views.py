from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts import services
from accounts.api.serializers import (
    GroupSerializer,
    MembershipSerializer,
    MeSerializer,
    SharePartnerSerializer,
    SharingListingSerializer,
    TokenRequestSerializer,
    WorkerCheckSerializer,
)
from accounts.models import Group, Membership, WorkerCheck
from accounts.permissions import Action, GroupRolePermission, can


class GroupViewSet(viewsets.ReadOnlyModelViewSet):
    """
    The groups you belong to, with your role in each. `partners/` lists the groups you may share evidence with;
    a coordinator lists their own group there with `sharing/`.
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


class MembershipViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Members of your groups. Coordinators change roles (PATCH) and remove members (DELETE)."""

    serializer_class = MembershipSerializer
    permission_classes = [IsAuthenticated, GroupRolePermission]
    write_action = Action.MANAGE_MEMBERS
    filterset_fields = ["group__slug", "role"]

    def get_queryset(self):
        return Membership.objects.visible_to(self.request.user).select_related("user", "group")

    def perform_update(self, serializer):
        if "role" not in serializer.validated_data:  # a PATCH naming nothing changes nothing
            return
        try:
            serializer.instance = services.change_role(
                serializer.instance, role=serializer.validated_data["role"], actor=self.request.user
            )
        except DjangoValidationError as exc:
            raise DRFValidationError({"role": exc.messages}) from exc

    def perform_destroy(self, instance):
        try:
            services.remove_member(instance, actor=self.request.user)
        except DjangoValidationError as exc:
            raise DRFValidationError({"detail": exc.messages}) from exc


class WorkerCheckViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Round trips through the Celery worker. POST starts one; poll it until `status` is `done`."""

    serializer_class = WorkerCheckSerializer
    permission_classes = [IsAuthenticated, GroupRolePermission]
    write_action = Action.CHECK_WORKER

    def get_queryset(self):
        return WorkerCheck.objects.visible_to(self.request.user).select_related("group")

    def perform_create(self, serializer):
        group = serializer.validated_data["group"]
        if not can(self.request.user, Action.CHECK_WORKER, group):
            raise PermissionDenied(_("Only coordinators can start worker checks."))
        serializer.instance = services.request_worker_check(group, actor=self.request.user)


class MeView(generics.RetrieveAPIView):
    """The signed-in user and their memberships."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class ObtainTokenView(ObtainAuthToken):
    """An API token for a username and password, plus `code` for accounts with two-factor sign-in."""

    serializer_class = TokenRequestSerializer
    # ObtainAuthToken names its own parsers and no throttles: these are the API's, with the JSON depth limit and
    # the count per address.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES
    throttle_classes = api_settings.DEFAULT_THROTTLE_CLASSES

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import generics, mixins, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.permissions import IsAuthenticated

from accounts import services
from accounts.api.serializers import (
    GroupSerializer,
    MembershipSerializer,
    MeSerializer,
    TokenRequestSerializer,
    WorkerCheckSerializer,
)
from accounts.models import Group, Membership, WorkerCheck
from accounts.permissions import Action, GroupRolePermission, can


class GroupViewSet(viewsets.ReadOnlyModelViewSet):
    """The groups you belong to, with your role in each."""

    serializer_class = GroupSerializer

    def get_queryset(self):
        return Group.objects.visible_to(self.request.user)


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
            raise PermissionDenied("Only coordinators can start worker checks.")
        serializer.instance = services.request_worker_check(group, actor=self.request.user)


class MeView(generics.RetrieveAPIView):
    """The signed-in user and their memberships."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class ObtainTokenView(ObtainAuthToken):
    """An API token for a username and password, plus `code` for accounts with two-factor sign-in."""

    serializer_class = TokenRequestSerializer

"""
Campaign API. Each viewset reads from its model's visible_to(user) and writes through the serializers, which call
campaigns/services.py; after a write the row must still be one the caller can see, or the write is rolled back.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from accounts.permissions import Action, GroupRolePermission
from campaigns import services
from campaigns.api.serializers import (
    AdvanceSerializer,
    AskBatchSerializer,
    CampaignSerializer,
    CompleteSerializer,
    InteractionAttachmentSerializer,
    InteractionSerializer,
    LinkEvidenceSerializer,
    TargetSerializer,
    TaskSerializer,
)
from campaigns.filters import (
    AskBatchFilterSet,
    CampaignFilterSet,
    InteractionFilterSet,
    TargetFilterSet,
    TaskFilterSet,
)
from campaigns.models import AskBatch, Campaign, Interaction, InteractionAttachment, Target, Task
from evidence.api.serializers import AttachmentUploadSerializer


class RecheckedWrites:
    """Writes run in one transaction that ends by checking the row is still within the caller's groups."""

    def perform_create(self, serializer):
        with transaction.atomic():
            self._recheck(serializer.save())

    def perform_update(self, serializer):
        with transaction.atomic():
            self._recheck(serializer.save())

    def _recheck(self, instance):
        if not self.get_queryset().filter(pk=instance.pk).exists():
            raise PermissionDenied("That would put data outside your groups.")


def _as_400(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(as_serializer_error(exc)) from exc


class CampaignViewSet(RecheckedWrites, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                      viewsets.ReadOnlyModelViewSet):
    """Your groups' campaigns. Campaigners and coordinators create and edit them."""

    serializer_class = CampaignSerializer
    permission_classes = [permissions.IsAuthenticated, GroupRolePermission]
    write_action = Action.MANAGE_CAMPAIGNS
    filterset_class = CampaignFilterSet

    def get_queryset(self):
        return Campaign.objects.visible_to(self.request.user).select_related("group", "lead").prefetch_related(
            "recommendations")


class TargetViewSet(RecheckedWrites, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                    viewsets.ReadOnlyModelViewSet):
    """
    The institutions your groups' campaigns target, with their stance timeline. The status changes only through
    `advance`; a move to committed, complied, refused or backslid cites an interaction or an evidence record.
    """

    serializer_class = TargetSerializer
    permission_classes = [permissions.IsAuthenticated, GroupRolePermission]
    write_action = Action.MANAGE_CAMPAIGNS
    filterset_class = TargetFilterSet

    def get_queryset(self):
        return TargetSerializer.prefetch(Target.objects.visible_to(self.request.user), self.request.user)

    def _fresh(self, target):
        return Response(self.get_serializer(self.get_queryset().get(pk=target.pk)).data)

    @extend_schema(request=AdvanceSerializer, responses=TargetSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        target = self.get_object()  # first, so that another group's target is a 404 whatever the body
        body = AdvanceSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        _as_400(services.advance_target, target, actor=request.user, **body.validated_data)
        return self._fresh(target)

    @extend_schema(request=LinkEvidenceSerializer,
                   responses=inline_serializer("LinkedEvidence", {"added": serializers.IntegerField()}))
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        """Link evidence records you can see to the target; records already linked are skipped."""
        target = self.get_object()
        body = LinkEvidenceSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        added = _as_400(services.add_evidence_to_target, actor=request.user, target=target,
                        records=body.validated_data["records"])
        return Response({"added": added})


class InteractionViewSet(RecheckedWrites, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """
    Letters, e-mails, meetings, calls, statements and replies with targets. Volunteers log them too; `move_to`
    (campaigners and coordinators) also moves the target, citing the new interaction.
    """

    serializer_class = InteractionSerializer
    permission_classes = [permissions.IsAuthenticated, GroupRolePermission]
    write_action = Action.LOG_INTERACTION
    filterset_class = InteractionFilterSet

    def get_queryset(self):
        return Interaction.objects.visible_to(self.request.user).select_related("created_by").prefetch_related(
            "attachments")

    @extend_schema(methods=["get"], responses=InteractionAttachmentSerializer(many=True))
    @extend_schema(methods=["post"], request={"multipart/form-data": AttachmentUploadSerializer},
                   responses={201: InteractionAttachmentSerializer})
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        """The interaction's files. POST a `file` to add one; a refused file says why."""
        interaction = self.get_object()
        if request.method == "GET":
            files = InteractionAttachment.objects.visible_to(request.user).filter(interaction=interaction)
            return Response(InteractionAttachmentSerializer(files, many=True).data)
        body = AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            [attachment] = services.add_attachments(interaction, actor=request.user,
                                                    files=[body.validated_data["file"]])
        except DjangoValidationError as exc:
            raise ValidationError({"file": exc.messages}) from exc
        return Response(InteractionAttachmentSerializer(attachment).data, status=201)


class TaskViewSet(RecheckedWrites, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                  viewsets.ReadOnlyModelViewSet):
    """Campaign tasks. `complete` marks one done (or open again); its assignee may do that too."""

    serializer_class = TaskSerializer
    permission_classes = [permissions.IsAuthenticated, GroupRolePermission]
    write_action = Action.MANAGE_CAMPAIGNS
    filterset_class = TaskFilterSet

    def get_queryset(self):
        return Task.objects.visible_to(self.request.user).select_related("assignee", "done_by")

    @extend_schema(request=CompleteSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def complete(self, request, pk=None):
        task = self.get_object()
        body = CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.complete_task(task, actor=request.user, done=body.validated_data["done"])
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)


class AskBatchViewSet(RecheckedWrites, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """One ask sent to many institutions at once (POST creates the targets), with how many answered."""

    serializer_class = AskBatchSerializer
    permission_classes = [permissions.IsAuthenticated, GroupRolePermission]
    write_action = Action.MANAGE_CAMPAIGNS
    filterset_class = AskBatchFilterSet

    def get_queryset(self):
        return AskBatch.objects.visible_to(self.request.user).prefetch_related("targets")

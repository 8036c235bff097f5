"""
Campaign API. Each viewset reads from its model's visible_to(user) and writes through the serializers, which call
campaigns/services.py; after a write the row must still be one the caller can see, or the write is rolled back
(accounts.api.mixins.RecheckedWrites).
"""

from django.http import FileResponse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.api.mixins import RecheckedWrites
from accounts.models import Group
from accounts.permissions import Action, GroupRolePermission, can
from campaigns import services
from campaigns.api.serializers import (
    AdvanceSerializer,
    AskBatchSerializer,
    BriefingPackSerializer,
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
from campaigns.models import AskBatch, BriefingPack, Campaign, Interaction, InteractionAttachment, Target, Task
from campaigns.packs.storage import open_for_download
from campaigns.public import services as public_services
from config.api import UploadRateThrottle
from evidence.api.serializers import AttachmentUploadSerializer


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

    def _publishing(self, request, verb):
        campaign = verb(self.get_object(), actor=request.user)  # get_object first: another group's is a 404
        return Response(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Put the campaign on the public scoreboard (coordinators; it needs a public summary)."""
        return self._publishing(request, public_services.publish_campaign)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def unpublish(self, request, pk=None):
        """Take the campaign off the public scoreboard: its public page is a 404 at once (coordinators)."""
        return self._publishing(request, public_services.unpublish_campaign)


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
        services.advance_target(target, actor=request.user, **body.validated_data)
        return self._fresh(target)

    @extend_schema(request=LinkEvidenceSerializer,
                   responses=inline_serializer("LinkedEvidence", {"added": serializers.IntegerField()}))
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        """Link evidence records you can see to the target; records already linked are skipped."""
        target = self.get_object()
        body = LinkEvidenceSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        added = services.add_evidence_to_target(actor=request.user, target=target,
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
    # One list, not pages (pagination_class=None also keeps the schema from describing pages).
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser], pagination_class=None,
            throttle_classes=[*api_settings.DEFAULT_THROTTLE_CLASSES, UploadRateThrottle])
    def attachments(self, request, pk=None):
        """The interaction's files. POST a `file` to add one; a refused file says why."""
        interaction = self.get_object()
        if request.method == "GET":
            files = InteractionAttachment.objects.visible_to(request.user).filter(interaction=interaction)
            return Response(InteractionAttachmentSerializer(files, many=True).data)
        body = AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        [attachment] = services.add_attachments(interaction, actor=request.user, files=[body.validated_data["file"]])
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


class GeneratesPacks(permissions.BasePermission):
    """Packs are the coordinators' alone: members of other roles get 403 for their group's packs, reads included."""

    def has_permission(self, request, view):
        if view.detail:
            return True  # the object is looked up first: another group's pack is a 404, not a 403
        return Group.objects.writable_by(request.user, Action.GENERATE_PACKS).exists()

    def has_object_permission(self, request, view, obj):
        return can(request.user, Action.GENERATE_PACKS, obj.group)


class BriefingPackViewSet(RecheckedWrites, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """
    Briefing packs of the groups you coordinate. POST starts one (the worker builds it; poll `status` and
    `progress_done`/`progress_total`); `retry` queues a failed one again; `download` streams a ready one's ZIP,
    and every download is written to the group's audit log.
    """

    serializer_class = BriefingPackSerializer
    permission_classes = [permissions.IsAuthenticated, GeneratesPacks]
    filterset_fields = ["status", "scope"]

    def get_queryset(self):
        user = self.request.user
        return (BriefingPack.objects.visible_to(user).select_related("group", "requested_by", "institution")
                .order_by("-created_at", "-pk"))

    def perform_create(self, serializer):
        super().perform_create(serializer)
        # The pack went to the worker when the transaction committed, just now; if the queue could not be reached
        # the row has failed already, with the reason: answer with that, not with the row as it was created.
        serializer.instance.refresh_from_db()

    def filter_queryset(self, queryset):
        # Lists show only the packs of groups the caller coordinates; one pack of another role's group is a 403.
        if self.action == "list":
            queryset = queryset.filter(group__in=Group.objects.writable_by(self.request.user,
                                                                            Action.GENERATE_PACKS))
        return super().filter_queryset(queryset)

    @extend_schema(request=None, responses={200: BriefingPackSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a failed pack again; any other status is a 400."""
        pack = self.get_object()
        services.retry_pack(pack, actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=pack.pk)).data)

    @extend_schema(responses={
        (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The pack's ZIP."),
        (409, "application/json"): OpenApiResponse(
            inline_serializer("PackNotReady", {"detail": serializers.CharField()}),
            description="The pack is not ready (still building, failed or expired)."),
    })
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        pack = self.get_object()
        try:
            handle = open_for_download(pack)
        except FileNotFoundError:
            return Response({"detail": gettext("This pack is not ready, or has expired.")}, status=409)
        services.record_pack_download(pack, actor=request.user)
        response = FileResponse(handle, as_attachment=True, filename=pack.download_name,
                                content_type="application/zip")
        response["Cache-Control"] = "private, no-store"
        return response

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.api.mixins import RecheckedWrites
from accounts.permissions import Action, GroupRolePermission, can, can_in_any_group
from config.api import UploadRateThrottle
from evidence import bulk as provided_actions
from evidence.api.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    BulkChangeSerializer,
    BulkOutcomeSerializer,
    EvidenceRecordSerializer,
    InstitutionSerializer,
    PublicMarkSerializer,
    RecommendationSerializer,
    RejectSerializer,
    RelationshipSerializer,
    ReportSerializer,
    RightSerializer,
    SectorSerializer,
    ShareSerializer,
    SourceSerializer,
)
from evidence.filters import EvidenceRecordFilterSet, InstitutionFilterSet
from evidence.models import (
    Attachment,
    EvidenceRecord,
    Institution,
    Recommendation,
    Relationship,
    Report,
    Right,
    Sector,
    Source,
    url_key,
)
from evidence.search import SearchPaginator
from evidence.services import attachments, bulk, directory, publicity, records


class DirectoryPermission(permissions.IsAuthenticated):
    """
    Every member reads the shared directory; coordinators (of any group) and site staff change it. A view that
    sets `members_add_own` also lets members who log evidence create (an institution for their own group; the
    service checks which group, and edits of a group's own institutions).
    """

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS or can_in_any_group(request.user, Action.EDIT_DIRECTORY):
            return True
        return getattr(view, "members_add_own", False) and view.action in ("create", "add_to_directory") and (
            can_in_any_group(request.user, Action.LOG_EVIDENCE))


class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Reports loaded on this site (`manage.py load_report`)."""

    serializer_class = ReportSerializer
    lookup_field = "slug"
    queryset = Report.objects.all()


class RecommendationViewSet(viewsets.ReadOnlyModelViewSet):
    """Recommendations of the reports, with the short ask a campaign can adopt."""

    serializer_class = RecommendationSerializer
    queryset = Recommendation.objects.select_related("report")
    filterset_fields = {"report__slug": ["exact"], "addressee": ["exact"]}


class SectorViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SectorSerializer
    lookup_field = "slug"
    queryset = Sector.objects.all()


class RightViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RightSerializer
    lookup_field = "slug"
    queryset = Right.objects.all()


class InstitutionViewSet(RecheckedWrites, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         viewsets.ReadOnlyModelViewSet):
    """
    The shared institution directory, and the institutions your groups added for themselves (`only_for_group`);
    `q` searches names, Chinese names and aliases.
    """

    serializer_class = InstitutionSerializer
    permission_classes = [DirectoryPermission]
    members_add_own = True
    filterset_class = InstitutionFilterSet
    lookup_field = "slug"

    def get_queryset(self):
        return (Institution.objects.visible_to(self.request.user).select_related("parent", "added_by_group")
                .prefetch_related("sectors"))

    @extend_schema(request=None, responses=InstitutionSerializer)
    @action(detail=True, methods=["post"], url_path="add-to-directory")
    def add_to_directory(self, request, slug=None):
        """Put an institution your group added for itself into the shared directory (its coordinators only)."""
        institution = self.get_object()
        directory.add_to_directory(institution, actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=institution.pk)).data)


class RelationshipViewSet(RecheckedWrites, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                          viewsets.ReadOnlyModelViewSet):
    """Links between institutions: who supplies, partners with, funds … whom."""

    serializer_class = RelationshipSerializer
    permission_classes = [DirectoryPermission]
    filterset_fields = {"source_institution__slug": ["exact"], "target_institution__slug": ["exact"],
                        "kind": ["exact"]}

    def get_queryset(self):
        visible = Institution.objects.visible_to(self.request.user)
        return Relationship.objects.select_related("source_institution", "target_institution").filter(
            source_institution__in=visible, target_institution__in=visible
        )

    def perform_destroy(self, instance):
        directory.remove_relationship(instance, actor=self.request.user)


#
# Evidence records and sources
#


class SourceViewSet(RecheckedWrites, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your groups' sources. Before adding one, `duplicates/?url=…` finds the group's sources at that address."""

    serializer_class = SourceSerializer
    permission_classes = [permissions.IsAuthenticated, GroupRolePermission]
    write_action = Action.LOG_EVIDENCE
    filterset_fields = {"group__slug": ["exact"], "kind": ["exact"], "protected": ["exact"]}

    def get_queryset(self):
        return Source.objects.visible_to(self.request.user).select_related("group")

    @extend_schema(parameters=[OpenApiParameter("url", str, required=True)], responses=SourceSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)  # at most 20, never a page of them
    def duplicates(self, request):
        key = url_key(request.query_params.get("url", ""))
        matches = self.filter_queryset(self.get_queryset()).filter(url_key=key) if key else Source.objects.none()
        return Response(self.get_serializer(matches[:20], many=True).data)


class SearchPagination(PageNumberPagination):
    django_paginator_class = SearchPaginator


class EvidenceRecordViewSet(RecheckedWrites, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                            mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """
    Evidence records of your groups, and verified records other groups shared with you (read-only, with
    protected sources left out). Steps: submit, then verify or reject (by someone else), reopen, share. DELETE
    deletes a record for good: coordinators any of their group's, others their own drafts before submitting.
    """

    serializer_class = EvidenceRecordSerializer
    permission_classes = [permissions.IsAuthenticated, GroupRolePermission]
    write_action = Action.LOG_EVIDENCE
    filterset_class = EvidenceRecordFilterSet
    pagination_class = SearchPagination

    def get_queryset(self):
        return EvidenceRecord.objects.visible_to(self.request.user).for_list().select_related(
            "submitted_by", "decided_by").prefetch_related(
            "recommendations", "rights", "citations__source")

    def perform_destroy(self, instance):
        records.delete_record(instance, actor=self.request.user)

    def _step(self, request, function, body_serializer=None):
        record = self.get_object()  # first, so that another group's record is a 404 whatever the body
        kwargs = {}
        if body_serializer is not None:
            body = body_serializer(data=request.data, context={"request": request, "record": record})
            body.is_valid(raise_exception=True)
            kwargs = body.validated_data
        record = function(record, actor=request.user, **kwargs)
        return Response(self.get_serializer(self.get_queryset().get(pk=record.pk)).data)

    @extend_schema(request=None, responses=EvidenceRecordSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._step(request, records.submit_record)

    @extend_schema(request=None, responses=EvidenceRecordSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._step(request, records.verify_record)

    @extend_schema(request=RejectSerializer, responses=EvidenceRecordSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._step(request, records.reject_record, RejectSerializer)

    @extend_schema(request=None, responses=EvidenceRecordSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._step(request, records.reopen_record)

    @extend_schema(methods=["get"], responses=AttachmentSerializer(many=True))
    @extend_schema(methods=["post"], request={"multipart/form-data": AttachmentUploadSerializer},
                   responses={201: AttachmentSerializer})
    # One list, not pages (pagination_class=None also keeps the schema from describing pages).
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser], pagination_class=None,
            throttle_classes=[*api_settings.DEFAULT_THROTTLE_CLASSES, UploadRateThrottle])
    def attachments(self, request, pk=None):
        """The record's files (its own group only). POST a `file` to add one; refused files say why."""
        record = self.get_object()
        if request.method == "GET":
            files = Attachment.objects.visible_to(request.user).filter(record=record)
            return Response(AttachmentSerializer(files, many=True).data)
        body = AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not can(request.user, Action.LOG_EVIDENCE, record.group):
            raise PermissionDenied(_("Your role in this group does not allow that."))
        attachment = attachments.add_attachment(record, actor=request.user, uploaded_file=body.validated_data["file"])
        return Response(AttachmentSerializer(attachment).data, status=201)

    @extend_schema(request=ShareSerializer, responses=EvidenceRecordSerializer)
    @action(detail=True, methods=["post"])
    def share(self, request, pk=None):
        return self._step(request, records.share_record, ShareSerializer)

    @extend_schema(request=PublicMarkSerializer, responses=EvidenceRecordSerializer)
    @action(detail=True, methods=["post"])
    def public(self, request, pk=None):
        """Make a verified, unprotected record public (or private again): coordinators only."""
        return self._step(request, publicity.mark_public, PublicMarkSerializer)

    @extend_schema(request=BulkChangeSerializer, responses=BulkOutcomeSerializer)
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """
        One change (tag, untag, submit, share) to many records of your groups. Each record is checked on its own;
        the answer counts those changed, already so, and refused with the reason. Ids you cannot see count as
        not found, the same as ids that do not exist.
        """
        body = BulkChangeSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        wanted = set(data["records"])
        found = list(EvidenceRecord.objects.visible_to(request.user).filter(pk__in=wanted))
        outcome = bulk.bulk_change(found, actor=request.user, action=data["action"], tag=data["tag"],
                                   groups=data["groups"], everyone=data["everyone"], **provided_actions.inputs(data))
        if missing := len(wanted) - len(found):
            outcome.refused["not found"] += missing
        return Response(BulkOutcomeSerializer(outcome).data)

"""
Source captures in the API: list and read your groups' captures with their files (each with its SHA-256, size and
download), ask for one (`POST {"source": id}`), retry a failed one. Captures are files: only the source's own group
sees them.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.api.fields import ReaderTextField
from accounts.permissions import Action, GroupRolePermission, can_in_any_group, ensure_can
from evidence.capture import services
from evidence.models import CaptureFile, Source, SourceCapture
from evidence.near_duplicates import describe, near_duplicates_of


class CaptureFileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = CaptureFile
        fields = ["id", "kind", "original_name", "content_type", "size", "sha256", "phash", "download_url"]
        read_only_fields = fields

    def get_download_url(self, capture_file) -> str:
        return reverse("capture-file-download", args=[capture_file.pk])


class SourceCaptureSerializer(serializers.ModelSerializer):
    source = serializers.PrimaryKeyRelatedField(queryset=Source.objects.none())
    error = ReaderTextField(read_only=True)
    files = serializers.SerializerMethodField()
    near_duplicates = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = SourceCapture
        fields = ["id", "source", "url", "final_url", "page_title", "status", "error", "created_at", "captured_at",
                  "files", "near_duplicates", "page_url"]
        read_only_fields = [name for name in fields if name != "source"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:  # only the caller's own groups' sources can be named
            fields["source"].queryset = Source.objects.visible_to(request.user)
        return fields

    def get_files(self, capture) -> list[dict]:
        if capture.status != SourceCapture.Status.DONE:
            return []
        return CaptureFileSerializer(capture.files.all(), many=True).data

    def get_near_duplicates(self, capture) -> list[dict]:
        """The group's pictures the screenshot looks like (another group's are never looked at)."""
        if capture.status != SourceCapture.Status.DONE:
            return []
        # A list looks up the whole page's pictures at once (SourceCaptureViewSet.list); one capture, its own.
        found = self.context.get("near_duplicates")
        if found is None:
            found = near_duplicates_of(capture.files.all())
        return [{"distance": gap, **describe(row)} for file in capture.files.all()
                for gap, row in found.get((type(file), file.pk), [])]

    def get_page_url(self, capture) -> str:
        return capture.get_absolute_url()


class SourceCaptureViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """
    Captures of your groups' sources, newest first (`?source=ID` for one source's). POST `{"source": ID}` captures
    a source now (if its group captures sources and it is not protected); POST `captures/ID/retry/` retries a
    failed capture. Another group's capture is a 404.
    """

    serializer_class = SourceCaptureSerializer
    permission_classes = [permissions.IsAuthenticated, GroupRolePermission]
    write_action = Action.LOG_EVIDENCE
    filterset_fields = {"source": ["exact"], "status": ["exact"]}

    def get_queryset(self):
        return SourceCapture.objects.visible_to(self.request.user).select_related("group", "source").prefetch_related(
            "files")

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        captures = page if page is not None else list(queryset)
        # The near-duplicates of every picture on the page in a few queries, not a few for each capture.
        files = [file for capture in captures if capture.status == SourceCapture.Status.DONE
                 for file in capture.files.all()]
        context = {**self.get_serializer_context(), "near_duplicates": near_duplicates_of(files)}
        data = self.get_serializer_class()(captures, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def create(self, request, *args, **kwargs):
        if not can_in_any_group(request.user, Action.LOG_EVIDENCE):  # the role first, whatever the body says
            raise PermissionDenied(_("Your role in this group does not allow that."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = serializer.validated_data["source"]
        ensure_can(request.user, Action.LOG_EVIDENCE, source.group)
        try:
            capture = services.request_capture(source, actor=request.user)
        except DjangoValidationError as exc:
            raise ValidationError({"source": exc.messages}) from exc
        return Response(self.get_serializer(self.get_queryset().get(pk=capture.pk)).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=SourceCaptureSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        capture = self.get_object()
        try:
            services.retry_capture(capture, actor=request.user)
        except DjangoValidationError as exc:
            raise ValidationError({"source": exc.messages}) from exc
        return Response(self.get_serializer(self.get_queryset().get(pk=capture.pk)).data)

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.api.fields import PageLinkField, VisibleField
from accounts.models import LONG_TEXT_MAX_LENGTH, Group
from accounts.scoping import LARGEST_ID
from evidence import bulk as provided_actions
from evidence import disclosure
from evidence.models import (
    Attachment,
    Citation,
    EvidenceRecord,
    Institution,
    Recommendation,
    RecordInstitution,
    Relationship,
    Report,
    Right,
    Sector,
    Source,
)
from evidence.near_duplicates import describe
from evidence.services import directory, records, sources
from evidence.services.bulk import BULK_LIMIT, TAG_MAX_LENGTH, BulkAction


class ReportSerializer(serializers.ModelSerializer):
    page_url = PageLinkField()

    class Meta:
        model = Report
        fields = ["slug", "title", "publisher", "published", "licence", "licence_url", "url", "document_code",
                  "credit", "page_url"]


class RecommendationSerializer(serializers.ModelSerializer):
    report = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Recommendation
        fields = ["id", "report", "code", "addressee", "summary", "ask", "page", "order"]


class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["slug", "name", "summary"]


class RightSerializer(serializers.ModelSerializer):
    class Meta:
        model = Right
        fields = ["slug", "name", "summary", "anchors", "page"]


class GroupChoiceField(serializers.SlugRelatedField):
    """A group named by slug, chosen among the caller's own groups (others read as "does not exist")."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Group.objects.none(), **kwargs)

    def get_queryset(self):
        return Group.objects.visible_to(self.context["request"].user)


class SharePartnerField(serializers.SlugRelatedField):
    """
    A group to share with, by slug: one its coordinators listed for sharing, one of the caller's own, or one the
    record is already shared with. Any other reads as "does not exist", like a slug no group has.
    """

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Group.objects.none(), **kwargs)

    def get_queryset(self):
        partners = Group.objects.share_partners(self.context["request"].user)
        record = self.context.get("record")
        if record is not None:
            partners = Group.objects.filter(Q(pk__in=partners.values("pk")) | Q(pk__in=record.shared_with.all()))
        return partners


class VisibleInstitutionField(serializers.SlugRelatedField):
    """An institution by slug, among those the caller may see; others read as "does not exist"."""

    def __init__(self, *, directory_only=False, **kwargs):
        self.directory_only = directory_only
        super().__init__(slug_field="slug", queryset=Institution.objects.none(), **kwargs)

    def get_queryset(self):
        visible = Institution.objects.visible_to(self.context["request"].user)
        return visible.in_directory() if self.directory_only else visible


class InstitutionSerializer(serializers.ModelSerializer):
    page_url = PageLinkField()
    sectors = serializers.SlugRelatedField(slug_field="slug", many=True, queryset=Sector.objects.all(),
                                           required=False)
    parent = VisibleInstitutionField(directory_only=True, allow_null=True, required=False)
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=100)
    products = serializers.ListField(child=serializers.CharField(max_length=300), required=False, max_length=100)
    people = serializers.ListField(child=serializers.CharField(max_length=300), required=False, max_length=100)
    only_for_group = GroupChoiceField(
        source="added_by_group", required=False, allow_null=True,
        help_text="A group of yours, for an institution only that group sees (any member who logs evidence may add "
                  "one; the slug is then made for it). Empty for the shared directory.")

    class Meta:
        model = Institution
        fields = ["slug", "name", "name_zh", "aliases", "kind", "country", "sectors", "products", "people",
                  "website", "summary", "parent", "investigated", "report_table", "page", "only_for_group",
                  "updated_at", "page_url"]
        read_only_fields = ["investigated", "report_table", "page", "updated_at"]
        extra_kwargs = {"slug": {"required": False}}

    def validate(self, attrs):
        if self.instance is None and not attrs.get("added_by_group") and not attrs.get("slug"):
            raise serializers.ValidationError({"slug": _("A short name is needed for the shared directory.")})
        if self.instance is not None and "added_by_group" in attrs:
            # Only add_to_directory moves an institution into the directory; nothing moves one out.
            attrs.pop("added_by_group")
        return attrs

    def create(self, validated_data):
        actor, group = self.context["request"].user, validated_data.pop("added_by_group", None)
        if group is not None:
            validated_data.pop("slug", None)
            return directory.add_group_institution(group, actor=actor, **validated_data)
        return directory.create_institution(actor=actor, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("slug", None)  # the slug is the institution's id: fixed once created
        return directory.update_institution(instance, actor=self.context["request"].user, **validated_data)


class RelationshipSerializer(serializers.ModelSerializer):
    source_institution = VisibleInstitutionField(directory_only=True)
    target_institution = VisibleInstitutionField(directory_only=True)

    class Meta:
        model = Relationship
        fields = ["id", "slug", "source_institution", "target_institution", "kind", "note", "source", "page"]
        read_only_fields = ["slug", "page"]

    def validate(self, attrs):
        Relationship(**attrs).clean()  # a Django ValidationError here is a 400 like a field's (DRF's run_validation)
        return attrs

    def create(self, validated_data):
        return directory.add_relationship(actor=self.context["request"].user, **validated_data)


#
# Evidence records
#


class SourceSerializer(serializers.ModelSerializer):
    group = GroupChoiceField()

    class Meta:
        model = Source
        fields = ["id", "group", "title", "kind", "url", "publisher", "published_on", "archive_url", "language",
                  "protected", "created_at"]
        read_only_fields = ["created_at"]

    def create(self, validated_data):
        return sources.create_source(validated_data.pop("group"), actor=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("group", None)  # a source stays in the group that entered it
        return sources.update_source(instance, actor=self.context["request"].user, **validated_data)


class RecordInstitutionSerializer(serializers.Serializer):
    institution = VisibleInstitutionField()
    role = serializers.ChoiceField(choices=RecordInstitution.Role.choices, default=RecordInstitution.Role.OTHER)


class TagNamesField(serializers.ListField):
    """Tags in and out as a list of names; unknown names become new tags of the record's group."""

    child = serializers.CharField(max_length=60)

    def to_representation(self, tags):
        return [tag.name for tag in tags.all()]


class CitationSerializer(serializers.ModelSerializer):
    source = VisibleField(Source)
    source_title = serializers.CharField(source="source.title", read_only=True)

    class Meta:
        model = Citation
        fields = ["source", "source_title", "locator", "excerpt", "excerpt_language", "translation", "translator",
                  "captured_at"]
        read_only_fields = ["captured_at"]


class EvidenceRecordSerializer(serializers.ModelSerializer):
    page_url = PageLinkField()
    group = GroupChoiceField()
    sector = serializers.SlugRelatedField(slug_field="slug", queryset=Sector.objects.all(), allow_null=True,
                                          required=False)
    recommendations = serializers.PrimaryKeyRelatedField(many=True, queryset=Recommendation.objects.all(),
                                                         required=False)
    rights = serializers.SlugRelatedField(slug_field="slug", many=True, queryset=Right.objects.all(), required=False)
    institutions = RecordInstitutionSerializer(many=True, required=False, source="institution_links")
    citations = CitationSerializer(many=True, required=False)
    tags = TagNamesField(required=False)
    submitted_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    shared_copy = serializers.SerializerMethodField()
    shared_with_everyone = serializers.SerializerMethodField(
        help_text="Whether its group shares it with every group; null on a copy shared with you (the owner's choice).")
    marked_public = serializers.SerializerMethodField(
        help_text="Whether its group made it public (shown where a published campaign cites it); null on a copy "
                  "shared with you.")

    class Meta:
        model = EvidenceRecord
        fields = ["id", "group", "title", "summary", "kind", "sector", "recommendations", "rights", "institutions",
                  "citations", "tags", "country", "place", "event_start", "event_end", "language", "protected",
                  "status", "decision_reason", "submitted_by", "submitted_at", "decided_by", "decided_at",
                  "shared_with_everyone", "marked_public", "report_fact", "shared_copy", "created_at", "updated_at",
                  "page_url"]
        read_only_fields = ["status", "decision_reason", "submitted_at", "decided_at", "shared_with_everyone",
                            "report_fact", "created_at", "updated_at"]

    def _viewer(self):
        # Read once per response: a list asks for every row.
        if "viewer" not in self.context:
            self.context["viewer"] = disclosure.viewer_of(self.context["request"].user)
        return self.context["viewer"]

    def get_shared_copy(self, record) -> bool:
        return not self._viewer().owns(record)

    def get_shared_with_everyone(self, record) -> bool | None:
        return disclosure.shared_with_everyone(self._viewer(), record)

    def get_marked_public(self, record) -> bool | None:
        return disclosure.marked_public(self._viewer(), record)

    def get_submitted_by(self, record) -> str | None:
        return disclosure.member_name(self._viewer(), record, record.submitted_by)

    def get_decided_by(self, record) -> str | None:
        return disclosure.member_name(self._viewer(), record, record.decided_by)

    def to_representation(self, record):
        data = super().to_representation(record)
        shown = disclosure.disclose(self._viewer(), record)
        citations = dict(zip((c.pk for c in record.citations.all()), data["citations"], strict=True))
        data["citations"] = [dict(citations[row.citation.pk], translator=row.translator) for row in shown.citations]
        links = dict(zip((link.pk for link in record.institution_links.all()), data["institutions"], strict=True))
        data["institutions"] = [links[link.pk] for link in shown.institution_links]
        data["tags"] = [tag.name for tag in shown.tags]
        return data

    def validate(self, attrs):
        start, end = attrs.get("event_start"), attrs.get("event_end")
        if self.instance is not None:
            start = attrs.get("event_start", self.instance.event_start)
            end = attrs.get("event_end", self.instance.event_end)
        if end and (not start or end < start):
            raise serializers.ValidationError({"event_end": _("The end of the event must come after its start.")})
        return attrs

    def _relations(self, validated_data):
        relations = {}
        if "institution_links" in validated_data:
            relations["institutions"] = [(link["institution"], link["role"])
                                         for link in validated_data.pop("institution_links")]
        for key in ("citations", "tags", "recommendations", "rights"):
            if key in validated_data:
                relations[key] = validated_data.pop(key)
        return relations

    def create(self, validated_data):
        group = validated_data.pop("group")
        relations = self._relations(validated_data)
        return records.create_record(group, actor=self.context["request"].user, **relations, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("group", None)  # a record stays in its group
        relations = self._relations(validated_data)
        return records.update_record(instance, actor=self.context["request"].user, **relations, **validated_data)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)


class ShareSerializer(serializers.Serializer):
    groups = SharePartnerField(many=True, default=list,
                               help_text="Slugs of groups listed for sharing (groups/partners/) or your own.")
    everyone = serializers.BooleanField(default=False)


class PublicMarkSerializer(serializers.Serializer):
    public = serializers.BooleanField(help_text="true makes the record public (a coordinator's decision); false "
                                                "makes it private again.")


class BulkChangeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=BulkAction.choices)
    records = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=LARGEST_ID),
                                    allow_empty=False, max_length=BULK_LIMIT)
    tag = serializers.CharField(required=False, allow_blank=True, default="", max_length=TAG_MAX_LENGTH)
    groups = SharePartnerField(many=True, default=list,
                               help_text="Slugs of groups listed for sharing (groups/partners/) or your own.")
    everyone = serializers.BooleanField(default=False)

    def get_fields(self):
        return provided_actions.add_api_fields(super().get_fields())  # actions other apps provide, with their inputs


class BulkOutcomeSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    refused = serializers.DictField(child=serializers.IntegerField(), help_text="How many records each reason left "
                                                                                "unchanged.")


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    duplicates = serializers.SerializerMethodField()
    near_duplicates = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "record", "original_name", "content_type", "size", "sha256", "phash", "uploaded_at",
                  "download_url", "duplicates", "near_duplicates"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        return reverse("attachment-download", args=[attachment.pk])

    def get_duplicates(self, attachment) -> list[dict]:
        # Only set right after an upload: the same content already attached elsewhere in the group.
        return [{"attachment": other.pk, "record": other.record_id, "record_title": other.record.title}
                for other in getattr(attachment, "duplicates", [])]

    def get_near_duplicates(self, attachment) -> list[dict]:
        # Only set right after an upload: the group's pictures that look like this one (evidence/similar.py).
        return [{"distance": gap, **describe(row)} for gap, row in getattr(attachment, "near_duplicates", [])]


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()

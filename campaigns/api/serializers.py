"""
Campaign API serializers. Writes go through campaigns/services.py, which checks the role again; what it refuses
is a 400 with field errors (config.api.exception_handler).
"""

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext
from rest_framework import serializers

from accounts.api.fields import PageLinkField, ReaderTextField, VisibleField
from accounts.models import LONG_TEXT_MAX_LENGTH, User
from accounts.permissions import roles_by_group
from campaigns import services
from campaigns.models import (
    AskBatch,
    BriefingPack,
    Campaign,
    Interaction,
    InteractionAttachment,
    StanceChange,
    Target,
    TargetEvidence,
    Task,
)
from campaigns.querysets import attach_batch_stats
from evidence import disclosure
from evidence.api.serializers import GroupChoiceField
from evidence.models import EvidenceRecord, Institution, Recommendation


class InstitutionField(serializers.SlugRelatedField):
    """An institution of the directory, by its short name, among those the caller can see."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Institution.objects.none(), **kwargs)

    def get_queryset(self):
        return Institution.objects.visible_to(self.context["request"].user)


class MemberField(serializers.SlugRelatedField):
    """A person by username, among the members of the caller's groups (the service checks the right group)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", queryset=User.objects.none(), allow_null=True, required=False,
                         **kwargs)

    def get_queryset(self):
        # The caller's groups as accounts.scoping counts them: not one whose second factor they still owe.
        groups = list(roles_by_group(self.context["request"].user))
        return User.objects.filter(memberships__group__in=groups).distinct()


def _check_dates(attrs, instance, start, end, message):
    first = attrs.get(start, getattr(instance, start, None))
    last = attrs.get(end, getattr(instance, end, None))
    if first and last and last < first:
        raise serializers.ValidationError({end: message})


class CampaignSerializer(serializers.ModelSerializer):
    page_url = PageLinkField()
    group = GroupChoiceField()
    recommendations = serializers.PrimaryKeyRelatedField(many=True, queryset=Recommendation.objects.all(),
                                                         required=False)
    lead = MemberField()

    class Meta:
        model = Campaign
        fields = ["id", "group", "title", "goal", "recommendations", "status", "starts_on", "ends_on", "lead",
                  "public_summary", "published_at", "created_at", "updated_at", "page_url"]
        read_only_fields = ["published_at", "created_at", "updated_at"]

    def validate(self, attrs):
        _check_dates(attrs, self.instance, "starts_on", "ends_on", gettext("The campaign must end after it starts."))
        return attrs

    def create(self, validated_data):
        group = validated_data.pop("group")
        return services.create_campaign(group, actor=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("group", None)  # a campaign stays in its group
        return services.update_campaign(instance, actor=self.context["request"].user, **validated_data)


class StanceChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = StanceChange
        fields = ["id", "from_status", "to_status", "changed_by", "changed_at", "note", "interaction", "evidence"]
        read_only_fields = fields

    def get_evidence(self, change) -> int | None:
        """The cited record's id while the caller may see it, else null (evidence/disclosure.py: asked again)."""
        if change.evidence_id is None:
            return None
        if not hasattr(change, "cited_visible"):  # not read through TargetSerializer.prefetch
            change.cited_visible = bool(disclosure.visible_record_ids(self.context["request"].user,
                                                                      [change.evidence_id]))
        return change.evidence_id if change.cited_visible else None


class TargetSerializer(serializers.ModelSerializer):
    page_url = PageLinkField()
    campaign = VisibleField(Campaign)
    institution = InstitutionField()
    owner = MemberField()
    evidence = serializers.SerializerMethodField()
    key_evidence = serializers.SerializerMethodField()
    stance_changes = StanceChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Target
        fields = ["id", "campaign", "institution", "ask", "status", "priority", "owner", "next_step",
                  "next_step_due", "batch", "evidence", "key_evidence", "stance_changes", "status_changed_at",
                  "created_at", "updated_at", "page_url"]
        read_only_fields = ["status", "batch", "status_changed_at", "created_at", "updated_at"]
        validators = []  # the one-target-per-institution rule is checked in validate(), on the field it concerns

    def validate(self, attrs):
        if self.instance is None and Target.objects.filter(campaign=attrs["campaign"],
                                                           institution=attrs["institution"]).exists():
            raise serializers.ValidationError(
                {"institution": gettext("The campaign already targets this institution.")})
        return attrs

    @staticmethod
    def prefetch(queryset, user):
        """What the serializer reads, in a fixed number of queries."""
        return queryset.select_related("institution", "owner").prefetch_related(
            Prefetch("evidence_links", to_attr="visible_links",
                     queryset=TargetEvidence.objects.filter(record__in=EvidenceRecord.objects.visible_to(user))),
            Prefetch("stance_changes", queryset=disclosure.annotate_cited(
                StanceChange.objects.select_related("changed_by"), user)),
        )

    def _visible_links(self, target):
        # Only records the caller can still see: a record shared once and withdrawn later drops out.
        links = getattr(target, "visible_links", None)
        if links is None:
            links = target.visible_links = list(target.evidence_links.filter(
                record__in=EvidenceRecord.objects.visible_to(self.context["request"].user)))
        return links

    def get_evidence(self, target) -> list[int]:
        return [link.record_id for link in self._visible_links(target)]

    def get_key_evidence(self, target) -> list[int]:
        """The linked records marked key evidence for this target (first in outward briefings, listed in letters)."""
        return [link.record_id for link in self._visible_links(target) if link.key]

    def create(self, validated_data):
        campaign, institution = validated_data.pop("campaign"), validated_data.pop("institution")
        _, [target] = services.add_targets(campaign, actor=self.context["request"].user, institutions=[institution],
                                           **validated_data)
        return target

    def update(self, instance, validated_data):
        validated_data.pop("campaign", None)
        validated_data.pop("institution", None)  # a target is one institution in one campaign for good
        return services.update_target(instance, actor=self.context["request"].user, **validated_data)


class AdvanceSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Target.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX_LENGTH)
    interaction = VisibleField(Interaction, required=False, allow_null=True, default=None)
    evidence = VisibleField(EvidenceRecord, required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if attrs["to_status"] in Target.NEEDS_JUSTIFICATION and not (attrs["interaction"] or attrs["evidence"]):
            raise serializers.ValidationError({"justification": (
                gettext("A move to this status must cite the interaction or evidence record that shows it."))})
        return attrs


class LinkEvidenceSerializer(serializers.Serializer):
    records = serializers.ListField(child=VisibleField(EvidenceRecord), allow_empty=False, max_length=500)


class InteractionAttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = InteractionAttachment
        fields = ["id", "interaction", "original_name", "content_type", "size", "sha256", "uploaded_at",
                  "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        return reverse("interaction-attachment-download", args=[attachment.pk])


class InteractionSerializer(serializers.ModelSerializer):
    target = VisibleField(Target)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    attachments = InteractionAttachmentSerializer(many=True, read_only=True)
    move_to = serializers.ChoiceField(choices=Target.Status.choices, required=False, write_only=True,
                                      help_text="Also move the target to this status, justified by this interaction.")
    note = serializers.CharField(required=False, allow_blank=True, write_only=True, max_length=LONG_TEXT_MAX_LENGTH)

    class Meta:
        model = Interaction
        fields = ["id", "target", "kind", "direction", "occurred_on", "summary", "outcome", "attachments",
                  "created_by", "created_at", "move_to", "note"]
        read_only_fields = ["created_at"]

    def create(self, validated_data):
        target = validated_data.pop("target")
        return services.log_interaction(target, actor=self.context["request"].user, **validated_data)


class TaskSerializer(serializers.ModelSerializer):
    campaign = VisibleField(Campaign)
    target = VisibleField(Target, required=False, allow_null=True)
    assignee = MemberField()
    done = serializers.BooleanField(read_only=True)
    done_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Task
        fields = ["id", "campaign", "target", "title", "assignee", "due_on", "done", "done_at", "done_by",
                  "created_at"]
        read_only_fields = ["done_at", "created_at"]

    def create(self, validated_data):
        campaign = validated_data.pop("campaign")
        return services.create_task(campaign, actor=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("campaign", None)
        return services.update_task(instance, actor=self.context["request"].user, **validated_data)


class CompleteSerializer(serializers.Serializer):
    done = serializers.BooleanField(default=True)


class BatchStatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    answered = serializers.IntegerField()
    answered_on_time = serializers.IntegerField(allow_null=True)
    committed = serializers.IntegerField()


class BatchListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        batches = attach_batch_stats(list(data.all() if hasattr(data, "all") else data))
        return [self.child.to_representation(batch) for batch in batches]


class AskBatchSerializer(serializers.ModelSerializer):
    page_url = PageLinkField()
    campaign = VisibleField(Campaign)
    institutions = serializers.ListField(
        child=InstitutionField(),
        write_only=True, allow_empty=False, max_length=500)
    targets = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    stats = serializers.SerializerMethodField()

    class Meta:
        model = AskBatch
        list_serializer_class = BatchListSerializer
        fields = ["id", "campaign", "title", "ask", "sent_on", "reply_due", "institutions", "targets", "stats",
                  "created_at", "page_url"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"sent_on": {"required": False}}

    def validate(self, attrs):
        _check_dates(attrs, self.instance, "sent_on", "reply_due",
                     gettext("The reply date must come after the ask was sent."))
        return attrs

    def get_stats(self, batch) -> BatchStatsSerializer:
        if not hasattr(batch, "stats"):
            attach_batch_stats([batch])
        return BatchStatsSerializer(batch.stats).data

    def create(self, validated_data):
        batch, _ = services.add_targets(
            validated_data["campaign"], actor=self.context["request"].user,
            institutions=validated_data["institutions"], ask=validated_data["ask"],
            batch_title=validated_data["title"], sent_on=validated_data.get("sent_on"),
            reply_due=validated_data.get("reply_due"))
        return batch


class BriefingPackSerializer(serializers.ModelSerializer):
    """
    A briefing pack. To start one, give its `scope` and that scope's `campaign`, `target`, `institution` (short name)
    or `search_query` (the evidence list's filters as a query string); `group` is needed for an institution or a
    search. Protected material is withheld unless `redact_protected` is false (written to the audit log).
    """

    page_url = PageLinkField()
    error = ReaderTextField()
    group = GroupChoiceField(required=False)
    campaign = VisibleField(Campaign, required=False, allow_null=True)
    target = VisibleField(Target, required=False, allow_null=True)
    institution = InstitutionField(required=False, allow_null=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = BriefingPack
        fields = ["id", "group", "scope", "campaign", "target", "institution", "search_query", "scope_label",
                  "kind", "executive_summary", "redact_protected", "include_attachments", "only_verified",
                  "language", "status", "progress_done",
                  "progress_total", "error", "size", "sha256", "requested_by", "created_at", "finished_at",
                  "expires_at", "download_url", "page_url"]
        read_only_fields = ["scope_label", "status", "progress_done", "progress_total", "error", "size", "sha256",
                            "created_at", "finished_at", "expires_at"]

    def get_download_url(self, pack) -> str | None:
        return reverse("api:pack-download", args=[pack.pk]) if pack.status == BriefingPack.Status.READY else None

    def validate(self, attrs):
        scope = attrs["scope"]
        Scope = BriefingPack.Scope
        needed = {Scope.CAMPAIGN: "campaign", Scope.TARGET: "target", Scope.INSTITUTION: "institution"}.get(scope)
        if needed and not attrs.get(needed):
            raise serializers.ValidationError({needed: gettext("A pack of a %(scope)s needs its %(field)s.")
                                               % {"scope": scope, "field": needed}})
        if scope == Scope.CAMPAIGN:
            attrs["group"] = attrs["campaign"].group
        elif scope == Scope.TARGET:
            attrs["group"] = attrs["target"].campaign.group
        elif not attrs.get("group"):
            raise serializers.ValidationError({"group": gettext("Name the group the pack is for.")})
        return attrs

    def create(self, validated_data):
        group = validated_data.pop("group")
        scope = validated_data.pop("scope")
        # Only the scope's own object: a stray `campaign` beside scope "target" is ignored.
        fields = {scope: validated_data[scope]} if scope in ("campaign", "target", "institution") else {}
        return services.request_pack(
            group, actor=self.context["request"].user, scope=scope,
            search_query=validated_data.get("search_query", ""),
            redact_protected=validated_data.get("redact_protected", True),
            include_attachments=validated_data.get("include_attachments", False),
            only_verified=validated_data.get("only_verified", True),
            language=validated_data.get("language", BriefingPack.Language.EN),
            kind=validated_data.get("kind", BriefingPack.Kind.INTERNAL),
            executive_summary=validated_data.get("executive_summary", ""), **fields)

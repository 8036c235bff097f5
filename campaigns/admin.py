"""Site staff's view of campaigns, for support; group members work through the pages and the API."""

from django.contrib import admin

from campaigns.models import AskBatch, Campaign, DigestDelivery, Interaction, StanceChange, Target, Task


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = ["institution", "status", "priority", "owner", "next_step_due"]
    raw_id_fields = ["institution", "owner"]
    show_change_link = True


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "status", "starts_on", "ends_on"]
    list_filter = ["status", "group"]
    search_fields = ["title"]
    raw_id_fields = ["lead", "created_by"]
    inlines = [TargetInline]


class StanceChangeInline(admin.TabularInline):
    model = StanceChange
    extra = 0
    readonly_fields = ["from_status", "to_status", "changed_by", "changed_at", "note", "interaction", "evidence"]
    can_delete = False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["institution", "campaign", "status", "priority", "owner", "next_step_due"]
    list_filter = ["status"]
    raw_id_fields = ["campaign", "institution", "owner", "batch"]
    # The status moves through campaigns.services.advance_target, which keeps the stance timeline.
    readonly_fields = ["status", "status_changed_at"]
    inlines = [StanceChangeInline]


@admin.register(AskBatch)
class AskBatchAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "sent_on", "reply_due"]
    raw_id_fields = ["campaign", "created_by"]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["target", "kind", "direction", "occurred_on"]
    list_filter = ["kind", "direction"]
    raw_id_fields = ["target", "created_by"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "assignee", "due_on", "done_at"]
    raw_id_fields = ["campaign", "target", "assignee", "done_by", "created_by"]


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["user", "sent_on", "item_count", "sent_at"]
    raw_id_fields = ["user"]

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import AuditEntry, Group, Invitation, Membership, User, WorkerCheck


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class DisentangleUserAdmin(UserAdmin):
    list_display = ["username", "email", "is_active", "is_staff", "last_login"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "group", "role", "created_at", "accepted_at"]
    exclude = ["token"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "group", "actor", "action", "object_repr"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


admin.site.register(WorkerCheck)

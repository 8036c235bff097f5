"""
Campaigns, targets, interactions and tasks are a group's own records: they are not in the Django admin, which
is for site staff (see accounts/admin.py and tests/test_isolation_matrix.py). Only the digest deliveries, which
record when a person was e-mailed and hold no group content, are.
"""

from django.contrib import admin

from campaigns.models import DigestDelivery


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["user", "sent_on", "item_count", "sent_at"]
    raw_id_fields = ["user"]

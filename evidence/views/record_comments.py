"""Comments on a record, by members of its own group (accounts/comment_views.py does the work)."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_POST

from accounts import comment_views
from evidence.models import EvidenceRecord, RecordComment


@login_required
@require_POST
def comment_create(request, pk):
    # Only the records of the member's own groups: for a group holding a shared copy there is no conversation to
    # join, the same 404 as for a record it cannot see at all.
    own = EvidenceRecord.objects.owned_by_groups_of(request.user)
    return comment_views.comment_create(request, own, pk)


@login_required
def comment_edit(request, pk):
    return comment_views.comment_edit(request, RecordComment.objects.select_related("record"), pk)


@login_required
@require_POST
def comment_delete(request, pk):
    return comment_views.comment_delete(request, RecordComment.objects.select_related("record"), pk)

"""Comments on a target, by members of its campaign's group (accounts/comment_views.py does the work)."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_POST

from accounts import comment_views
from campaigns.models import TargetComment
from campaigns.views.common import visible_targets


@login_required
@require_POST
def comment_create(request, pk):
    return comment_views.comment_create(request, visible_targets(request.user), pk)


@login_required
def comment_edit(request, pk):
    return comment_views.comment_edit(request, TargetComment.objects.select_related("target"), pk)


@login_required
@require_POST
def comment_delete(request, pk):
    return comment_views.comment_delete(request, TargetComment.objects.select_related("target"), pk)

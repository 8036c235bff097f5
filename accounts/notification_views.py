"""The signed-in person's notifications page: theirs only, newest first, each marked read when they say so."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts import notifications
from accounts.models import Notification


@login_required
@require_safe
def notification_list(request):
    rows = Notification.objects.visible_to(request.user).select_related("actor", "group")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/notification_list.html", {
        "page": page, "notifications": notifications.with_objects(page.object_list, request.user)})


@login_required
@require_POST
def notification_read(request, pk):
    """Mark one of mine read and, when asked, open what it points at (anybody else's is a 404)."""
    row = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    notifications.mark_read(request.user, ids=[row.pk])
    if request.POST.get("open") and notifications.with_objects([row], request.user)[0].available:
        return redirect(row.url)
    return redirect("notification-list")


@login_required
@require_POST
def notification_read_all(request):
    notifications.mark_read(request.user)
    return redirect("notification-list")

"""
A group's letterhead (campaigns.letterhead): the coordinator's settings page, and the logo itself for the page's
preview. Members of the group see the page; only a coordinator changes it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import Group
from accounts.permissions import Action, can
from accounts.scoping import get_for_user, get_for_writer
from campaigns.forms import LetterheadForm
from campaigns.letterhead import set_letterhead


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def group_letterhead(request, slug):
    group = get_for_user(Group, request.user, slug=slug)
    can_change = can(request.user, Action.MANAGE_MEMBERS, group)
    if request.method != "POST":
        form = LetterheadForm(initial={"contact_line": group.contact_line})
        return _page(request, group, form, can_change)
    group = get_for_writer(Group, request.user, Action.MANAGE_MEMBERS, slug=slug)
    form = LetterheadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            set_letterhead(group, actor=request.user, contact_line=form.cleaned_data["contact_line"],
                           logo=form.cleaned_data["logo"], remove_logo=form.cleaned_data["remove_logo"])
        except ValidationError as exc:
            form.add_error("logo", exc.messages)
        else:
            messages.success(request, _("The letterhead was saved."))
            return redirect("group-letterhead", group.slug)
    group.refresh_from_db()
    return _page(request, group, form, True, status=400)


def _page(request, group, form, can_change, status=200):
    return render(request, "campaigns/letterhead.html",
                  {"group": group, "form": form, "can_change": can_change}, status=status)


@login_required
@require_safe
def group_logo(request, slug):
    """The logo, for members' eyes; an SVG (sanitised when stored) is still served so that it runs nothing."""
    group = get_for_user(Group, request.user, slug=slug)
    if not group.logo:
        raise Http404("This group has no logo.")
    try:
        handle = group.logo.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The logo is missing from storage.") from exc
    response = FileResponse(handle, content_type=group.logo_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response

from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts import services
from accounts.context_processors import remember_active_group
from accounts.filters import AuditEntryFilterSet
from accounts.forms import (
    AcceptInvitationForm,
    AlertTitlesForm,
    ApiTokenForm,
    ChangeRoleForm,
    InviteMemberForm,
    SharingListingForm,
    TwoFactorPolicyForm,
)
from accounts.models import ApiToken, AuditEntry, Group, Invitation, Membership, Role, WorkerCheck
from accounts.permissions import Action, actions_of, can, role_in
from accounts.scoping import get_for_user, get_for_writer
from accounts.signin import SECOND_FACTORS, account_with_address_exists


@require_POST
def set_language(request):
    """
    The language switcher: Django's set_language (the cookie, then back to `next`), and for a signed-in person
    their saved language too, so that e-mails and other devices follow it (accounts.languages).
    """
    response = i18n.set_language(request)
    if request.user.is_authenticated:
        request.user.save_language(request.POST.get("language", ""))
    return response


@login_required
@require_safe
def group_dashboard(request, slug):
    group = get_for_user(Group, request.user, slug=slug)
    remember_active_group(request, group)
    role = role_in(request.user, group)
    return render(
        request,
        "accounts/group_dashboard.html",
        {"group": group, "role": role, "abilities": actions_of(role), "member_count": group.memberships.count()},
    )


@login_required
@require_POST
def switch_group(request):
    group = get_for_user(Group, request.user, pk=request.POST.get("group"))
    remember_active_group(request, group)
    return redirect(group)


def _member_page(request, group, invite_form=None, status=200):
    is_coordinator = can(request.user, Action.MANAGE_MEMBERS, group)
    memberships = Membership.objects.visible_to(request.user).filter(group=group).select_related("user")
    if is_coordinator:
        # Whether each member has a second factor, for coordinators deciding whether to require one.
        memberships = memberships.annotate(has_second_factor=Exists(
            Authenticator.objects.filter(user=OuterRef("user"), type__in=SECOND_FACTORS)))
    invitations = Invitation.objects.visible_to(request.user).filter(group=group, accepted_at__isnull=True)
    return render(
        request,
        "accounts/member_list.html",
        {
            "group": group,
            "memberships": memberships.order_by("user__username"),
            "invitations": invitations if is_coordinator else [],
            "can_manage": is_coordinator,
            "invite_form": invite_form or InviteMemberForm(),
            "two_factor_form": TwoFactorPolicyForm(initial={"requires_two_factor": group.requires_two_factor}),
            "sharing_form": SharingListingForm(initial={"listed_for_sharing": group.listed_for_sharing}),
            "alert_titles_form": AlertTitlesForm(initial={"alert_titles_shown": group.alert_titles_shown}),
            "roles": Role.choices,
        },
        status=status,
    )


@login_required
@require_safe
def member_list(request, slug):
    group = get_for_user(Group, request.user, slug=slug)
    return _member_page(request, group)


@login_required
@require_POST
def member_invite(request, slug):
    group = get_for_writer(Group, request.user, Action.MANAGE_MEMBERS, slug=slug)
    form = InviteMemberForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invite_member(group, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(request, _("An invitation was e-mailed to %(email)s.") % {"email": invitation.email})
            return redirect("member-list", group.slug)
    return _member_page(request, group, invite_form=form, status=400)


@login_required
@require_POST
def member_change_role(request, pk):
    membership = get_for_writer(Membership, request.user, Action.MANAGE_MEMBERS, pk=pk)
    form = ChangeRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the listed roles."))
    else:
        try:
            services.change_role(membership, role=form.cleaned_data["role"], actor=request.user)
            messages.success(request, _("%(username)s is now %(role)s.") % {
                "username": membership.user.username, "role": Role(form.cleaned_data["role"]).label.lower()})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("member-list", membership.group.slug)


@login_required
@require_POST
def member_remove(request, pk):
    membership = get_for_writer(Membership, request.user, Action.MANAGE_MEMBERS, pk=pk)
    try:
        services.remove_member(membership, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("member-list", membership.group.slug)
    messages.success(request, _("%(username)s was removed from %(group)s.") % {
        "username": membership.user.username, "group": membership.group})
    if membership.user_id == request.user.pk:
        return redirect("home")  # they left the group, so its pages are no longer theirs to see
    return redirect("member-list", membership.group.slug)


@login_required
@require_POST
def invitation_revoke(request, pk):
    invitation = get_for_writer(Invitation, request.user, Action.MANAGE_MEMBERS, pk=pk)
    services.revoke_invitation(invitation, actor=request.user)
    messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("member-list", invitation.group.slug)


def _open_invitation(request, token):
    """The invitation behind a link and the page to answer with, unless it cannot be answered (410, or 403 to
    another signed-in account)."""
    invitation = get_object_or_404(Invitation.objects.select_related("group"), token=token)
    if not invitation.is_open:
        return invitation, render(request, "accounts/invitation_closed.html", {"invitation": invitation}, status=410)
    try:
        services.ensure_addressee(invitation, request.user)
    except PermissionDenied as exc:
        return invitation, render(request, "accounts/invitation_accept.html",
                                  {"invitation": invitation, "refusal": exc}, status=403)
    return invitation, None


def invitation_accept(request, token):
    # The token is the secret sent to the address: signed out, whoever holds the link answers for the address;
    # signed in, only an account whose own verified address it is (services.ensure_addressee).
    invitation, refused = _open_invitation(request, token)
    if refused:
        return refused
    # Someone whose address has an account joins as that account, signed in, rather than making a second one.
    # This tells the holder of the link, that is the owner of the mailbox, nothing they do not know.
    sign_in_first = not request.user.is_authenticated and account_with_address_exists(invitation.email)
    form = None
    if request.method == "POST":
        if sign_in_first:
            return redirect_to_login(request.get_full_path())
        if request.user.is_authenticated:
            user = request.user
        else:
            form = AcceptInvitationForm(request.POST)
            if not form.is_valid():
                return render(request, "accounts/invitation_accept.html",
                              {"invitation": invitation, "form": form}, status=400)
            user = form.save(commit=False)
            user.email = invitation.email
            user.save()
            # The link reached this address: it is proven, for the invitations it will receive later.
            EmailAddress.objects.create(user=user, email=invitation.email, verified=True, primary=True)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        services.accept_invitation(invitation, user=user)
        remember_active_group(request, invitation.group)
        messages.success(request, _("Welcome to %(group)s.") % {"group": invitation.group})
        return redirect(invitation.group)
    if not request.user.is_authenticated and not sign_in_first:
        form = AcceptInvitationForm()
    return render(request, "accounts/invitation_accept.html",
                  {"invitation": invitation, "form": form, "sign_in_first": sign_in_first,
                   "login_url": f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"})


@require_POST
def invitation_decline(request, token):
    invitation, refused = _open_invitation(request, token)
    if refused:
        return refused
    services.decline_invitation(invitation, user=request.user)
    messages.success(request, _("You declined the invitation to %(group)s.") % {"group": invitation.group})
    return redirect("home" if request.user.is_authenticated else "login")


@login_required
@require_POST
def group_leave(request, slug):
    # One's own membership only (anyone else's is a 404), also in a group whose second factor one still owes:
    # leaving takes nothing away from the group and must not wait for it.
    membership = get_object_or_404(Membership.objects.select_related("group"), user=request.user, group__slug=slug)
    try:
        services.leave_group(membership, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(membership.group)
    messages.success(request, _("You left %(group)s.") % {"group": membership.group})
    return redirect("home")


@login_required
def worker_check_list(request, slug):
    group = get_for_writer(Group, request.user, Action.CHECK_WORKER, slug=slug)
    if request.method == "POST":
        check = services.request_worker_check(group, actor=request.user)
        return redirect(check)
    checks = WorkerCheck.objects.visible_to(request.user).filter(group=group).select_related("requested_by")[:20]
    return render(request, "accounts/worker_check_list.html", {"group": group, "checks": checks})


@login_required
@require_safe
def worker_check_detail(request, pk):
    check = get_for_user(WorkerCheck.objects.select_related("group"), request.user, pk=pk)
    template = "includes/_job_status.html" if request.htmx else "accounts/worker_check_detail.html"
    return render(request, template, {"job": check, "check": check, "group": check.group})


@login_required
@require_POST
def group_two_factor(request, slug):
    group = get_for_writer(Group, request.user, Action.MANAGE_MEMBERS, slug=slug)
    form = TwoFactorPolicyForm(request.POST)
    form.is_valid()  # a checkbox: anything but "on" means off
    required = form.cleaned_data.get("requires_two_factor", False)
    try:
        services.set_two_factor_requirement(group, required=required, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("member-list", group.slug)
    if required:
        messages.success(request, _("Every member now needs two-factor sign-in; those without it will be asked to "
                                    "set it up."))
    else:
        messages.success(request, _("Two-factor sign-in is no longer required in this group."))
    return redirect("member-list", group.slug)


@login_required
@require_POST
def group_sharing(request, slug):
    group = get_for_writer(Group, request.user, Action.MANAGE_MEMBERS, slug=slug)
    form = SharingListingForm(request.POST)
    form.is_valid()  # a checkbox: anything but "on" means off
    listed = form.cleaned_data.get("listed_for_sharing", False)
    services.set_listed_for_sharing(group, listed=listed, actor=request.user)
    if listed:
        messages.success(request, _("Other groups' coordinators now see this group among the groups they can "
                                    "share evidence with."))
    else:
        messages.success(request, _("This group is no longer listed; other groups cannot share evidence with it."))
    return redirect("member-list", group.slug)


@login_required
@require_POST
def group_alert_titles(request, slug):
    group = get_for_writer(Group, request.user, Action.MANAGE_MEMBERS, slug=slug)
    form = AlertTitlesForm(request.POST)
    form.is_valid()  # a checkbox: anything but "on" means off
    shown = form.cleaned_data.get("alert_titles_shown", False)
    services.set_alert_titles_shown(group, shown=shown, actor=request.user)
    if shown:
        messages.success(request, _("Saved-search alerts now give the titles of this group's records."))
    else:
        messages.success(request, _("Saved-search alerts now give only a count and links for this group's records."))
    return redirect("member-list", group.slug)


AUDIT_PAGE_SIZE = 50


def _audit_entries(request, slug):
    """The group (404 to other groups, 403 to members who are not coordinators) and its filtered entries."""
    group = get_for_writer(Group, request.user, Action.VIEW_AUDIT, slug=slug)
    entries = AuditEntry.objects.visible_to(request.user).filter(group=group).select_related("actor")
    filterset = AuditEntryFilterSet(request.GET, queryset=entries.order_by("-created_at", "-pk"), group=group)
    return group, filterset


@login_required
def audit_log(request, slug):
    group, filterset = _audit_entries(request, slug)
    page = Paginator(filterset.qs, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html",
                  {"group": group, "filter": filterset, "page_obj": page, "entries": page.object_list})


@login_required
def audit_export(request, slug):
    group, filterset = _audit_entries(request, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{group.slug}-audit.csv"'
    response["Cache-Control"] = "private, no-store"
    services.export_audit_log(group, filterset.qs, actor=request.user, out=response)
    return response


#
# The signed-in person's own API tokens
#


@login_required
@never_cache  # the answer to a POST holds a key that is shown once: no copy in any cache
def api_token_list(request):
    form, new_key, status = ApiTokenForm(request.POST or None), None, 200
    if request.method == "POST":
        if form.is_valid():
            _token, new_key = services.create_api_token(request.user, name=form.cleaned_data["name"],
                                                        actor=request.user)
            form = ApiTokenForm()
        else:
            status = 400
    tokens = ApiToken.objects.live().filter(user=request.user)
    return render(request, "accounts/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key},
                  status=status)


@login_required
@never_cache  # the answer to a POST holds an address with a key that is shown once
def calendar_settings(request):
    """The person's private calendar address: make one (which ends the one before) or turn it off."""
    user, new_key = request.user, None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "new":
            new_key = services.new_calendar_key(user, actor=user)
        elif action == "end":
            services.end_calendar_feed(user, actor=user)
            messages.success(request, _("Your calendar address was turned off."))
            return redirect("calendar-settings")
        else:
            return HttpResponseBadRequest(_("Choose to make a new address or to turn the feed off."))
    feed_url = services.calendar_feed_url(new_key) if new_key else None
    return render(request, "accounts/calendar_settings.html", {
        "feed_url": feed_url, "has_feed": bool(user.calendar_key_digest)})


@login_required
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)
    services.revoke_api_token(token, actor=request.user)
    messages.success(request, _("The API token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api-token-list")

"""
The mailbox's pages: its connection under the group's settings (coordinators), and the inbox (campaigners): the
messages waiting in triage, and the replies filed lately with the move each proposes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.forms import add_service_errors
from accounts.models import Group
from accounts.permissions import Action, can
from accounts.scoping import get_for_writer
from campaigns.mailbox import secrets, services
from campaigns.mailbox.filing import proposed_status
from campaigns.mailbox.forms import FileMessageForm, MailboxForm
from campaigns.mailbox.models import InboundMessage, Mailbox, MailFetch
from campaigns.models import Target

PAGE_SIZE = 50
FILED_SHOWN = 20


def _mailbox_page(request, group, form, status=200):
    mailbox = getattr(form.instance, "pk", None) and form.instance
    fetches = MailFetch.objects.filter(mailbox=mailbox)[:10] if mailbox else []
    return render(request, "campaigns/mailbox/settings.html", {
        "group": group, "form": form, "mailbox": mailbox, "fetches": fetches, "key_problem": secrets.key_problem(),
    }, status=status)


@login_required
def mailbox_settings(request, slug):
    group = get_for_writer(Group, request.user, Action.MANAGE_MEMBERS, slug=slug)
    mailbox = Mailbox.objects.filter(group=group).first()
    if request.method != "POST":
        return _mailbox_page(request, group, MailboxForm(instance=mailbox))
    form = MailboxForm(request.POST, instance=mailbox or Mailbox(group=group))
    if form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name != "password"}
        try:
            services.connect_mailbox(group, actor=request.user, password=form.cleaned_data["password"], **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The mailbox is connected; new mail is fetched every few minutes."))
            return redirect("mailbox-settings", slug=group.slug)
    if mailbox is None:
        form.instance = Mailbox(group=group)
    return _mailbox_page(request, group, form, status=400)


def _group_mailbox(request, slug):
    group = get_for_writer(Group, request.user, Action.MANAGE_MEMBERS, slug=slug)
    mailbox = Mailbox.objects.filter(group=group).first()
    if mailbox is None:
        messages.error(request, _("This group has no mailbox connected."))
    return group, mailbox


@login_required
@require_POST
def mailbox_fetch(request, slug):
    group, mailbox = _group_mailbox(request, slug)
    if mailbox is not None:
        try:
            services.request_fetch(mailbox, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The mailbox is being fetched."))
    return redirect("mailbox-settings", slug=group.slug)


@login_required
@require_POST
def mailbox_disconnect(request, slug):
    group, mailbox = _group_mailbox(request, slug)
    if mailbox is not None:
        services.disconnect_mailbox(mailbox, actor=request.user)
        messages.success(request, _("The mailbox was disconnected and its password forgotten."))
    return redirect("mailbox-settings", slug=group.slug)


@login_required
@require_safe
def inbox(request, slug):
    group = get_for_writer(Group, request.user, Action.MANAGE_CAMPAIGNS, slug=slug)
    visible = InboundMessage.objects.visible_to(request.user).filter(group=group)
    triage = Paginator(visible.filter(status=InboundMessage.Status.TRIAGE), PAGE_SIZE).get_page(
        request.GET.get("page"))
    filed = list(visible.filter(status=InboundMessage.Status.FILED)
                 .select_related("interaction__target__institution", "interaction__target__campaign")[:FILED_SHOWN])
    for message in filed:
        target = message.interaction.target if message.interaction else None
        message.proposal = proposed_status(target) if target else None
        message.proposal_label = Target.Status(message.proposal).label if message.proposal else ""
    return render(request, "campaigns/mailbox/inbox.html", {
        "group": group, "page_obj": triage, "filed": filed,
        "can_manage_mailbox": can(request.user, Action.MANAGE_MEMBERS, group),
    })


def _message_for_campaigner(request, pk):
    return get_for_writer(InboundMessage.objects.select_related("group"), request.user, Action.MANAGE_CAMPAIGNS,
                          pk=pk)


def _targets_for(message, user):
    return (Target.objects.visible_to(user).filter(campaign__group=message.group)
            .select_related("institution", "campaign").order_by("institution__name", "campaign__title"))


def _message_page(request, message, form=None, status=200):
    form = form or FileMessageForm(targets=_targets_for(message, request.user))
    return render(request, "campaigns/mailbox/message.html", {
        "message": message, "group": message.group, "form": form,
        "candidates": message.candidates.visible_to(request.user).select_related("institution", "campaign"),
    }, status=status)


@login_required
@require_safe
def inbound_message_detail(request, pk):
    return _message_page(request, _message_for_campaigner(request, pk))


@login_required
@require_POST
def inbound_message_file(request, pk):
    message = _message_for_campaigner(request, pk)
    form = FileMessageForm(request.POST, targets=_targets_for(message, request.user))
    if form.is_valid():
        try:
            interaction = services.file_message(message, actor=request.user, target=form.cleaned_data["target"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The message was filed on %(name)s.") % {
                "name": interaction.target.institution.name})
            return redirect(interaction.target)
    return _message_page(request, message, form, status=400)


@login_required
@require_POST
def inbound_message_discard(request, pk):
    message = _message_for_campaigner(request, pk)
    try:
        services.discard_message(message, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The message was discarded."))
    return redirect(reverse("mailbox-inbox", args=[message.group.slug]))

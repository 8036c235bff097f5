"""
A record's page: what the viewer may see of it (evidence/disclosure.py decides), its history for its own group,
and the buttons of the steps the viewer's role allows. Also the record helpers the other record pages share.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts.audit import history_of
from accounts.comment_views import CommentForm, comment_rows
from accounts.forms import add_service_errors
from accounts.permissions import Action, can
from accounts.scoping import get_for_user
from evidence import disclosure
from evidence.capture import services
from evidence.capture.queries import latest_captures
from evidence.forms.attachments import AttachmentForm
from evidence.forms.records import EvidenceRecordForm, RejectForm, ShareForm
from evidence.models import Attachment, EvidenceRecord
from evidence.near_duplicates import describe, near_duplicates_of
from evidence.services import publicity, records
from evidence.views.common import HISTORY_LIMIT, web_link


def record_queryset():
    return (EvidenceRecord.objects.for_list()
            .select_related("submitted_by", "decided_by", "created_by")
            # The sources' group: whether each may be captured asks if the group captures sources.
            .prefetch_related("recommendations__report", "rights", "citations__source__group"))


_RECORD_ACTIONS = {
    "evidence.created": gettext_lazy("Logged"),
    "evidence.updated": gettext_lazy("Edited"),
    "evidence.submit": gettext_lazy("Submitted for verification"),
    "evidence.verify": gettext_lazy("Verified"),
    "evidence.reject": gettext_lazy("Rejected"),
    "evidence.reopen": gettext_lazy("Reopened"),
    "evidence.shared": gettext_lazy("Sharing changed"),
    "evidence.public": gettext_lazy("Made public"),
    "evidence.unpublic": gettext_lazy("No longer public"),
    "evidence.attachment_added": gettext_lazy("File attached"),
}


def record_field_label(name):
    if name in EvidenceRecordForm.Meta.labels:  # the models' own names are English only
        return str(EvidenceRecordForm.Meta.labels[name])
    try:
        field = EvidenceRecord._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    return str(getattr(field, "verbose_name", name.replace("_", " ")))


def _record_history(record):
    """The record's history for members of its group (never for receivers of a shared copy), newest first."""
    rows = []
    for entry in history_of(record)[:HISTORY_LIMIT]:
        after = entry.after or {}
        changes = ""
        if entry.action == "evidence.updated":
            changes = ", ".join(record_field_label(name) for name in after)
        elif entry.action == "evidence.shared":
            everyone = after.get("shared_with_everyone")
            changes = (_("every group") if everyone
                       else ", ".join(after.get("shared_with") or []) or _("no longer shared"))
        elif entry.action == "evidence.attachment_added":
            changes = str(after.get("attachment", ""))
        rows.append({"when": entry.created_at, "action": _RECORD_ACTIONS.get(entry.action, entry.action),
                     "changes": changes,
                     "editor": entry.actor.username if entry.actor_id else _("an account since deleted")})
    return rows


def _citation_rows(shown, user, *, own):
    # Captures are files: shown to the record's own group only, like its attachments (evidence/disclosure.py).
    captures = latest_captures(user, [row.source for row in shown.citations]) if own else {}
    return [{"citation": row.citation, "source": row.source, "url": web_link(row.source.url),
             "archive_url": web_link(row.source.archive_url), "translator": row.translator,
             "capture": captures.get(row.source.pk),
             "may_capture": own and not services.why_not_captured(row.source)}
            for row in shown.citations]


def _attachments_with_near_duplicates(user, record):
    attachments = list(Attachment.objects.visible_to(user).filter(record=record))
    found = near_duplicates_of(attachments)  # all the record's pictures at once, not a lookup each
    for attachment in attachments:
        attachment.near_duplicates = [describe(row) for _gap, row in found[(Attachment, attachment.pk)]]
    return attachments
def _comments_context(user, record, shown):
    """The group's comments, for its own members only (disclosure: RecordShown.comments)."""
    if not shown.comments:
        return {"show_comments": False}
    may_write = can(user, Action.COMMENT, record.group)
    return {
        "show_comments": True,
        "comments": comment_rows(record, user),
        "comment_url": reverse("evidence-comment-create", args=[record.pk]) if may_write else "",
        "comment_form": CommentForm() if may_write else None,
    }


def _detail_record_page(request, record):
    user = request.user
    shown = disclosure.disclose(disclosure.viewer_of(user), record)
    shared_copy = shown.shared_copy
    Status = EvidenceRecord.Status
    can_log = can(user, Action.LOG_EVIDENCE, record.group)
    can_verify = can(user, Action.VERIFY_EVIDENCE, record.group)
    can_share = can(user, Action.SHARE_EVIDENCE, record.group) and record.status == Status.VERIFIED \
        and not record.protected
    context = {
        "record": record,
        "shared_copy": shared_copy,
        "citations": _citation_rows(shown, user, own=shown.files),
        "institution_links": shown.institution_links,
        "tags": shown.tags,
        "submitted_by": shown.submitted_by,
        "decided_by": shown.decided_by,
        "created_by": shown.created_by,
        "verifiers": shown.verifiers,
        "can_submit": can_log and record.status in records.STEPS["submit"],
        # The two-person rule: the person who submitted a record is not offered its verification.
        "can_decide": can_verify and record.status == Status.SUBMITTED and record.submitted_by_id != user.pk,
        "can_reopen": can_verify and record.status in records.STEPS["reopen"],
        "can_edit": can_log and record.status != Status.VERIFIED,
        "can_delete": not shared_copy and records.may_delete(record, user),
        "upload_form": AttachmentForm() if can_log and record.status != EvidenceRecord.Status.VERIFIED else None,
        "share_form": ShareForm(record=record, user=user, initial={
            "groups": list(record.shared_with.all()), "everyone": record.shared_with_everyone,
        }) if can_share else None,
        # Offered while it may be marked, and to unmark a record that is (the mark outlives nothing else).
        "can_mark_public": can(user, Action.PUBLISH, record.group) and not shared_copy and (
            record.marked_public or not publicity.public_refusal(record)),
        "reject_form": RejectForm(),
        "attachments": _attachments_with_near_duplicates(user, record) if shown.files else [],
        "can_capture": can_log and record.group.captures_sources,
        "history": _record_history(record) if shown.history else [],
        **_comments_context(user, record, shown),
    }
    return render(request, "evidence/record_detail.html", context)


@login_required
@require_safe
def evidence_detail(request, pk):
    return _detail_record_page(request, get_for_user(record_queryset(), request.user, pk=pk))


def add_record_errors(form, exc):
    add_service_errors(form, exc, label_of=record_field_label)

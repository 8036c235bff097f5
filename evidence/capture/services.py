"""
The verbs of source capture: a coordinator turns it on or off for the group; a source is captured when it is
logged (if the group captures), or when a member who logs evidence asks; a failed capture is retried. Protected
sources are never captured: fetching a page tells its owner that someone is watching.

A source marked protected later keeps the captures already stored (they are the group's own files, shown to its
members only, like its other files), but a capture still waiting or running is failed at once, and the worker
checks again before it fetches.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts.audit import record_change
from accounts.permissions import Action, ensure_can
from accounts.services import set_group_flag
from accounts.stored_text import stored
from evidence.models import SourceCapture

PROTECTED_LATER = gettext_noop("The source was marked protected: protected sources are never fetched.")


@transaction.atomic
def set_source_capture(group, *, enabled, actor):
    """Turn the capture of the group's newly logged sources on or off; a coordinator's choice, written to the log."""
    return set_group_flag(group, "captures_sources", enabled, actor=actor)


def why_not_captured(source):
    """Why `source` cannot be captured now ('' when it can)."""
    if source.protected:
        return _("Protected sources are never captured: fetching the page would tell its owner someone is watching.")
    if not source.url:
        return _("This source has no web address to capture.")
    if not source.group.captures_sources:
        return _("Your group does not capture sources; a coordinator can turn it on in the group's settings.")
    return ""


@transaction.atomic
def request_capture(source, *, actor):
    """
    Queue a capture of `source`'s page, sent to the worker once the transaction commits (never blocking the save
    of the source). A capture already waiting or running is returned instead of a second one.
    """
    ensure_can(actor, Action.LOG_EVIDENCE, source.group)
    reason = why_not_captured(source)
    if reason:
        raise ValidationError(reason)
    pending = SourceCapture.objects.filter(source=source, status__in=SourceCapture.active_statuses()).first()
    if pending is not None:
        return pending
    capture = SourceCapture.objects.create(group=source.group, source=source, url=source.url, requested_by=actor)
    record_change(actor=actor, obj=source, action="source.capture_requested", after={"url": source.url})
    from evidence.tasks import capture_source

    capture.enqueue(capture_source)
    return capture


def capture_if_wanted(source, *, actor):
    """On logging a source: capture it if its group captures and it may be captured; never refuses the source."""
    if not why_not_captured(source):
        request_capture(source, actor=actor)


@transaction.atomic
def retry_capture(capture, *, actor):
    """Queue a failed capture again (the source may since have been protected: then it is refused)."""
    ensure_can(actor, Action.LOG_EVIDENCE, capture.group)
    reason = why_not_captured(capture.source)
    if reason:
        raise ValidationError(reason)
    from evidence.tasks import capture_source

    if capture.retry(capture_source):
        record_change(actor=actor, obj=capture.source, action="source.capture_retried", after={"url": capture.url})
    return capture


def stop_captures_of_protected(source):
    """A source just marked protected: its waiting or running captures fail now (the worker checks again too)."""
    for pk in SourceCapture.objects.filter(source=source, status__in=SourceCapture.active_statuses()).values_list(
            "pk", flat=True):
        SourceCapture.fail(pk, stored(PROTECTED_LATER))


def send_new_captures(captures):
    """
    Send captures made in bulk (the spreadsheet import, evidence.imports.saving) to the worker once the
    transaction commits, as request_capture sends one.
    """
    from evidence.tasks import capture_source

    for capture in captures:
        capture.enqueue(capture_source)

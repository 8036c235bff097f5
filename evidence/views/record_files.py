"""
A record's files: uploaded by members who log evidence (evidence/services/attachments.py checks the content)
and downloaded by its own group's members only, each download written to the audit log.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.files import serve
from accounts.permissions import Action
from accounts.scoping import get_for_user, get_for_writer
from config.api import UploadRateThrottle
from config.limits import request_limits
from config.storage import STORAGE_DOWN, StorageUnavailable
from evidence.forms.attachments import AttachmentForm
from evidence.models import Attachment, EvidenceRecord
from evidence.near_duplicates import describe
from evidence.services import attachments


@login_required
@require_POST
@request_limits(throttle=UploadRateThrottle)
def attachment_upload(request, pk):
    record = get_for_writer(EvidenceRecord.objects.all(), request.user, Action.LOG_EVIDENCE, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect(record)
    try:
        attachment = attachments.add_attachment(record, actor=request.user, uploaded_file=form.cleaned_data["file"])
    except ValidationError as exc:
        messages.error(request, _("The file was not attached: %(reason)s") % {"reason": " ".join(exc.messages)})
    except StorageUnavailable:
        messages.error(request, STORAGE_DOWN)
    else:
        messages.success(request, _("%(name)s was attached.") % {"name": attachment.original_name})
        if attachment.duplicates:
            titles = ", ".join(dict.fromkeys(f"“{other.record.title}”" for other in attachment.duplicates))
            messages.warning(request, _("Your group already had this file, attached to %(titles)s.")
                             % {"titles": titles})
        if attachment.near_duplicates:
            titles = ", ".join(dict.fromkeys(f"“{describe(row)['title']}”" for _gap, row in attachment.near_duplicates))
            messages.warning(request, _("This picture looks like one your group already has, in %(titles)s (see "
                                        "the file list).") % {"titles": titles})
    return redirect(record)


@login_required
@require_safe
def attachment_download(request, pk):
    # Attachment.objects.visible_to is the group's own members: receivers of a shared copy get no files.
    attachment = get_for_user(Attachment.objects.all(), request.user, pk=pk)
    return serve(attachment, actor=request.user)

"""A file to attach to a record."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


class AttachmentForm(forms.Form):
    """A file for a record; evidence.services.attachments.add_attachment decides whether its content is accepted."""

    file = forms.FileField(label=_("Add a file"), allow_empty_file=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A PDF, an image, an office document or plain text, up to %(size)s. Only your group's members can "
            "download it.") % {"size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}

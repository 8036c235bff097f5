from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.mailbox.models import Mailbox
from campaigns.models import Target


class MailboxForm(forms.ModelForm):
    """The connection of a group's mailbox. The password is never shown again: empty keeps the stored one."""

    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=993,
                              help_text=_("IMAP over TLS; usually 993."))
    password = forms.CharField(label=_("Password"), required=False, max_length=500,
                               widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))

    class Meta:
        model = Mailbox
        fields = ["host", "port", "username", "password", "folder", "address"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["password"].help_text = _("A password is set. Leave this empty to keep it, or type a new one.")
        else:
            self.fields["password"].required = True

    def _post_clean(self):
        pass  # the service validates and saves


class FileMessageForm(forms.Form):
    """File a message from triage on one of the group's targets (its candidates first)."""

    target = forms.ModelChoiceField(queryset=Target.objects.none(), label=_("File on the target"))

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = targets
        self.fields["target"].label_from_instance = (
            lambda target: f"{target.institution.name} — {target.campaign.title}")

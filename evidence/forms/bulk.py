"""The bulk change of the evidence list: which records, and what to do to them."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Group
from accounts.permissions import roles_by_group
from accounts.scoping import LARGEST_ID
from evidence import bulk
from evidence.services.bulk import TAG_MAX_LENGTH, BulkAction


class RecordIdsField(forms.Field):
    """The ids of the ticked records; the view keeps to the ones the user can see."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            ids = sorted({int(pk) for pk in value or ()})
        except (TypeError, ValueError):
            raise ValidationError(_("Tick records from the list.")) from None
        if any(not 0 < pk <= LARGEST_ID for pk in ids):
            raise ValidationError(_("Tick records from the list."))
        return ids


class BulkActionForm(forms.Form):
    """One change for the records ticked in the evidence list, or for every record its filters match."""

    SCOPES = [("selected", _("The records I ticked")), ("all", _("Every record matching the filters"))]

    action = forms.ChoiceField(choices=[("", _("Choose an action"))] + BulkAction.choices, label=_("Action"))
    scope = forms.ChoiceField(choices=SCOPES, initial="selected", widget=forms.RadioSelect, label=_("Apply to"))
    records = RecordIdsField(required=False)
    tag = forms.CharField(required=False, max_length=TAG_MAX_LENGTH, label=_("Tag"),
                          help_text=_("For adding or removing a tag."))
    groups = forms.ModelMultipleChoiceField(queryset=Group.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple, label=_("Share with these groups"))
    everyone = forms.BooleanField(required=False, label=_("Share with every group on the site"))
    filters = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        bulk.add_form_fields(self, user)  # actions other apps provide, e.g. adding to a campaign target
        # Only groups listed for sharing and the user's own: never every group on the site. Records are never
        # shared with their own group, so a member of one group is not offered it; a member of several may
        # still share one group's records with another of theirs.
        partners = Group.objects.share_partners(user)
        own = list(roles_by_group(user))  # read once per request already, so no query of its own
        if len(own) == 1:
            partners = partners.exclude(pk__in=own)
        self.fields["groups"].queryset = partners.only("pk", "name")

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in (BulkAction.TAG, BulkAction.UNTAG) and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Give the tag to add or remove."))
        if action == BulkAction.SHARE and not (data.get("groups") or data.get("everyone")):
            self.add_error("groups", _("Choose the groups to share with, or every group."))
        for name, message in bulk.missing_inputs(action, data).items():
            self.add_error(name, message)
        if "records" in self.errors:
            # The ticks are hidden inputs of this form, whose errors a page does not show beside a field.
            self.add_error(None, self.errors.pop("records"))
        elif data.get("scope") == "selected" and not data.get("records"):
            self.add_error("scope", _("Tick the records to change, or choose every record matching the filters."))
        return data

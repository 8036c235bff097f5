"""The evidence list's "Add to a campaign target", a bulk action campaigns provides (evidence.bulk)."""

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.api.fields import VisibleField
from accounts.permissions import Action
from campaigns.models import Target
from campaigns.services import add_evidence_to_target
from evidence.bulk import BulkOutcome, ProvidedAction


def _target_form_fields(user):
    field = forms.ModelChoiceField(
        # Only what the labels show: whole targets, campaigns and institutions took 6 ms of each evidence list
        # page for 70 targets.
        queryset=Target.objects.writable_by(user, Action.MANAGE_CAMPAIGNS)
        .select_related("campaign", "institution").order_by("campaign__title", "institution__name")
        .only("campaign__title", "institution__name"),
        required=False, label=_("Campaign target"), help_text=_("For adding to a campaign target."), empty_label="—")
    field.label_from_instance = lambda target: f"{target.campaign.title}: {target.institution}"
    return {"target": field}


def _target_api_fields():
    return {"target": VisibleField(Target, required=False, allow_null=True, default=None,
                                   help_text="For add_to_target: the id of a campaign target of your groups.")}


def _add_to_target(records, *, actor, target):
    """Every record the actor can see, shared copies included: other groups share records so they can be cited."""
    with transaction.atomic():
        added = add_evidence_to_target(actor=actor, target=target, records=records)
    return BulkOutcome(changed=added, unchanged=len(set(records)) - added)


ADD_TO_TARGET = ProvidedAction(
    name="add_to_target", label=_("Add to a campaign target"), fields=("target",),
    form_fields=_target_form_fields, api_fields=_target_api_fields, perform=_add_to_target,
    required={"target": _("Choose the campaign target to add the records to.")},
)

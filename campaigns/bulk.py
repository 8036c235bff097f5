"""The evidence list's "Add to a campaign target", a bulk action campaigns provides (evidence.bulk)."""

from django import forms
from django.db import transaction
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.utils.translation import gettext_lazy as _

from accounts.api.fields import VisibleField
from accounts.permissions import Action
from campaigns.models import Target
from campaigns.services import add_evidence_to_target
from evidence.bulk import BulkOutcome, ProvidedAction


class _TargetLabels(ModelChoiceIterator):
    """
    The choices read as plain values (id, campaign title, institution name) in one query: model objects for 70
    targets, their campaigns and institutions, read through a server-side cursor, took 3.7 ms of every evidence
    list page's CPU. The field still checks a submitted target against its queryset.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, campaign, institution in self.queryset.values_list("pk", "campaign__title", "institution__name"):
            yield ModelChoiceIteratorValue(pk, None), f"{campaign}: {institution}"


class _TargetField(forms.ModelChoiceField):
    iterator = _TargetLabels


def _target_form_fields(user):
    field = _TargetField(
        queryset=Target.objects.writable_by(user, Action.MANAGE_CAMPAIGNS).order_by("campaign__title",
                                                                                   "institution__name"),
        required=False, label=_("Campaign target"), help_text=_("For adding to a campaign target."), empty_label="—")
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

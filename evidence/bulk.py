"""
Bulk actions on evidence records that other apps provide. Evidence's own bulk changes (tag, untag, submit, share)
live with the record verbs; an app above evidence (campaigns: "add to a campaign target") plugs its action in here
from its AppConfig.ready(), so that evidence never imports it: the list page's form, the API's serializer and
records.bulk_change ask this registry instead.

An action names the extra fields it needs (a form field for the page, a serializer field for the API, both
limited to what the user may use), which of them must be given, and the function that performs it on the
records and returns a BulkOutcome.
"""

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext


@dataclass
class BulkOutcome:
    """What one bulk change did: how many records changed, were already so, or were refused and why."""

    changed: int = 0
    unchanged: int = 0
    refused: Counter = field(default_factory=Counter)

    def summary(self):
        parts = [ngettext("%(count)s record changed", "%(count)s records changed", self.changed)
                 % {"count": self.changed}]
        if self.unchanged:
            parts.append(gettext("%(count)s already so") % {"count": self.unchanged})
        parts += [gettext("%(count)s not changed: %(reason)s") % {"count": count, "reason": reason}
                  for reason, count in self.refused.most_common()]
        return gettext("; ").join(parts) + gettext(".")


@dataclass(frozen=True)
class ProvidedAction:
    """A bulk action another app provides."""

    name: str  # the value of the "action" choice
    label: str  # shown in the choice (lazy translation)
    fields: tuple  # names of its extra inputs
    form_fields: Callable  # form_fields(user) -> {name: django form field}, choices limited to the user's
    api_fields: Callable  # api_fields() -> {name: DRF serializer field}, limited through the request
    perform: Callable  # perform(records, *, actor, **inputs) -> BulkOutcome; may raise ValidationError
    required: Mapping = field(default_factory=dict)  # {input name: message when it is missing}


_registry: dict[str, ProvidedAction] = {}


def register(action):
    _registry[action.name] = action


def provided(name):
    """The provided action called `name`, or None (one of evidence's own, or unknown)."""
    return _registry.get(name)


def choices():
    return [(action.name, action.label) for action in _registry.values()]


def add_form_fields(form, user):
    """Add the provided actions to a bulk form's "action" choices, and their inputs as fields (before "filters")."""
    form.fields["action"].choices = [*form.fields["action"].choices, *choices()]
    for action in _registry.values():
        form.fields.update(action.form_fields(user))
    form.order_fields([name for name in form.fields if name != "filters"])


def add_api_fields(fields):
    """The same for a bulk serializer's fields (a dict, from get_fields)."""
    fields["action"].choices = [*fields["action"].choices.items(), *choices()]
    for action in _registry.values():
        fields.update(action.api_fields())
    return fields


def missing_inputs(action_name, data):
    """{input: message} for the inputs the chosen action requires and `data` lacks."""
    action = provided(action_name)
    return {name: message for name, message in (action.required.items() if action else ()) if not data.get(name)}


def inputs(data):
    """The provided actions' inputs found in a form's or serializer's cleaned data, to pass to bulk_change."""
    return {name: data.get(name) for action in _registry.values() for name in action.fields}


def perform(action_name, records, *, actor, **given):
    action = _registry[action_name]
    if missing := missing_inputs(action_name, given):
        raise ValidationError(missing)
    return action.perform(records, actor=actor, **{name: given.get(name) for name in action.fields})

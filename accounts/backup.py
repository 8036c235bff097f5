"""
What accounts contributes to a group's backup (backups.archive collects it): the group, its memberships,
invitations, worker checks and history, and the people its rows name, as plain accounts.

Nobody becomes site staff through an archive: every account is written as a plain one (no staff or superuser
flag, no site permissions or permission groups), and a restore clears those again whatever the archive says.
"""

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model

from accounts.models import AuditEntry, Group, Invitation, Membership, WorkerCheck

# What makes an account more than a member; never written to an archive nor taken from one.
SITE_POWERS = {"is_staff": False, "is_superuser": False}
SITE_POWER_RELATIONS = ("groups", "user_permissions")


def group_rows(group):
    """The group's own rows, each model after the ones it points to (the history points only at the group)."""
    yield Group.objects.filter(pk=group.pk)
    yield Membership.objects.filter(group=group)
    yield Invitation.objects.filter(group=group)
    yield WorkerCheck.objects.filter(group=group)
    yield AuditEntry.objects.filter(group=group)


def people(group, row_sets):
    """
    The members, and anyone else the group's rows name (a former member who logged a record): those without
    login. `row_sets` are the querysets of every app's group_rows; the names are read with one query each.
    """
    User = get_user_model()
    members = set(Membership.objects.filter(group=group).values_list("user_id", flat=True))
    named = set()
    for rows in row_sets:
        for model_field in rows.model._meta.concrete_fields:
            if model_field.is_relation and model_field.related_model is User:
                named.update(rows.values_list(model_field.attname, flat=True))
    named.discard(None)
    found = []
    for user in User.objects.filter(pk__in=members | named).order_by("pk"):
        if user.pk not in members:
            user.set_unusable_password()
            user.is_active, user.is_staff, user.is_superuser, user.email = False, False, False, ""
        found.append(user)
    return found


def second_factors(users):
    """The members' authenticator apps, security keys and recovery codes, so that a restore keeps them."""
    return Authenticator.objects.filter(user__in=[user for user in users if user.has_usable_password()])


def export_entry(entry):
    """An archive makes members, never staff."""
    if entry["model"] == get_user_model()._meta.label_lower:
        entry["fields"].update(SITE_POWERS, **{name: [] for name in SITE_POWER_RELATIONS})


def as_plain_account(item):
    """Clear what would make a restored account more than a member; True if the archive asked for any of it."""
    user = item.object
    asked = any(getattr(user, name) for name in SITE_POWERS) or any(
        item.m2m_data.get(name) for name in SITE_POWER_RELATIONS)
    for name, value in SITE_POWERS.items():
        setattr(user, name, value)
    for name in SITE_POWER_RELATIONS:
        item.m2m_data[name] = []
    return asked

"""
The audit log: one row per change, written by the service verb that makes it, in the same transaction. A change
to an object's fields is recorded as the difference of two to_dict() snapshots (record_diff); anything else
(a download, a share, a link) as the verb's own before/after (record_change).
"""

from accounts.models import AuditEntry
from accounts.scoping import group_of

_OWN_GROUP = object()
_THE_USER = object()


def _token_used(actor):
    """Which API token `actor` acted with, if any (accounts.api.authentication marks the user it returns)."""
    token = getattr(actor, "api_token_used", None)
    return {"via_token_id": token.pk, "via_token_name": token.name} if token is not None else {}


def record_change(*, actor, obj, action, before=None, after=None, group=_OWN_GROUP):
    """
    Write one audit row; call it inside the transaction that makes the change. The row belongs to the object's
    group; pass group=None for shared reference data such as the institution directory.
    """
    entry = audit_entry(actor=actor, obj=obj, action=action, before=before, after=after, group=group)
    entry.save(force_insert=True)
    return entry


def audit_entry(*, actor, obj, action, before=None, after=None, group=_OWN_GROUP):
    """The row record_change writes, unsaved: for a bulk_create of many in the transaction making the changes."""
    return AuditEntry(
        group=group_of(obj) if group is _OWN_GROUP else group,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        **_token_used(actor),
    )


def changed_fields(before, after):
    """
    Two to_dict() snapshots reduced to the keys whose values differ, as (before, after); `before` is None for an
    object just created, whose every key is new.
    """
    if before is None:
        return None, dict(after)
    changed = sorted(key for key in after if after[key] != before.get(key))
    return {key: before[key] for key in changed if key in before}, {key: after[key] for key in changed}


def record_diff(*, actor, obj, action, before, after=None, group=_OWN_GROUP, even_if_unchanged=False):
    """
    The audit row of a change to `obj`: what differs between `before` (its to_dict() taken before the change, or
    None when it was just created) and `after` (by default its to_dict() now). Nothing is written when nothing
    changed, unless `even_if_unchanged` (a save that is itself worth telling). Every service verb that changes an
    object's fields records it this way, so that histories read the same everywhere.
    """
    before, after = changed_fields(before, obj.to_dict() if after is None else after)
    if before is not None and not after and not even_if_unchanged:
        return None
    return record_change(actor=actor, obj=obj, action=action, before=before, after=after, group=group)


def history_of(obj):
    """Every audit row about `obj`, newest first."""
    return (
        AuditEntry.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )


def record_account_event(*, user, action, actor=_THE_USER, details=None):
    """
    Something that happened to a person's account (a sign-in, a failed sign-in, a second factor added): it is
    written once, in no group's log. It concerns none of the person's groups in particular, and a group that saw
    it would see when, and how often, a member works on their other groups. Coordinators see what concerns
    their group: its members' actions on its data, and on the member list whether each has a second factor.
    The actor is the user themselves unless given; pass actor=None when nobody known did it (a failed sign-in).
    """
    actor = user if actor is _THE_USER else actor
    return AuditEntry.objects.create(
        group=None,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=user._meta.label,
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        after=details,
        **_token_used(actor),
    )

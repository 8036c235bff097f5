from accounts.models import AuditEntry
from accounts.scoping import group_of

_OWN_GROUP = object()


def record_change(*, actor, obj, action, before=None, after=None, group=_OWN_GROUP):
    """
    Write one audit row; call it inside the transaction that makes the change. The row belongs to the object's
    group; pass group=None for shared reference data such as the institution directory.
    """
    return AuditEntry.objects.create(
        group=group_of(obj) if group is _OWN_GROUP else group,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )


def history_of(obj):
    """Every audit row about `obj`, newest first."""
    return (
        AuditEntry.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )

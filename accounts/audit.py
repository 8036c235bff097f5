from accounts.models import AuditEntry
from accounts.scoping import group_of


def record_change(*, actor, obj, action, before=None, after=None, group=None):
    """Write one audit row; call it inside the transaction that makes the change."""
    return AuditEntry.objects.create(
        group=group if group is not None else group_of(obj),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )

"""
How many records wait for the signed-in person's verification, for the number in the navigation on every page.

Counted with one query, then kept in the cache under a version that a save or delete of a record that is or was
submitted moves on (the receivers below), so that pages cost no query for it until such a change; a page whose
query count is pinned stays where it was. The key holds the person's roles too: a new role counts afresh. Only the
person's own groups are counted (EvidenceRecord.objects.waiting_for), never another group's records.
"""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_init, post_save

VERSION_KEY = "evidence:waiting:version"
# A safety net, not the mechanism: a change that bypassed the signals (a queryset update) shows within the hour.
COUNT_TIMEOUT = 60 * 60


def _version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def remember_status(sender, instance, **kwargs):
    """Receiver (post_init): the status a record had when read, to tell whether a save took it out of "submitted"."""
    instance._status_when_read = instance.__dict__.get("status")


def records_changed(sender, instance, **kwargs):
    """
    Receiver: a record that is, or was until this save, submitted changes someone's count; other saves (drafts,
    verified records edited or shared) do not, so pages whose query counts are pinned keep their cached number.
    """
    if "submitted" not in (instance.__dict__.get("status"), getattr(instance, "_status_when_read", None)):
        return
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted): the next read starts a version of its own
        cache.add(VERSION_KEY, 1, timeout=None)


def connect():
    from evidence.models import EvidenceRecord

    post_init.connect(remember_status, sender=EvidenceRecord, dispatch_uid="evidence-waiting-read")
    post_save.connect(records_changed, sender=EvidenceRecord, dispatch_uid="evidence-waiting-save")
    post_delete.connect(records_changed, sender=EvidenceRecord, dispatch_uid="evidence-waiting-delete")


def waiting_count(user):
    """The number of records waiting for `user`'s verification (0 for anyone signed out)."""
    from accounts.permissions import roles_by_group
    from evidence.models import EvidenceRecord

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return 0
    roles = roles_by_group(user)
    if not roles:
        return 0
    roles_key = ",".join(f"{group_id}:{role}" for group_id, role in sorted(roles.items()))
    key = f"evidence:waiting:{_version()}:{user.pk}:{roles_key}"
    count = cache.get(key)
    if count is None:
        count = EvidenceRecord.objects.waiting_for(user).count()
        cache.set(key, count, timeout=COUNT_TIMEOUT)
    return count


def navigation(request):
    """Context processor: `waiting_for_me`, read only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from django.utils.functional import SimpleLazyObject

    return {"waiting_for_me": SimpleLazyObject(lambda: waiting_count(user))}

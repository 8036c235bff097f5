"""
Notifications: a mention tells the member mentioned, on the notifications page, by a number in the navigation and
by e-mail. Nothing in them keeps the comment's words or the object's title: the page asks again, whenever it is
shown, whether the recipient may still see the object inside the group it belongs to (they may have left it, the
object may be gone), and says "no longer available" otherwise. The e-mail says who and where, never what.

The unread number in the navigation is counted with one indexed query and cached per person until one of their
notifications is made or read (the verbs below drop the cached number), so pages cost no query for it.
"""

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Notification

UNREAD_TIMEOUT = 60 * 60  # a safety net for a change made around these verbs


def _unread_key(user_pk):
    return f"accounts:notifications:unread:{user_pk}"


def forget_unread(user_pk):
    cache.delete(_unread_key(user_pk))


def unread_count(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return 0
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.visible_to(user).unread().count()
        cache.set(key, count, timeout=UNREAD_TIMEOUT)
    return count


def navigation(request):
    """Context processor: `unread_notifications`, read only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from django.utils.functional import SimpleLazyObject

    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}


def notify_mentions(comment, recipients, *, actor, group):
    """One notification per member mentioned in `comment`, and an e-mail each once the transaction commits."""
    parent = comment.parent
    rows = Notification.objects.bulk_create([
        Notification(recipient=user, kind=Notification.Kind.MENTION, group=group, actor=actor,
                     object_type=parent._meta.label, object_id=str(parent.pk), url=comment.get_absolute_url())
        for user in recipients
    ])
    for user in recipients:
        forget_unread(user.pk)
    for row in rows:
        transaction.on_commit(lambda pk=row.pk: send_notification_email(pk), robust=True)
    return rows


def _where(object_type):
    return {"evidence.EvidenceRecord": _("a record"), "campaigns.Target": _("a target")}.get(object_type, _("an item"))


def send_notification_email(notification_pk):
    """Who and where, in the recipient's language, with a link: never the comment's text nor the object's title."""
    from accounts.languages import in_language_of

    notification = Notification.objects.select_related("recipient", "actor", "group").filter(
        pk=notification_pk).first()
    if notification is None or not notification.recipient.email:
        return
    recipient = notification.recipient
    with in_language_of(recipient):
        context = {"summary": summary(notification), "url": settings.SITE_URL + notification.url,
                   "list_url": settings.SITE_URL + "/notifications/"}
        send_mail(subject=context["summary"], message=render_to_string("accounts/email/notification.txt", context),
                  from_email=None, recipient_list=[recipient.email])


def summary(notification):
    """"bob mentioned you on a record in Alpha Watch": who, what kind of thing, which group."""
    actor = notification.actor.username if notification.actor_id else _("an account since deleted")
    return _("%(actor)s mentioned you on %(where)s in %(group)s") % {
        "actor": actor, "where": _where(notification.object_type), "group": notification.group.name}


def with_objects(notifications, user):
    """
    The notifications, each with `available` and `title`: whether `user` may still see the object inside the
    group it was mentioned in (one query per kind of object on the page), and its title only then.
    """
    from accounts.permissions import roles_by_group

    notifications = list(notifications)
    my_groups = roles_by_group(user)
    wanted = {}
    for notification in notifications:
        if notification.group_id not in my_groups:
            continue  # they left the group: even a shared copy their new group holds is not the group's conversation
        wanted.setdefault((notification.object_type, notification.group_id), set()).add(notification.object_id)
    found = {}
    for (object_type, group_id), ids in wanted.items():
        model = apps.get_model(object_type)
        objects = model.objects.visible_to(user)
        if getattr(model, "str_related", ()):
            # With what each object's title (its str()) reads beyond its own row (campaigns.Target.str_related);
            # select_related() with no names would follow every foreign key.
            objects = objects.select_related(*model.str_related)
        for obj in objects.filter(pk__in=ids, **{model.scope_path: group_id}):
            found[(object_type, group_id, str(obj.pk))] = obj
    for notification in notifications:
        obj = found.get((notification.object_type, notification.group_id, notification.object_id))
        notification.available = obj is not None
        notification.title = str(obj) if obj is not None else ""
        notification.summary = summary(notification) if obj is not None else ""
    return notifications


def mark_read(user, ids=None):
    """Mark `user`'s notifications read (those of `ids`, or all): nobody else's."""
    rows = Notification.objects.visible_to(user).unread()
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    changed = rows.update(read_at=timezone.now())
    forget_unread(user.pk)
    return changed

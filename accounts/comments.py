"""
Comments on a group's records and targets, and the mentions in them: the service verbs both apps share.

A comment is the group's own: only a member whose role allows Action.COMMENT in the commented object's group may
write one, so a group holding a shared copy of a record cannot comment on it, and the pages and the API show a
record's comments only where evidence/disclosure.py says so (RecordShown.comments). `@name` mentions resolve to
members of that same group only; any other name stays plain text, and nothing tells whether such an account exists.
"""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_change
from accounts.models import Membership
from accounts.permissions import Action, can, ensure_can
from accounts.scoping import group_of

# What Django lets a username hold (letters, digits and @.+-_), after an @ that does not follow a word character
# (so that an e-mail address mentions nobody). A trailing full stop ends the sentence, not the name.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]+)")


def _clean_body(body):
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    return body


def mentioned_members(group, body, *, actor):
    """The active members of `group` whose @username `body` names (never `actor`, never anyone outside it)."""
    names = {name.rstrip(".") for name in MENTION.findall(body)}
    if not names:
        return []
    memberships = (Membership.objects.filter(group=group, user__username__in=names, user__is_active=True)
                   .exclude(user=actor).select_related("user"))
    return [membership.user for membership in memberships]


def add_comment(parent, *, actor, body):
    """`actor` comments on `parent` (a record or target of their group); the members it mentions are notified."""
    from accounts.notifications import notify_mentions

    group = group_of(parent)
    ensure_can(actor, Action.COMMENT, group)
    body = _clean_body(body)
    model = parent.comments.model
    with transaction.atomic():
        comment = model.objects.create(**{model.parent_field: parent}, author=actor, body=body)
        record_change(actor=actor, obj=comment, action="comment.created", after={"on": parent._meta.label,
                                                                                  "id": parent.pk})
        notify_mentions(comment, mentioned_members(group, body, actor=actor), actor=actor, group=group)
    return comment


def may_edit(comment, user):
    return comment.author_id == user.pk and can(user, Action.COMMENT, group_of(comment))


def may_delete(comment, user):
    group = group_of(comment)
    return may_edit(comment, user) or can(user, Action.MODERATE_COMMENTS, group)


def edit_comment(comment, *, actor, body):
    """The author changes their own comment; members newly mentioned are notified, the others not again."""
    from accounts.notifications import notify_mentions

    if not may_edit(comment, actor):
        raise PermissionDenied(_("Only its author may edit a comment."))
    body = _clean_body(body)
    group = group_of(comment)
    with transaction.atomic():
        before_names = {user.pk for user in mentioned_members(group, comment.body, actor=actor)}
        comment.body, comment.edited_at = body, timezone.now()
        comment.save(update_fields=["body", "edited_at"])
        record_change(actor=actor, obj=comment, action="comment.edited")
        new = [user for user in mentioned_members(group, body, actor=actor) if user.pk not in before_names]
        notify_mentions(comment, new, actor=actor, group=group)
    return comment


def delete_comment(comment, *, actor):
    """The author deletes their comment, or a coordinator any comment of their group."""
    if not may_delete(comment, actor):
        raise PermissionDenied(_("Only its author or a coordinator may delete a comment."))
    with transaction.atomic():
        record_change(actor=actor, obj=comment, action="comment.deleted")
        comment.delete()

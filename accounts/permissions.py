"""
What each role may do. This table is the only place role rules live; pages, the API and services ask `can`.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from accounts.choices import Role


class Action(StrEnum):
    VIEW = "view"
    LOG_EVIDENCE = "log_evidence"
    VERIFY_EVIDENCE = "verify_evidence"
    LOG_INTERACTION = "log_interaction"
    MANAGE_CAMPAIGNS = "manage_campaigns"
    SHARE_EVIDENCE = "share_evidence"
    DELETE_EVIDENCE = "delete_evidence"
    GENERATE_PACKS = "generate_packs"
    MANAGE_MEMBERS = "manage_members"
    EDIT_DIRECTORY = "edit_directory"
    CHECK_WORKER = "check_worker"
    VIEW_AUDIT = "view_audit"
    # Put a campaign, or a record it cites, on the public scoreboard: what anyone on the web then reads.
    PUBLISH = "publish"
    # Comment on the group's records and targets (viewers read them); and delete anyone's comment (coordinators).
    COMMENT = "comment"
    MODERATE_COMMENTS = "moderate_comments"


_VOLUNTEER = {Action.VIEW, Action.LOG_EVIDENCE, Action.VERIFY_EVIDENCE, Action.LOG_INTERACTION, Action.COMMENT}
_CAMPAIGNER = _VOLUNTEER | {Action.MANAGE_CAMPAIGNS}

ROLE_ACTIONS = {
    Role.VIEWER: frozenset({Action.VIEW}),
    Role.VOLUNTEER: frozenset(_VOLUNTEER),
    Role.CAMPAIGNER: frozenset(_CAMPAIGNER),
    Role.COORDINATOR: frozenset(Action),
}

ACTION_LABELS = {
    Action.VIEW: _("read the group's campaigns, targets and evidence"),
    Action.LOG_EVIDENCE: _("log evidence records and sources"),
    Action.VERIFY_EVIDENCE: _("verify evidence someone else submitted"),
    Action.LOG_INTERACTION: _("log letters, meetings and replies"),
    Action.MANAGE_CAMPAIGNS: _("run campaigns and their targets"),
    Action.SHARE_EVIDENCE: _("share verified evidence with other groups"),
    Action.DELETE_EVIDENCE: _("delete any of the group's evidence records"),
    Action.GENERATE_PACKS: _("generate briefing packs"),
    Action.MANAGE_MEMBERS: _("invite members and change their roles"),
    Action.EDIT_DIRECTORY: _("edit the shared institution directory"),
    Action.CHECK_WORKER: _("check that background jobs run"),
    Action.VIEW_AUDIT: _("read and export the group's audit log"),
    Action.PUBLISH: _("publish campaigns and evidence on the public scoreboard"),
    Action.COMMENT: _("comment on the group's records and targets"),
    Action.MODERATE_COMMENTS: _("delete anyone's comment in the group"),
}


def roles_allowed(action):
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


# Bumped (in this process) whenever a membership, a group's two-factor rule or a second factor is saved or deleted
# (accounts.receivers): roles_by_group's copy on a user object is read again after it, so that a page or a task
# that changes a membership and then reads group data sees the change, whichever user object it holds.
_standing_generation = 0


def standing_changed(**kwargs):
    global _standing_generation
    _standing_generation += 1


def roles_by_group(user):
    """
    {group_id: role} for `user`, read once per user object (that is, once per request) and again after any change
    to memberships in this process: the groups whose data they may use, which leaves out those requiring a second
    factor they have not set up (accounts.scoping). visible_to and writable_by scope every query by these ids.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, "_roles_by_group", None)
    if cached is None or user._standing_generation != _standing_generation:
        from accounts.scoping import memberships_with_standing

        # Read before the query: a change made while it runs leaves the copy older than the counter.
        generation = _standing_generation
        # The same query tells which groups still wait for a second factor, for the notice in the page header
        # and for telling why one of their objects is refused, at no query of their own.
        rows = list(memberships_with_standing(user).values_list("group_id", "role", "owes_second_factor",
                                                                "group__name"))
        cached = {group_id: role for group_id, role, owes, _ in rows if not owes}
        user._roles_by_group = cached
        user._groups_owing_second_factor = {group_id: name for group_id, _, owes, name in rows if owes}
        user._standing_generation = generation
    return cached


def groups_owing_second_factor(user):
    """{group_id: name} of `user`'s groups that require two-factor sign-in, which `user` has not set up."""
    roles_by_group(user)
    return getattr(user, "_groups_owing_second_factor", {})


def forget_roles(user):
    """Drop the per-request cache after a membership of `user` changed."""
    user.__dict__.pop("_roles_by_group", None)
    user.__dict__.pop("_groups_owing_second_factor", None)


def role_in(user, group):
    role = roles_by_group(user).get(group.pk)
    return Role(role) if role else None


def can(user, action, group):
    role = role_in(user, group)
    return role is not None and Action(action) in ROLE_ACTIONS[role]


def ensure_can(actor, action, group):
    """For services: PermissionDenied unless `actor`'s role in `group` allows `action`."""
    from django.core.exceptions import PermissionDenied

    if not can(actor, action, group):
        raise PermissionDenied(_("Your role in this group does not allow that."))


def can_in_any_group(user, action):
    """For shared data (the institution directory): the role in any one group is enough; site staff may too."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff:
        return True
    return any(Action(action) in ROLE_ACTIONS[Role(role)] for role in roles_by_group(user).values())


def actions_of(role):
    return [ACTION_LABELS[action] for action in Action if action in ROLE_ACTIONS[Role(role)]]


class GroupRolePermission(permissions.BasePermission):
    """
    DRF permission: what may be read is what the view's queryset (visible_to) returns; writing needs the action
    a view names in `write_action`, in the object's own group. Creation is checked by the view or service.
    """

    def has_object_permission(self, request, view, obj):
        from accounts.scoping import group_of

        if request.method in permissions.SAFE_METHODS:
            return True  # the view's queryset, visible_to(user), already decided what may be read
        return can(request.user, view.write_action, group_of(obj))

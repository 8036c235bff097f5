"""
The one way group data is read.

Every model that belongs to a group uses GroupScopedQuerySet as its manager and says where its group is
(`scope_path`, a lookup from the model to accounts.Group). Views, the API, exports, search and downloads all
start from `Model.objects.visible_to(user)` and fetch single objects with get_for_user / get_for_writer, so
another group's object is a 404 everywhere: its existence does not leak.
"""

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The largest primary key the databases store (a signed 64-bit integer); a larger id names nothing, and the
# databases refuse to compare with it rather than find no row.
LARGEST_ID = 2**63 - 1


#
# Memberships that count
#


def memberships_with_standing(user):
    """
    All of `user`'s memberships, each annotated `owes_second_factor`: its group requires two-factor sign-in and
    `user` has not set up a second factor. Such a membership gives no access to its group's data (pages, API,
    search, packs) until they do, and nothing else of theirs is held back: a group's rule binds its own data.
    This is the only place the rule is written; visible_to, writable_by and accounts.permissions.roles_by_group
    all start here.
    """
    from allauth.mfa.models import Authenticator

    from accounts.signin import SECOND_FACTORS

    Membership = apps.get_model("accounts", "Membership")
    second_factor = models.Exists(Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS))
    owes = models.ExpressionWrapper(models.Q(group__requires_two_factor=True) & ~second_factor,
                                    output_field=models.BooleanField())
    return Membership.objects.filter(user=user).annotate(owes_second_factor=owes)


class SecondFactorOwed(PermissionDenied):
    """An object of a group whose second factor the user has not set up; accounts.middleware sends them to it."""

    def __init__(self, group_names):
        super().__init__(second_factor_message(group_names))


def second_factor_message(group_names):
    return gettext(
        "%(groups)s requires two-factor sign-in. Set up an authenticator app or a security key "
        "(Account → Two-factor sign-in) before you continue."
    ) % {"groups": ", ".join(sorted(group_names))}


#
# Scoped querysets
#


def acting_group_ids(user, *, roles=None):
    """
    The ids of the groups through which `user` reads and acts (those with one of `roles`, if given), as a sorted
    list: read with their roles once per request (accounts.permissions.roles_by_group), so that each query states
    them as constants. A subquery of memberships in every query cost a millisecond of Python to build each time,
    and hid from PostgreSQL how many rows the user's groups hold.
    """
    from accounts.permissions import roles_by_group

    return sorted(group_id for group_id, role in roles_by_group(user).items() if roles is None or role in roles)


class GroupScopedQuerySet(models.QuerySet):
    def _member_group_ids(self, user):
        return acting_group_ids(user)

    def visible_to(self, user):
        """Rows of the groups `user` belongs to; nothing for anonymous or deactivated users."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(**{f"{self.model.scope_path}__in": self._member_group_ids(user)})

    def writable_by(self, user, action):
        """Rows of the groups in which `user`'s role allows `action`."""
        from accounts.permissions import roles_allowed

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        group_ids = acting_group_ids(user, roles=roles_allowed(action))
        return self.filter(**{f"{self.model.scope_path}__in": group_ids})


def _queryset(model_or_queryset):
    if isinstance(model_or_queryset, models.QuerySet):
        return model_or_queryset
    return model_or_queryset.objects.all()


def get_for_user(model_or_queryset, user, **lookup):
    """The object if `user` may see it, else 404 (SecondFactorOwed if it is of a group that needs one first)."""
    queryset = _queryset(model_or_queryset)
    try:
        return queryset.visible_to(user).get(**lookup)
    except (models.ObjectDoesNotExist, ValueError) as exc:
        refuse_if_second_factor_owed(queryset, user, **lookup)
        raise Http404("No such object.") from exc


def refuse_if_second_factor_owed(model_or_queryset, user, **lookup):
    """
    For an object `user` cannot see: SecondFactorOwed if it is of one of their groups whose second factor they
    have not set up, so that they are told why and what to do. Only their own groups are looked in: for any
    other object this says nothing, and costs nothing for members who owe no group a second factor.
    """
    from accounts.permissions import groups_owing_second_factor

    owed = groups_owing_second_factor(user)
    if not owed:
        return
    queryset = _queryset(model_or_queryset)
    try:
        found = queryset.filter(**{f"{queryset.model.scope_path}__in": list(owed)}, **lookup).exists()
    except (ValueError, TypeError):
        return
    if found:
        raise SecondFactorOwed(owed.values())


def get_for_writer(model_or_queryset, user, action, **lookup):
    """The object if `user` may do `action` to it; 404 if they cannot see it, 403 if they only may read it."""
    from accounts.permissions import can

    obj = get_for_user(model_or_queryset, user, **lookup)
    if not can(user, action, group_of(obj)):
        raise PermissionDenied(_("Your role in this group does not allow that."))
    return obj


def group_of(obj):
    """The accounts.Group an object belongs to, following its model's scope_path."""
    if obj._meta.label == "accounts.Group":
        return obj
    for part in obj.scope_path.split("__"):
        obj = getattr(obj, part)
    return obj

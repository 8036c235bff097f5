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
from django.utils.translation import gettext_lazy as _

# The largest primary key the databases store (a signed 64-bit integer); a larger id names nothing, and the
# databases refuse to compare with it rather than find no row.
LARGEST_ID = 2**63 - 1


class GroupScopedQuerySet(models.QuerySet):
    def _member_group_ids(self, user):
        Membership = apps.get_model("accounts", "Membership")
        return Membership.objects.filter(user=user).values("group_id")

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
        Membership = apps.get_model("accounts", "Membership")
        group_ids = Membership.objects.filter(user=user, role__in=roles_allowed(action)).values("group_id")
        return self.filter(**{f"{self.model.scope_path}__in": group_ids})


def _queryset(model_or_queryset):
    if isinstance(model_or_queryset, models.QuerySet):
        return model_or_queryset
    return model_or_queryset.objects.all()


def get_for_user(model_or_queryset, user, **lookup):
    """The object if `user` may see it, else 404."""
    try:
        return _queryset(model_or_queryset).visible_to(user).get(**lookup)
    except (models.ObjectDoesNotExist, ValueError) as exc:
        raise Http404("No such object.") from exc


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

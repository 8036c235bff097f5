from accounts.navigation import items_for
from accounts.permissions import Action, can, groups_owing_second_factor, role_in, roles_by_group

ACTIVE_GROUP_SESSION_KEY = "active_group_id"


def active_membership(request):
    """The membership of the group the user last worked in (or their first), read once per request."""
    if hasattr(request, "_active_membership"):
        return request._active_membership
    membership = None
    if request.user.is_authenticated:
        memberships = list(request.user.memberships_with_groups())
        # A group whose second factor the user still owes is active only if no other group is usable.
        usable = [m for m in memberships if m.group_id in roles_by_group(request.user)] or memberships
        wanted = request.session.get(ACTIVE_GROUP_SESSION_KEY)
        membership = next((m for m in usable if m.group_id == wanted), usable[0] if usable else None)
        request._all_memberships = memberships
    request._active_membership = membership
    return membership


def remember_active_group(request, group):
    request.session[ACTIVE_GROUP_SESSION_KEY] = group.pk
    request.__dict__.pop("_active_membership", None)


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = active_membership(request)
    group = membership.group if membership else None
    return {
        "active_group": group,
        "active_role": role_in(request.user, group) if group else None,
        "my_memberships": request._all_memberships,
        "nav_items": items_for(request.user, group, request.path),
        # Whether the phone menu offers the quick evidence form.
        "can_log_evidence": group is not None and can(request.user, Action.LOG_EVIDENCE, group),
        "second_factor_owed_by": sorted(groups_owing_second_factor(request.user).values()),
    }


def language_tag(code):
    """Django's language code as a BCP 47 tag for lang="…": zh-hans → zh-Hans (script title-cased), en-gb → en-GB."""
    parts = code.split("-")
    return "-".join([parts[0].lower()] + [p.title() if len(p) == 4 else p.upper() if len(p) == 2 else p
                                           for p in parts[1:]])


def language(request):
    """The page's lang attribute and the language switcher's choices, each named in its own language."""
    from django.conf import settings
    from django.utils.translation import get_language

    return {
        "html_lang": language_tag(get_language() or settings.LANGUAGE_CODE),
        "language_choices": [(code, name, language_tag(code)) for code, name in settings.LANGUAGES],
    }

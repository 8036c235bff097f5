"""The navigation: which links a member sees, by what their role in the active group allows."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Action, can


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    action: Action
    group_scoped: bool = True


GROUP_NAV = [
    NavItem(_("Overview"), "group-dashboard", Action.VIEW),
    NavItem(_("Campaigns"), "campaign-list", Action.VIEW, group_scoped=False),
    NavItem(_("My work"), "my-work", Action.VIEW, group_scoped=False),
    NavItem(_("Evidence"), "evidence-list", Action.VIEW, group_scoped=False),
    NavItem(_("Institutions"), "institution-list", Action.VIEW, group_scoped=False),
    NavItem(_("Recommendations"), "report-list", Action.VIEW, group_scoped=False),
    NavItem(_("Members"), "member-list", Action.VIEW),
    NavItem(_("Briefing packs"), "pack-list", Action.GENERATE_PACKS),
    NavItem(_("Background jobs"), "worker-check-list", Action.CHECK_WORKER),
    NavItem(_("Audit log"), "audit-log", Action.VIEW_AUDIT),
]


def items_for(user, group, current_path):
    items = []
    for item in GROUP_NAV:
        if group is None or not can(user, item.action, group):
            continue
        url = reverse(item.url_name, args=[group.slug] if item.group_scoped else [])
        current = current_path == url or (not item.group_scoped and current_path.startswith(url))
        items.append({"label": item.label, "url": url, "current": current})
    return items

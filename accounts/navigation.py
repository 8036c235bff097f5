"""The navigation: which links a member sees, by what their role in the active group allows."""

from dataclasses import dataclass

from django.urls import reverse

from accounts.permissions import Action, can


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    action: Action
    group_scoped: bool = True


GROUP_NAV = [
    NavItem("Overview", "group-dashboard", Action.VIEW),
    NavItem("Campaigns", "campaign-list", Action.VIEW, group_scoped=False),
    NavItem("My work", "my-work", Action.VIEW, group_scoped=False),
    NavItem("Evidence", "evidence-list", Action.VIEW, group_scoped=False),
    NavItem("Institutions", "institution-list", Action.VIEW, group_scoped=False),
    NavItem("Recommendations", "report-list", Action.VIEW, group_scoped=False),
    NavItem("Members", "member-list", Action.VIEW),
    NavItem("Briefing packs", "pack-list", Action.GENERATE_PACKS),
    NavItem("Background jobs", "worker-check-list", Action.CHECK_WORKER),
    NavItem("Audit log", "audit-log", Action.VIEW_AUDIT),
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

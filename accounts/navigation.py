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
    NavItem("Members", "member-list", Action.VIEW),
    NavItem("Background jobs", "worker-check-list", Action.CHECK_WORKER),
]


def items_for(user, group, current_path):
    items = []
    for item in GROUP_NAV:
        if group is None or not can(user, item.action, group):
            continue
        url = reverse(item.url_name, args=[group.slug])
        items.append({"label": item.label, "url": url, "current": current_path == url})
    return items

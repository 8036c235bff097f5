"""
The Django admin's site, for site staff, who are not members of any group (issue 13): it has no "view on site"
shortcut (/admin/r/<content type>/<id>/). That view answers any staff account, whatever its permissions, with a
redirect to any object's own address, for every model with get_absolute_url, registered in the admin or not:
an invitation's accept link (a way into the group), and for a record, pack or group-only institution a 302
where a missing one gets a 404 (an existence oracle, with the slug in the address). Nothing staff do needs it.
"""

from django.contrib.admin import AdminSite


class StaffAdminSite(AdminSite):
    def get_urls(self):
        return [pattern for pattern in super().get_urls() if getattr(pattern, "name", None) != "view_on_site"]

    def register(self, model_or_iterable, admin_class=None, **options):
        # The "View on site" button of a change page points at the route removed above, which no longer exists.
        options.setdefault("view_on_site", False)
        return super().register(model_or_iterable, admin_class, **options)

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """django.contrib.admin with our site (config.admin.StaffAdminSite) as `admin.site`."""

    default_site = "config.admin.StaffAdminSite"

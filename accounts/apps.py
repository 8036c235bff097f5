from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "accounts.ids.RandomIdField"
    verbose_name = "Accounts, groups and roles"

    def ready(self):
        from accounts import receivers  # noqa: F401  (connects the sign-in audit signals)

from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    default_auto_field = "accounts.ids.RandomIdField"
    verbose_name = "Report, directory and evidence"

    def ready(self):
        # The number waiting for a person's verification is cached until a record changes (evidence/waiting.py).
        from evidence import waiting

        waiting.connect()

        # A capture's stored files are removed when its rows are deleted (evidence/capture/cleanup.py).
        from evidence.capture import cleanup

        cleanup.connect()

        from evidence import saved_searches  # noqa: F401  (ends saved-search feed keys with an account's API keys)

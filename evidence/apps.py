from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    default_auto_field = "accounts.ids.RandomIdField"
    verbose_name = "Report, directory and evidence"

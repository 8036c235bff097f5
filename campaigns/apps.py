from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "accounts.ids.RandomIdField"
    verbose_name = "Campaigns and targets"

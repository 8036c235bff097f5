from django.apps import AppConfig
from django.core import checks


def check_pack_signing_keys(app_configs, **kwargs):
    from campaigns.packs.keys import configuration_errors

    return [checks.Error(problem, id="campaigns.E001") for problem in configuration_errors()]


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "accounts.ids.RandomIdField"
    verbose_name = "Campaigns and targets"

    def ready(self):
        # Evidence must not import campaigns (the layers: accounts <- evidence <- campaigns), so campaigns plugs
        # its bulk action into the registry evidence exposes. Imported here: campaigns.bulk needs the models.
        from campaigns.bulk import ADD_TO_TARGET
        from evidence import bulk

        bulk.register(ADD_TO_TARGET)
        checks.register(check_pack_signing_keys)

        from campaigns.public import cache

        cache.connect()

        # Letters live in a package of their own (campaigns/letters/): their models and their worker's task are
        # registered here, so that the campaigns' own modules need not import it (no circle between them).
        from campaigns.letters import models, tasks  # noqa: F401

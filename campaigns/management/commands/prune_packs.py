from django.core.management.base import BaseCommand

from campaigns.packs.storage import prune


class Command(BaseCommand):
    help = ("Delete the files of briefing packs past their expiry date and mark them expired; mark packs whose "
            "worker died for good as failed; remove files no pack owns. Beat runs the same every hour.")

    def handle(self, *args, **options):
        expired = prune()
        self.stdout.write(f"{expired} pack{'s' if expired != 1 else ''} expired.")

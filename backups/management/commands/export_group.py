from django.core.management.base import BaseCommand, CommandError

from accounts.models import Group
from backups.archive import export_group


class Command(BaseCommand):
    help = ("Write everything a group owns (members, records, sources, files, history) to a ZIP archive with a "
            "manifest of SHA-256 hashes. The archive is as sensitive as the database: keep it encrypted.")

    def add_arguments(self, parser):
        parser.add_argument("group", help="The group's short name (slug)")
        parser.add_argument("archive", help="Where to write the archive, e.g. alpha-watch.zip")

    def handle(self, *args, group, archive, **options):
        try:
            group = Group.objects.get(slug=group)
        except Group.DoesNotExist:
            raise CommandError(f"No group has the short name “{group}”.") from None
        summary = export_group(group, archive)
        rows = sum(summary.counts.values())
        self.stdout.write(f"Wrote {archive}: {rows} rows and {summary.files} files of {group.name}.")

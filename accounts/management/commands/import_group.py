from django.core.management.base import BaseCommand, CommandError

from accounts.backups import BackupError, import_group


class Command(BaseCommand):
    help = ("Restore a group from an archive written by export_group, onto a site that does not have the group. "
            "The hashes are checked first; a damaged archive or a clash restores nothing.")

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The archive written by export_group")

    def handle(self, *args, archive, **options):
        try:
            group = import_group(archive)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored {group.name} ({group.slug}).")

from django.core.management.base import BaseCommand, CommandError

from backups.archive import BackupError, import_group


class Command(BaseCommand):
    help = ("Restore a group from an archive written by export_group, onto a site that does not have the group. "
            "The site's signature and the hashes are checked first; an unsigned, changed or damaged archive, or a "
            "clash, restores nothing. Accounts are restored as members, never as site staff.")

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The archive written by export_group")

    def handle(self, *args, archive, **options):
        try:
            summary = import_group(archive)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        group = summary.group
        self.stdout.write(f"Restored {group.name} ({group.slug}).")
        if summary.dropped_links or summary.dropped_moves or summary.unlinked_moves:
            self.stdout.write(
                f"Records other groups had shared are not on this site: {summary.dropped_links} evidence link(s) "
                f"to targets and {summary.dropped_moves} status move(s) citing only such a record were left out; "
                f"{summary.unlinked_moves} move(s) keep their interaction without the record.")
        if summary.powers_cleared:
            self.stdout.write(
                f"{summary.powers_cleared} account(s) were marked as site staff or superusers in the archive, or had "
                f"site permissions; they were restored as plain members. Grant staff access on this site if needed.")

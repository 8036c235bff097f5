from django.core.management.base import BaseCommand, CommandError

from accounts.models import Group
from evidence.hash_backfill import BATCH_SIZE, backfill


class Command(BaseCommand):
    help = ("Give the pictures stored before near-duplicate detection (attachments, capture screenshots) their "
            "perceptual hash, so that copies of them are flagged. Per group or for all; in batches; safe to stop and "
            "to run again: hashed pictures are skipped, and so are those that could not be read (recorded on the "
            "row; --retry-failed reads them again).")

    def add_arguments(self, parser):
        parser.add_argument("--group", action="append", dest="groups", metavar="SLUG",
                            help="Only this group's pictures (a group's short name; may be given again)")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"Rows read at a time ({BATCH_SIZE})")
        parser.add_argument("--retry-failed", action="store_true",
                            help="Read again the pictures an earlier run could not read")

    def handle(self, *args, groups=None, batch_size=BATCH_SIZE, retry_failed=False, verbosity=1, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        chosen = None
        if groups:
            chosen = list(Group.objects.filter(slug__in=groups))
            missing = sorted(set(groups) - {group.slug for group in chosen})
            if missing:
                raise CommandError(f"No group has the short name {', '.join(f'“{slug}”' for slug in missing)}.")

        def progress(counts):
            if verbosity > 1:
                self.stdout.write(f"… {counts.looked_at} looked at, {counts.hashed} hashed")

        counts = backfill(chosen, batch_size=batch_size, retry_failed=retry_failed, progress=progress)
        for label, pk, why in counts.failed:
            self.stderr.write(f"{label} {pk}: {why}")
        self.stdout.write(f"{counts.hashed} picture{'s' if counts.hashed != 1 else ''} hashed, "
                          f"{len(counts.failed)} could not be read.")

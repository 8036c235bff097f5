from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from campaigns.packs.verdict import report_lines
from campaigns.packs.verify import verify_upload


class Command(BaseCommand):
    help = ("Check a briefing pack (its .zip, or its manifest.json) the way the public verify page does: the verdict "
            "first (intact and signed by this site with which key, altered and which files, or not signed by any "
            "key of this site), then the details. Exits with 1 unless the pack is intact and signed by this site.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="the pack's .zip or its manifest.json")

    def handle(self, *args, path, **options):
        file_path = Path(path)
        if not file_path.is_file():
            raise CommandError(f"{path}: no such file")
        with file_path.open("rb") as handle:
            result = verify_upload(File(handle, name=file_path.name))
        for line in report_lines(result):
            self.stdout.write(line)
        if not result.intact:
            raise CommandError(result.headline)

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evidence.report_data import BUNDLED_REPORT, InvalidReportData, import_report


class Command(BaseCommand):
    help = (
        "Import a report dataset (JSON): its recommendations, sectors, rights, institutions and relationships. "
        "A file with any problem imports nothing; importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(BUNDLED_REPORT),
                            help="the dataset; the bundled Emotional Entanglement data if omitted")
        parser.add_argument("--slug", help="the report's id on this site (default: the file name)")

    def handle(self, *args, file, slug, **options):
        path = Path(file)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {path}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from exc
        try:
            report, result = import_report(data, slug=slug or path.stem)
        except InvalidReportData as exc:
            for problem in exc.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"{path}: {len(exc.problems)} problem(s); nothing was imported.") from exc
        if result.changed:
            self.stdout.write(f"Imported '{report}': {result.summary()}")
        else:
            self.stdout.write(f"'{report}' is already up to date; nothing changed.")

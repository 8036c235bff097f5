import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Group
from evidence.models import Report
from evidence.report_data import BUNDLED_REPORT, InvalidReportData, import_report_facts


class Command(BaseCommand):
    help = (
        "Copy a report dataset's evidence facts into a group as draft records citing the report, for its members "
        "to check against the primary sources. Run load_report first. Facts already copied are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("group", help="the group's short name (slug)")
        parser.add_argument("file", nargs="?", default=str(BUNDLED_REPORT))
        parser.add_argument("--report", help="the report's id on this site (default: the file name)")

    def handle(self, *args, group, file, report, **options):
        path = Path(file)
        try:
            target = Group.objects.get(slug=group)
        except Group.DoesNotExist as exc:
            raise CommandError(f"No group with the short name {group!r}.") from exc
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            created = import_report_facts(data, group=target, report_slug=report or path.stem)
        except Report.DoesNotExist as exc:
            raise CommandError("That report is not loaded; run load_report first.") from exc
        except InvalidReportData as exc:
            for problem in exc.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"{path}: {len(exc.problems)} problem(s); nothing was loaded.") from exc
        self.stdout.write(f"{created} evidence record(s) from the report added to {target}." if created
                          else f"{target} already has every evidence record of the report.")

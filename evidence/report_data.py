"""
Report datasets (the JSON format of evidence/data/emotional-entanglement.json): validate a whole file, then
import it in one transaction. Validation names every problem with its position; a file with any problem
imports nothing. Importing is idempotent: rows are matched by their ids and only changed fields are written.
"""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from jsonschema import Draft202012Validator

from accounts.ids import in_ascending_ids
from evidence.models import (
    RESERVED_INSTITUTION_SLUGS,
    Citation,
    EvidenceRecord,
    Institution,
    Recommendation,
    RecordInstitution,
    Relationship,
    Report,
    Right,
    Sector,
    Source,
)

BUNDLED_REPORT = Path(__file__).resolve().parent / "data" / "emotional-entanglement.json"

_SLUG = {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 80}
_TEXT = {"type": "string", "minLength": 1}
_OPTIONAL_TEXT = {"type": ["string", "null"]}
_PAGE = {"type": ["integer", "null"], "minimum": 1}
_TEXT_LIST = {"type": "array", "items": _TEXT}
# Links end up in pages as href: only web addresses, never javascript: or data: URLs.
_OPTIONAL_URL = {"type": ["string", "null"], "pattern": r"^(https?://\S+)?$"}

SCHEMA = {
    "type": "object",
    "required": ["source", "recommendations", "sectors", "institutions", "relationships", "rights"],
    "properties": {
        "source": {
            "type": "object",
            "required": ["title", "publisher"],
            "properties": {
                "title": _TEXT, "publisher": _TEXT,
                "published": {"type": ["string", "null"], "pattern": r"^\d{4}(-\d{2})?$"},
                "licence": _OPTIONAL_TEXT, "licence_url": _OPTIONAL_URL, "url": _OPTIONAL_URL,
                "document_code": _OPTIONAL_TEXT,
            },
        },
        "recommendations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "addressee", "summary", "ask"],
                "properties": {"id": _SLUG, "addressee": _TEXT, "summary": _TEXT,
                               "ask": {"type": "string", "minLength": 1, "maxLength": 300}, "page": _PAGE},
            },
        },
        "sectors": {
            "type": "array",
            "items": {"type": "object", "required": ["id", "name"],
                      "properties": {"id": _SLUG, "name": _TEXT, "summary": _OPTIONAL_TEXT}},
        },
        "rights": {
            "type": "array",
            "items": {"type": "object", "required": ["id", "name"],
                      "properties": {"id": _SLUG, "name": _TEXT, "summary": _OPTIONAL_TEXT,
                                     "anchors": _TEXT_LIST, "page": _PAGE}},
        },
        "institutions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "kind"],
                "properties": {
                    "id": _SLUG, "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "name_zh": _OPTIONAL_TEXT,
                    "kind": {"enum": list(Institution.Kind.values)},
                    "country": _OPTIONAL_TEXT, "sectors": {"type": "array", "items": _SLUG},
                    "summary": _OPTIONAL_TEXT, "products": _TEXT_LIST, "people": _TEXT_LIST,
                    "aliases": _TEXT_LIST, "website": _OPTIONAL_URL, "page": _PAGE,
                    "parent": {"oneOf": [_SLUG, {"type": "null"}]},
                    "investigated": {"type": "boolean"}, "report_table": _OPTIONAL_TEXT,
                },
            },
        },
        "relationships": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "from", "to", "kind"],
                "properties": {"id": _SLUG, "from": _SLUG, "to": _SLUG,
                               "kind": {"enum": list(Relationship.Kind.values)},
                               "summary": _OPTIONAL_TEXT, "page": _PAGE},
            },
        },
    },
}


class InvalidReportData(Exception):
    def __init__(self, problems):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the report data")


def _position(path, data):
    """'institutions[12] (id "foo").kind' for a jsonschema error path."""
    text, node = "", data
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                text += f' (id "{node["id"]}")'
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(top level)"


def validate(data):
    """Every problem in the file, each with its position; an empty list means it can be imported."""
    if not isinstance(data, dict):
        return ["(top level): must be a JSON object"]
    problems = [
        f"{_position(error.absolute_path, data)}: {error.message}"
        for error in sorted(Draft202012Validator(SCHEMA).iter_errors(data), key=lambda e: list(map(str, e.path)))
    ]
    problems += _reference_problems(data)
    return problems


def _rows(data, section):
    """(index, row) for the rows of a section that are objects with a string id; others fail the schema."""
    rows = data.get(section)
    if not isinstance(rows, list):
        return []
    return [(i, row) for i, row in enumerate(rows) if isinstance(row, dict) and isinstance(row.get("id"), str)]


def _reference_problems(data):
    problems = []

    def unique_ids(section):
        seen = {}
        for index, row in _rows(data, section):
            if row["id"] in seen:
                problems.append(f'{section}[{index}] (id "{row["id"]}"): id already used by '
                                f"{section}[{seen[row['id']]}]")
            seen.setdefault(row["id"], index)
        return set(seen)

    sector_ids = unique_ids("sectors") | set(Sector.objects.values_list("slug", flat=True))
    institution_ids = unique_ids("institutions") | set(Institution.objects.values_list("slug", flat=True))
    for section in ("recommendations", "rights", "relationships"):
        unique_ids(section)

    for index, row in _rows(data, "institutions"):
        where = f'institutions[{index}] (id "{row["id"]}")'
        if row["id"] in RESERVED_INSTITUTION_SLUGS:
            problems.append(f"{where}.id: this id is reserved for the site's own pages")
        sectors = row.get("sectors")
        for sector in sectors if isinstance(sectors, list) else []:
            if isinstance(sector, str) and sector not in sector_ids:
                problems.append(f'{where}.sectors: unknown sector "{sector}"')
        parent = row.get("parent")
        if isinstance(parent, str) and parent not in institution_ids:
            problems.append(f'{where}.parent: unknown institution "{parent}"')
    for index, row in _rows(data, "relationships"):
        where = f'relationships[{index}] (id "{row["id"]}")'
        for end in ("from", "to"):
            if isinstance(row.get(end), str) and row[end] not in institution_ids:
                problems.append(f'{where}.{end}: unknown institution "{row[end]}"')
        if row.get("from") is not None and row.get("from") == row.get("to"):
            problems.append(f"{where}: an institution cannot be related to itself")
    return problems


@dataclass
class ImportResult:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)

    @property
    def changed(self):
        return any(self.created.values()) or any(self.updated.values())

    def summary(self):
        parts = [f"{name}: {self.created.get(name, 0)} created, {self.updated.get(name, 0)} updated"
                 for name in sorted(set(self.created) | set(self.updated))]
        return "; ".join(parts)


class _Upserter:
    def __init__(self, result):
        self.result = result

    def __call__(self, model, lookup, values):
        """Create the row, or write only the fields that differ, so a second import writes nothing."""
        name = model._meta.verbose_name_plural
        self.result.created.setdefault(name, 0)
        self.result.updated.setdefault(name, 0)
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            self.result.created[name] += 1
            obj = model.objects.create(**lookup, **values)
            obj.import_status = "created"
            return obj
        changed = [key for key, value in values.items() if getattr(obj, key) != value]
        obj.import_status = "unchanged"
        if changed:
            for key in changed:
                setattr(obj, key, values[key])
            obj.save(update_fields=changed)
            self.result.updated[name] += 1
            obj.import_status = "updated"
        return obj


def _text(value):
    return value or ""


def _credit(source):
    licence = source.get("licence_spdx") or source.get("licence") or "its licence"
    year = (source.get("published") or "")[:4]
    return f"Data derived from {source['publisher']}, {source['title']} ({year}), {licence}."


@transaction.atomic
def import_report(data, *, slug):
    problems = validate(data)
    if problems:
        raise InvalidReportData(problems)
    result = ImportResult()
    upsert = _Upserter(result)
    source = data["source"]
    report = upsert(Report, {"slug": slug}, {
        "title": source["title"], "publisher": source["publisher"], "published": _text(source.get("published")),
        "licence": _text(source.get("licence")), "licence_url": _text(source.get("licence_url")),
        "url": _text(source.get("url")), "document_code": _text(source.get("document_code")),
        "credit": _credit(source),
    })
    for order, row in enumerate(data["recommendations"], start=1):
        upsert(Recommendation, {"report": report, "code": row["id"]}, {
            "addressee": row["addressee"], "summary": row["summary"], "ask": row["ask"],
            "page": row.get("page"), "order": order,
        })
    for row in data["sectors"]:
        upsert(Sector, {"slug": row["id"]}, {"name": row["name"], "summary": _text(row.get("summary")),
                                             "report": report})
    for row in data["rights"]:
        upsert(Right, {"slug": row["id"]}, {
            "name": row["name"], "summary": _text(row.get("summary")), "anchors": row.get("anchors", []),
            "page": row.get("page"), "report": report,
        })
    sectors = {s.slug: s for s in Sector.objects.all()}
    institutions = {}
    for row in data["institutions"]:
        institution = upsert(Institution, {"slug": row["id"]}, {
            "name": row["name"], "name_zh": _text(row.get("name_zh")), "aliases": row.get("aliases", []),
            "kind": row["kind"], "country": _text(row.get("country")), "products": row.get("products", []),
            "people": row.get("people", []), "website": _text(row.get("website")),
            "summary": _text(row.get("summary")), "investigated": row.get("investigated", False),
            "report_table": _text(row.get("report_table")), "source_report": report, "page": row.get("page"),
        })
        wanted = {sectors[s].pk for s in row.get("sectors", [])}
        if set(institution.sectors.values_list("pk", flat=True)) != wanted:
            institution.sectors.set(wanted)
            if institution.import_status == "unchanged":
                result.updated["institutions"] += 1
                institution.import_status = "updated"
        institutions[row["id"]] = institution
    # Parents second, since a parent may come later in the file than its child.
    for row in data["institutions"]:
        institution = institutions[row["id"]]
        parent = institutions.get(row.get("parent")) or Institution.objects.filter(slug=row.get("parent")).first()
        if institution.parent_id != (parent.pk if parent else None):
            institution.parent = parent
            institution.save(update_fields=["parent"])
            if institution.import_status == "unchanged":
                result.updated["institutions"] += 1
                institution.import_status = "updated"
    known = {i.slug: i for i in Institution.objects.filter(slug__in={
        end for row in data["relationships"] for end in (row["from"], row["to"])})}
    for row in data["relationships"]:
        page = row.get("page")
        upsert(Relationship, {"slug": row["id"]}, {
            "source_institution": known[row["from"]], "target_institution": known[row["to"]],
            "kind": row["kind"], "note": _text(row.get("summary")),
            "source": f"{source['publisher']}, {source['title']}" + (f", p. {page}" if page else ""),
            "report": report, "page": page,
        })
    return report, result


#
# The report's evidence facts, loaded into a group as its starting set
#

FACT_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "title", "summary", "kind", "source"],
        "properties": {
            "id": _SLUG, "title": {"type": "string", "minLength": 1, "maxLength": 300}, "summary": _TEXT,
            "kind": {"enum": list(EvidenceRecord.Kind.values)}, "institutions": {"type": "array", "items": _SLUG},
            "sector": {"oneOf": [_SLUG, {"type": "null"}]}, "location": _OPTIONAL_TEXT,
            "date": {"type": ["string", "null"], "pattern": r"^\d{4}(-\d{2})?$"}, "source": _SLUG, "page": _PAGE,
        },
    },
}


def _fact_problems(data):
    facts = data.get("evidence") if isinstance(data, dict) else None
    if facts is None:
        return ["evidence: the file has no evidence facts"]
    problems = [f"{_position(['evidence', *error.absolute_path], data)}: {error.message}"
                for error in Draft202012Validator(FACT_SCHEMA).iter_errors(facts)]
    known_sources = {"report"} | {s.get("id") for s in data.get("source", {}).get("companion_sources", [])}
    institutions = set(Institution.objects.values_list("slug", flat=True))
    for index, fact in _rows(data, "evidence"):
        where = f'evidence[{index}] (id "{fact["id"]}")'
        for slug in fact.get("institutions", []):
            if slug not in institutions:
                problems.append(f'{where}.institutions: "{slug}" is not in the directory; run load_report first')
        if fact.get("source") not in known_sources:
            problems.append(f'{where}.source: unknown source "{fact.get("source")}"')
    return problems


def _first_day(date_text):
    if not date_text:
        return None
    year, _, month = date_text.partition("-")
    return datetime.date(int(year), int(month or 1), 1)


@transaction.atomic
def import_report_facts(data, *, group, report_slug):
    """
    Copy the dataset's evidence facts into `group` as draft records citing the report (or its companion
    source), to be checked against the primary sources and verified. Facts already copied are left alone.
    Returns the number of records created.
    """
    report = Report.objects.get(slug=report_slug)  # Report.DoesNotExist: load the report first
    problems = _fact_problems(data)
    if problems:
        raise InvalidReportData(problems)
    sources = {"report": Source.objects.get_or_create(
        group=group, report=report, kind=Source.Kind.REPORT,
        defaults={"title": report.title, "publisher": report.publisher, "url": report.url, "language": "en"})[0]}
    for companion in data["source"].get("companion_sources", []):
        title = companion.get("title") or f"{companion['publisher']}: {companion.get('subject', '')}"
        sources[companion["id"]] = Source.objects.get_or_create(
            group=group, title=title[:300],
            defaults={"kind": Source.Kind.NEWS, "publisher": companion.get("publisher", ""), "language": "en"})[0]
    existing = set(EvidenceRecord.objects.filter(group=group).exclude(report_fact="")
                   .values_list("report_fact", flat=True))
    institutions = {i.slug: i for i in Institution.objects.all()}
    sectors = {s.slug: s for s in Sector.objects.all()}
    created = 0
    for fact in data["evidence"]:
        if fact["id"] in existing:
            continue
        record = EvidenceRecord.objects.create(
            group=group, title=fact["title"], summary=fact["summary"], kind=fact["kind"],
            sector=sectors.get(fact.get("sector")), place=fact.get("location") or "",
            event_start=_first_day(fact.get("date")), language="en", report_fact=fact["id"],
        )
        RecordInstitution.objects.bulk_create(in_ascending_ids(
            RecordInstitution(record=record, institution=institutions[slug]) for slug in fact.get("institutions", [])))
        Citation.objects.create(record=record, source=sources[fact["source"]],
                                locator=f"p. {fact['page']}" if fact.get("page") else "")
        created += 1
    return created

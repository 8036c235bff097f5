"""
Checking each row of a spreadsheet for a group, saving nothing: what the row would become (its record, the
institutions and tags it names, the source it cites, new or the group's own) and every problem found, each naming
its column, so that the person sees them all before anything is imported.
"""

import datetime
import re
from calendar import monthrange
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from evidence.imports.parsing import read_table
from evidence.models import Citation, EvidenceRecord, Institution, RecordInstitution, Sector, Source, Tag, url_key

# Lists in a cell are separated by semicolons; a Chinese keyboard's full-width ones work too, as do its colons.
LIST_SEPARATOR = re.compile(r"[;；]")
# "name:role"; the last colon counts, in case a name has one.
ROLE_PATTERN = re.compile(r"^(?P<name>.*)[:：](?P<role>[^:：]*)$")
DATE_PATTERN = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
TRUE_WORDS, FALSE_WORDS = {"yes", "true", "1", "y"}, {"no", "false", "0", "n", ""}


def _max_length(model, name):
    return model._meta.get_field(name).max_length


@dataclass
class ImportRow:
    """One row of the file: its number in the sheet, what it would become, and what is wrong with it."""

    number: int
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    # Which source the row cites: an existing Source, or the key of a new one (shared by rows with that key).
    source: Source | None = None
    source_key: tuple | None = None
    new_source: dict | None = None

    @property
    def valid(self):
        return not self.errors

    @property
    def title(self):
        return self.values.get("title", "")

    @property
    def kind_label(self):
        kind = self.values.get("kind")
        return EvidenceRecord.Kind(kind).label if kind else ""

    @property
    def institution_labels(self):
        return [f"{institution.name} ({RecordInstitution.Role(role).label.lower()})"
                for institution, role in self.values.get("institutions", [])]

    @property
    def source_label(self):
        if self.source is not None:
            return self.source.title
        return self.new_source["title"] if self.new_source else ""

    @property
    def source_is_new(self):
        return self.source is None and self.new_source is not None


class RowsByValidity:
    """The rows of a checked file that can be imported, and those that cannot (for Preview and its stored copy)."""

    @property
    def valid_rows(self):
        return [row for row in self.rows if row.valid]

    @property
    def invalid_rows(self):
        return [row for row in self.rows if not row.valid]


@dataclass
class Preview(RowsByValidity):
    """A checked file: every row, and what importing would create."""

    format: str
    ignored_columns: list
    rows: list

    @property
    def new_source_count(self):
        return len({row.source_key for row in self.valid_rows if row.source_is_new})


def _by_name(objects, *names):
    """{casefolded name: [objects]} over the given attributes, for matching a name someone typed."""
    index = {}
    for obj in objects:
        for name in {getattr(obj, attribute).casefold() for attribute in names if getattr(obj, attribute)}:
            index.setdefault(name, []).append(obj)
    return index


class Lookups:
    """
    The institutions the group may name, sectors and the group's sources, read once per file rather than once per
    row.
    """

    def __init__(self, group):
        institutions = list(Institution.objects.available_to(group).only("pk", "slug", "name", "name_zh"))
        self.institutions_by_slug = {institution.slug: institution for institution in institutions}
        self.institutions_by_name = _by_name(institutions, "name", "name_zh")
        sectors = list(Sector.objects.all())
        self.sectors_by_slug = {sector.slug: sector for sector in sectors}
        self.sectors_by_name = _by_name(sectors, "name")
        # The group was checked by the caller (the actor may log evidence in it); only its sources are reused.
        sources = list(Source.objects.filter(group=group).order_by("created_at", "pk"))  # the oldest first
        self.sources_by_url = {}
        self.sources_by_title = {}
        for source in sources:
            if source.url_key:
                self.sources_by_url.setdefault(source.url_key, source)
            self.sources_by_title.setdefault(source.title.casefold(), source)


KINDS = {**{value: value for value in EvidenceRecord.Kind.values},
         **{label.casefold(): value for value, label in EvidenceRecord.Kind.choices}}
ROLES = {**{value: value for value in RecordInstitution.Role.values},
         **{label.casefold(): value for value, label in RecordInstitution.Role.choices}}


def parse_date(value, *, end=False):
    """
    A date from YYYY, YYYY-MM or YYYY-MM-DD (or a date cell). A partial date means its first day, or its last
    when it ends a period, so "2018-05" to "2018" is the rest of 2018, not an end before the start.
    """
    if isinstance(value, datetime.date):
        return value
    match = DATE_PATTERN.match(value)
    if not match:
        raise ValueError(_("“%(value)s” is not a date; write YYYY, YYYY-MM or YYYY-MM-DD") % {"value": value})
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        if month is None:
            return datetime.date(year, 12, 31) if end else datetime.date(year, 1, 1)
        if day is None:
            return datetime.date(year, month, monthrange(year, month)[1] if end else 1)
        return datetime.date(year, month, day)
    except ValueError as exc:  # month 13, 30 February … (calendar's IllegalMonthError is a ValueError)
        raise ValueError(_("“%(value)s” is not a date that exists") % {"value": value}) from exc


def _text(row, values, name, *, required=False, model=EvidenceRecord, model_field=None):
    value = values.get(name, "")
    if required and not value:
        row.errors.append(_("%(column)s: missing; every record needs one.") % {"column": name})
        return ""
    limit = _max_length(model, model_field or name) if model else None
    if limit and len(value) > limit:
        row.errors.append(_("%(column)s: too long (%(length)s characters; at most %(limit)s).")
                          % {"column": name, "length": len(value), "limit": limit})
    return value


def _date(row, values, name, *, end=False):
    value = values.get(name, "")
    if value == "":
        return None
    try:
        return parse_date(value, end=end)
    except ValueError as exc:
        row.errors.append(f"{name}: {exc}.")
        return None


def _one_by_name(name, by_slug, by_name, *, missing=None):
    """(object, None) or (None, what is wrong) for a slug or a name someone typed."""
    found = by_slug.get(name.casefold()) or by_slug.get(name)
    if found is not None:
        return found, None
    matches = by_name.get(name.casefold(), [])
    if len(matches) > 1:
        slugs = ", ".join(match.slug for match in matches)
        return None, _("“%(name)s” matches %(count)s entries; use its short name (%(slugs)s)") % {
            "name": name, "count": len(matches), "slugs": slugs}
    if matches:
        return matches[0], None
    return None, (missing or _("“%(name)s” is not in the directory")) % {"name": name}


def _institutions(row, values, lookups):
    links = []
    for item in LIST_SEPARATOR.split(values.get("institutions", "")):
        item = item.strip()
        if not item:
            continue
        name, role = item, RecordInstitution.Role.OTHER
        with_role = ROLE_PATTERN.match(item)
        if with_role:
            name, typed_role = with_role["name"].strip(), with_role["role"].strip()
            role = ROLES.get(typed_role.casefold())
            if role is None:
                row.errors.append(_("institutions: unknown role “%(role)s” for %(name)s; use vendor, deployer, "
                                    "partner or funder.") % {"role": typed_role, "name": name})
                continue
        institution, problem = _one_by_name(name, lookups.institutions_by_slug, lookups.institutions_by_name)
        if problem:
            row.errors.append(_("institutions: %(problem)s.") % {"problem": problem})
            continue
        links.append((institution, role))
    return list(dict.fromkeys(links))


def _tags(row, values):
    tags = []
    for name in LIST_SEPARATOR.split(values.get("tags", "")):
        name = " ".join(name.split())
        if not name or name in tags:
            continue
        if len(name) > _max_length(Tag, "name"):
            row.errors.append(_("tags: “%(tag)s…” is too long (at most %(limit)s characters).")
                              % {"tag": name[:20], "limit": _max_length(Tag, "name")})
        tags.append(name)
    return tags


def _url(row, values):
    url = values.get("source_url", "")
    if not url:
        return ""
    if "://" not in url:
        url = f"https://{url}"  # as the record form does: people paste "example.org/page"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        row.errors.append(_("source_url: “%(url)s” is not a web address.") % {"url": url[:80]})
        return ""
    if len(url) > _max_length(Source, "url"):
        row.errors.append(_("source_url: too long (at most %(limit)s characters).")
                          % {"limit": _max_length(Source, "url")})
    return url


def _source(row, values, lookups):
    """Which source the row cites: one the group has (same address, or same title without one) or a new one."""
    url = _url(row, values)
    title = _text(row, values, "source_title", model=Source, model_field="title")
    publisher = _text(row, values, "source_publisher", model=Source, model_field="publisher")
    published_on = _date(row, values, "source_published_on")
    citation = {
        "locator": _text(row, values, "locator", model=Citation),
        "excerpt": _text(row, values, "excerpt", model=Citation),
        "excerpt_language": _text(row, values, "excerpt_language", model=Citation),
        "translation": _text(row, values, "translation", model=Citation),
        "translator": _text(row, values, "translator", model=Citation),
    }
    if not url and not title:
        if any(citation.values()):
            row.errors.append(_("source_title: missing; an excerpt needs the source it is from (give source_title "
                              "or source_url)."))
        return None
    row.values["citation"] = citation
    if url:
        row.source_key = ("url", url_key(url))
        row.source = lookups.sources_by_url.get(url_key(url))
    else:
        row.source_key = ("title", title.casefold())
        row.source = lookups.sources_by_title.get(title.casefold())
    if row.source is None:
        if not title:
            row.errors.append(_("source_title: missing; your group has no source at this address yet, so give "
                              "the new source a title."))
            return None
        row.new_source = {"title": title, "url": url, "publisher": publisher, "published_on": published_on}
    return row.source


def check_row(number, values, lookups):
    """An ImportRow with the cleaned values and every problem found, each naming its column."""
    row = ImportRow(number=number)
    cleaned = row.values
    cleaned["title"] = _text(row, values, "title", required=True)
    cleaned["summary"] = _text(row, values, "summary", required=True)
    kind = values.get("kind", "")
    kinds = ", ".join(EvidenceRecord.Kind.values)
    cleaned["kind"] = KINDS.get(kind.casefold()) or KINDS.get(re.sub(r"[\s-]+", "_", kind.casefold()))
    if not kind:
        row.errors.append(_("kind: missing; use one of %(kinds)s.") % {"kinds": kinds})
    elif cleaned["kind"] is None:
        row.errors.append(_("kind: unknown kind “%(kind)s”; use one of %(kinds)s.") % {"kind": kind, "kinds": kinds})
    sector = values.get("sector", "")
    cleaned["sector"] = None
    if sector:
        cleaned["sector"], problem = _one_by_name(sector, lookups.sectors_by_slug, lookups.sectors_by_name,
                                                  missing=_("“%(name)s” is not in the list of sectors"))
        if problem:
            row.errors.append(_("sector: %(problem)s.") % {"problem": problem})
    cleaned["institutions"] = _institutions(row, values, lookups)
    cleaned["country"] = _text(row, values, "country")
    cleaned["place"] = _text(row, values, "place")
    cleaned["event_start"] = _date(row, values, "event_start")
    cleaned["event_end"] = _date(row, values, "event_end", end=True)
    start, end = cleaned["event_start"], cleaned["event_end"]
    if end and not start and not values.get("event_start"):
        row.errors.append(_("event_end: given without event_start; fill event_start, or use it alone for one day."))
    elif start and end and end < start:
        row.errors.append(_("event_end: the end comes before the start."))
    cleaned["language"] = _text(row, values, "language")
    cleaned["tags"] = _tags(row, values)
    protected = values.get("protected", "").casefold()
    if protected in TRUE_WORDS | FALSE_WORDS:
        cleaned["protected"] = protected in TRUE_WORDS
    else:
        row.errors.append(_("protected: “%(value)s” is not yes or no.") % {"value": values["protected"]})
    _source(row, values, lookups)
    return row


# Rows checked between two calls of check_table's `progress`.
PROGRESS_EVERY = 1000


def check_table(table, group, *, progress=None):
    """
    Every row of `table` checked for `group`, nothing saved. `progress(done, total)`, if given, is called before
    the first row and after every PROGRESS_EVERY rows.
    """
    lookups = Lookups(group)
    rows = []
    for number, values in table.rows:
        if progress is not None and len(rows) % PROGRESS_EVERY == 0:
            progress(len(rows), len(table.rows))
        rows.append(check_row(number, values, lookups))
    return Preview(format=table.format, ignored_columns=table.ignored_columns, rows=rows)


def read_upload(data, *, group, progress=None):
    """Read and check a file's bytes for `group`: a Preview, or ImportRefused saying why the file cannot be used."""
    return check_table(read_table(data), group, progress=progress)

"""
What a viewer may see of a group's evidence: the one place that decides it. Pages, templates, the API, search,
briefing packs (and the CSV/XLSX and briefing inside them) ask this module; none decides on its own.

Two questions, two places:
- may this viewer see this row at all? `EvidenceRecord.objects.visible_to(user)` (evidence/querysets.py), and
  `Institution.objects.visible_to(user)` for institutions. `visible_record_ids` and `annotate_cited` below ask it
  for things that point at records.
- which parts of a visible record? `disclose(viewer, record)` below, from the table:

  of a record        | member of the owner  | another group        | account in no group | outward      | public
                     | (any role)           | (a shared copy)      | (staff included)    | (see below)  | (see below)
  -------------------+----------------------+----------------------+---------------------+--------------+-------------
  the row            | every record of the  | verified, not        | none                | the group's  | verified, not
                     | group                | protected, shared    | (the site's groups, | own verified,| protected,
                     |                      | with it or with all  | not its accounts)   | not protected| marked public
  title, summary,    | yes                  | yes                  | -                   | yes          | yes
  facts, status      |                      |                      |                     |              |
  sources, excerpts  | all, protected too   | unprotected only     | -                   | unprotected  | unprotected
  translator's name  | yes                  | no                   | -                   | no           | no
  files              | yes                  | no                   | -                   | no           | no
  tags               | yes                  | no                   | -                   | no           | no
  people's names     | yes (logged, sub-    | no: "a member of the | -                   | no           | no
                     | mitted, decided by,  | group that logged it"|                     |              |
                     | who may verify now)  |                      |                     |              |
  institutions       | all it names         | the directory's and  | -                   | the direct-  | the direct-
                     |                      | its own groups' only |                     | ory's and    | ory's only
                     |                      |                      |                     | the group's  | (see below)
  history, sharing   | yes                  | no                   | -                   | no           | no
  comments           | yes (members with a  | no (none of theirs   | -                   | no           | no
                     | role that allows it  | either: nobody of    |                     |              |
                     | write; viewers read) | another group writes)|                     |              |

"Outward" is an audience outside every group on the site: the target, a ministry, the press, reading a briefing or
a letter the group sends (`Viewer.outward_of(group)`, rows from `outward_records`). It gets only the group's OWN
records: a record another group shared with us was shared with a group, not with the world. Within them it sees what
a shared copy shows, without even the courtesy line about who logged it: nothing of the group's members or inner
workings leaves with the letter.

"Public" is anyone on the web reading the public scoreboard of a published campaign (campaigns/public/): signed in
or not, every reader gets the same page (`Viewer.public()`, rows from `public_records`), so that a page can be
cached once for all. It sees a record only when its own group marked it public (evidence/services/publicity.py) and
it is verified and not protected; then what outward sees, except institutions: only the directory's. Marking public
is refused, and the mark withdrawn, for a record naming an institution only its group sees (`sharing_refusal`),
so the group's own never appear in practice; the filter here keeps it so for a row written around the services.

Search follows the same lines: a record's text is indexed in a shared and a private part (protected sources'
text and the names of institutions only its group sees are private: migrations 0005 and 0009 on PostgreSQL,
EvidenceRecordQuerySet.search on SQLite), and a shared copy is matched by its shared part only.

Staff are not members: `is_staff` adds nothing here; a staff account sees what its memberships give it.
A briefing pack sees as a member of the pack's group (`Viewer.for_pack`), and with `redact_protected` (the
default) also withholds its own group's protected sources and translators' names, as for a shared copy.

Pointers to records (a stance change's evidence, a target's evidence links, a campaign's recent evidence) do not
keep a snapshot of what was citable: every page, serializer and pack asks this policy again when it shows them.
A record the viewer may no longer see (reopened, protected, unshared, its share withdrawn) shows as "a record no
longer shared with you": no title, no link, no id. Asking again is simpler than keeping snapshots and cannot show
anything the owning group has since withdrawn; the cost is that a justification can lose its words, which the
owning group can restore by sharing the record again.

A deleted record (evidence/services/records.py `delete_record`) is gone for every viewer, its own group included:
its history rows keep who did what and when, not its content, and another group's stance change that cited it
says only that it cited a record since deleted.

A record that is shared must stay shareable: evidence/services/records.py re-checks
`EvidenceRecord.sharing_refusal` on every change (edit, institutions, marking protected, verification) and
withdraws the shares, with an audit row, when it no longer holds. This module still filters institutions on
shared copies, so a row written around the services (an import, the admin) cannot show another group's
institution either.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils.functional import cached_property

from accounts.permissions import roles_by_group

#
# Viewers
#


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the ids of the groups they are a member of, read once (one query per request)."""

    group_ids: frozenset = frozenset()
    signed_in: bool = False
    # A briefing pack with redaction on withholds the group's own protected material too.
    redact_own_protected: bool = False
    # Someone outside every group reads what the group sends out (an outward briefing, a letter).
    outward: bool = False

    @classmethod
    def of(cls, user):
        signed_in = bool(getattr(user, "is_authenticated", False) and user.is_active)
        return cls(group_ids=frozenset(roles_by_group(user)), signed_in=signed_in)

    @classmethod
    def for_pack(cls, pack):
        return cls(group_ids=frozenset({pack.group_id}), signed_in=True, redact_own_protected=pack.redact_protected)

    @classmethod
    def outward_of(cls, group_id):
        """The reader of something `group_id` sends out of the site (an outward briefing, a letter)."""
        return cls(group_ids=frozenset({group_id}), signed_in=True, redact_own_protected=True, outward=True)

    @classmethod
    def public(cls):
        """Anyone on the web reading the public scoreboard: no group, whoever is signed in (pages cached for all)."""
        return cls()

    @property
    def kind(self):
        """'member' (of some group), 'account' (signed in, no group: staff or not), 'outward' or 'public'."""
        if self.outward:
            return "outward"
        if not self.signed_in:
            return "public"
        return "member" if self.group_ids else "account"

    def owns(self, record):
        return record.group_id in self.group_ids

    def inside(self, record):
        """Whether the viewer reads `record` from inside its group: its files, tags, people and history."""
        return self.owns(record) and not self.outward

    def sees_institution(self, institution):
        return institution.added_by_group_id is None or institution.added_by_group_id in self.group_ids


def viewer_of(user):
    return Viewer.of(user)


#
# What a viewer sees of one record
#


@dataclass
class CitationShown:
    citation: object
    source: object
    translator: str


class RecordShown:
    """
    The parts of one record a viewer may see, and counts (never contents) of what was withheld. Citations and
    institutions are read when it is made; tags and people's names only when asked for, and only for the
    record's own group, so that a list that shows neither does not read them.
    """

    def __init__(self, viewer, record):
        own = viewer.owns(record)
        hide_protected = not own or viewer.redact_own_protected
        # Outward, the group's own record reads like a shared copy: no files, tags, people or history.
        self.record, self.shared_copy = record, not viewer.inside(record)
        self.files = self.history = not self.shared_copy
        # Comments are the group's conversation: read and written inside it only (accounts/comments.py).
        self.comments = not self.shared_copy
        self.citations, self.institution_links = [], []
        self.withheld_source_ids, self.withheld_fields = set(), 0
        for citation in record.citations.all():
            source = citation.source
            if source.protected and hide_protected:
                self.withheld_source_ids.add(source.pk)  # not even its title leaves the group
                continue
            translator = citation.translator
            if translator and hide_protected:
                # A translator is often a member named by hand: a member's name stays in the group.
                translator = ""
                self.withheld_fields += 1
            self.citations.append(CitationShown(citation=citation, source=source, translator=translator))
        for link in record.institution_links.all():
            if viewer.sees_institution(link.institution):
                self.institution_links.append(link)
            else:
                self.withheld_fields += 1  # another group keeps this institution to itself

    @cached_property
    def tags(self):
        return [] if self.shared_copy else list(self.record.tags.all())

    @cached_property
    def verifiers(self):
        """
        Who in the record's group may verify it now (a submitted record only): names, so for its own group alone;
        a shared copy is verified already and names no member of another group.
        """
        if self.shared_copy or self.record.status != "submitted":
            return []
        from evidence.services.records import who_can_verify

        return who_can_verify(self.record)

    def _name(self, user_field):
        return None if self.shared_copy else _username(getattr(self.record, user_field))

    @property
    def created_by(self):
        return self._name("created_by")

    @property
    def submitted_by(self):
        return self._name("submitted_by")

    @property
    def decided_by(self):
        return self._name("decided_by")


def _username(user):
    return user.username if user is not None else None


def disclose(viewer, record):
    """
    What `viewer` (a Viewer) may see of `record`, which the caller already got from visible_to. Reads the
    record's citations (with their sources) and institution links (with their institutions): prefetch them for a
    list, and `tags` and the people (select_related) where they are shown.
    """
    return RecordShown(viewer, record)


def alert_title(record):
    """
    The title a saved-search alert (an e-mail or an Atom feed, both leaving the site) may give `record`, already
    read through its recipient's visible_to; None unless the record's group lets alerts name its records
    (Group.alert_titles_shown, off by default). Nothing else of a record ever goes into an alert.
    """
    return record.title if record.group.alert_titles_shown else None


def visible_institution_links(viewer, record):
    """The record's institution links the viewer may see (the shared directory and their own groups')."""
    return [link for link in record.institution_links.all() if viewer.sees_institution(link.institution)]


def shared_with_everyone(viewer, record):
    """Whether the owner shares `record` with every group: the owner's choice, not told (None) to a group it reached."""
    return record.shared_with_everyone if viewer.inside(record) else None


def marked_public(viewer, record):
    """Whether the owner marked `record` public: its own members are told; None to a group it was shared with."""
    return record.marked_public if viewer.inside(record) else None


def member_name(viewer, record, user):
    """A person's name on `record` (submitted, decided, created by), or None where it must not be told."""
    return _username(user) if viewer.inside(record) else None


def outward_records(records, group):
    """
    Of `records` (a queryset already scoped with visible_to), those that may leave the site in what `group` sends
    out: its own, verified, not protected. Read them with `disclose(Viewer.outward_of(group.pk), record)`.
    """
    return records.filter(group=group, status="verified", protected=False)


def public_records():
    """
    Every record anyone on the web may read where a published campaign cites it: verified, not protected and
    marked public by its own group. Read them with `disclose(Viewer.public(), record)`. The one row rule of the
    "public" column; the scoreboard's pages ask nothing else.
    """
    from evidence.models import EvidenceRecord

    return EvidenceRecord.objects.filter(status="verified", protected=False, marked_public=True)


def cited_record_public(field="evidence"):
    """An expression for querysets of things citing a record through `field`: true when the record is public now."""
    return Exists(public_records().filter(pk=OuterRef(f"{field}_id")))


#
# Things that point at records
#


def visible_record_ids(user, ids):
    """Which of these record ids `user` may see now: one query, whatever the number."""
    from evidence.models import EvidenceRecord

    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return set()
    return set(EvidenceRecord.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def cited_record_visible(user, field="evidence"):
    """
    An expression for querysets of things citing a record through `field` (a stance change's evidence): true
    when `user` may see the cited record now. Annotate with it (`annotate_cited`) so a list costs no more queries.
    """
    from evidence.models import EvidenceRecord

    return Exists(EvidenceRecord.objects.visible_to(user).filter(pk=OuterRef(f"{field}_id")))


def annotate_cited(queryset, user, field="evidence"):
    """`queryset` with `cited_visible` on each row: whether `user` may see the record its `field` cites now."""
    return queryset.annotate(cited_visible=cited_record_visible(user, field))


def cited_record(obj, field="evidence"):
    """The record `obj` cites through `field`, if the viewer may still see it (`annotate_cited`), else None."""
    if getattr(obj, f"{field}_id", None) is None or not getattr(obj, "cited_visible", False):
        return None
    return getattr(obj, field)

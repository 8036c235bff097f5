"""
What evidence contributes to a group's backup (backups.archive collects it): the shared report and directory the
group's rows point to, and the group's own institutions, tags, sources, records, citations, files, imports and
source captures.
"""

from evidence.models import (
    Attachment,
    CaptureFile,
    Citation,
    EvidenceImport,
    EvidenceRecord,
    Institution,
    Recommendation,
    RecordInstitution,
    Relationship,
    Report,
    Right,
    Sector,
    Source,
    SourceCapture,
    Tag,
)


def shared_rows():
    """The report and the shared directory, which the group's rows point to; a site that has them keeps its own."""
    yield Report.objects.all()
    yield Recommendation.objects.all()
    yield Sector.objects.all()
    yield Right.objects.all()
    # Parents before children, so that each row loads after the one it points to.
    yield from _parents_first(Institution.objects.in_directory())
    yield Relationship.objects.all()


def _parents_first(institutions):
    remaining = list(institutions.order_by("pk"))
    loaded = set()
    while remaining:
        ready = [i for i in remaining if i.parent_id is None or i.parent_id in loaded
                 or i.parent_id not in {r.pk for r in remaining}]
        if not ready:  # a loop of parents: load the rest as they are
            ready = remaining
        loaded.update(i.pk for i in ready)
        remaining = [i for i in remaining if i.pk not in loaded]
        yield ready


def is_shared(obj):
    if isinstance(obj, Institution):
        return obj.added_by_group_id is None
    return isinstance(obj, Report | Recommendation | Sector | Right | Relationship)


def group_rows(group):
    """The group's own rows, each model after the ones it points to."""
    yield Institution.objects.filter(added_by_group=group)
    yield Tag.objects.filter(group=group)
    yield Source.objects.filter(group=group)
    yield EvidenceRecord.objects.filter(group=group)
    yield RecordInstitution.objects.filter(record__group=group)
    yield Citation.objects.filter(record__group=group)
    yield Attachment.objects.filter(group=group)
    yield EvidenceImport.objects.filter(group=group)
    yield SourceCapture.objects.filter(group=group)
    yield CaptureFile.objects.filter(group=group)


def export_entry(entry):
    """Sharing stays out of the archive: it names other groups, which a restore cannot have."""
    if entry["model"] == EvidenceRecord._meta.label_lower:
        entry["fields"]["shared_with"] = []
        entry["fields"]["shared_with_everyone"] = False


def record_exists(pk):
    return EvidenceRecord.objects.filter(pk=pk).exists()

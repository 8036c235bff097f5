"""
The rows of the evidence list (and its searches), rendered once per viewer's groups and row contents and then read
from the cache (accounts/fragments.py): fifty rows took about half of the page's Python.

`row_values` names everything a row shows; the row's template is given those values only, so what one group sees
of a record can never be served to another: the key names the viewer's groups and what disclosure let them see.
"""

from django.urls import reverse

from accounts.fragments import render_fragments
from evidence import disclosure
from evidence.models import EvidenceRecord, RecordInstitution

ROW_TEMPLATE = "evidence/_record_row.html"


def row_values(viewer, record, *, ticked):
    """What the row shows of `record` to `viewer`: the record's own fields, and the institutions disclosure allows."""
    return {
        "pk": record.pk,
        "title": record.title,
        "protected": record.protected,
        "kind": record.kind,
        "status": record.status,
        "group_name": record.group.name,
        "shared_copy": not viewer.owns(record),
        "ticked": ticked,
        "event_start": record.event_start,
        "event_end": record.event_end,
        "created_at": record.created_at,
        "institutions": tuple(
            (link.institution.slug, link.institution.name, link.institution.name_zh, link.role)
            for link in disclosure.visible_institution_links(viewer, record)
        ),
    }


def _label(choices, value):
    return str(choices(value).label) if value in choices.values else value


def _derived(values):
    """Labels and links, from the row's values alone (so that the key covers them)."""
    return {
        "url": reverse("evidence-detail", args=[values["pk"]]),
        "kind_label": _label(EvidenceRecord.Kind, values["kind"]),
        "status_label": _label(EvidenceRecord.Status, values["status"]),
        "institution_links": [
            {"url": reverse("institution-detail", args=[slug]), "name": name, "name_zh": name_zh,
             "role_label": _label(RecordInstitution.Role, role)}
            for slug, name, name_zh, role in values["institutions"]
        ],
    }


def record_rows(viewer, records, *, ticked=(), selectable):
    """The HTML of each record's row; `selectable`: whether the rows carry the bulk change's tick boxes."""
    viewer_part = {"group_ids": tuple(sorted(viewer.group_ids)), "kind": viewer.kind, "selectable": selectable}
    return render_fragments(ROW_TEMPLATE, [row_values(viewer, record, ticked=record.pk in ticked)
                                           for record in records], viewer=viewer_part, derive=_derived)

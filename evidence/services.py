"""Edits of the shared institution directory. Each is one transaction that also writes its history row."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.audit import record_change
from accounts.permissions import Action, can_in_any_group
from evidence.models import Institution, Relationship


def ensure_directory_editor(actor):
    if not can_in_any_group(actor, Action.EDIT_DIRECTORY):
        raise PermissionDenied("Only coordinators and site staff edit the institution directory.")


def _apply(institution, values):
    sectors = values.pop("sectors", None)
    for key, value in values.items():
        setattr(institution, key, value)
    institution.save()
    if sectors is not None:
        institution.sectors.set(sectors)


@transaction.atomic
def create_institution(*, actor, **values):
    ensure_directory_editor(actor)
    institution = Institution(slug=values.pop("slug"))
    _apply(institution, values)
    record_change(actor=actor, obj=institution, action="institution.created", after=institution.to_dict(),
                  group=None)
    return institution


@transaction.atomic
def update_institution(institution, *, actor, **values):
    ensure_directory_editor(actor)
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    before = institution.to_dict()
    _apply(institution, values)
    after = institution.to_dict()
    if after != before:
        changed = sorted(key for key in after if after[key] != before[key])
        record_change(actor=actor, obj=institution, action="institution.updated",
                      before={k: before[k] for k in changed}, after={k: after[k] for k in changed}, group=None)
    return institution


def _record_on_both_ends(actor, relationship, action, **snapshot):
    # Each end's history shows the link, whichever page it was added or removed from.
    for institution in (relationship.source_institution, relationship.target_institution):
        record_change(actor=actor, obj=institution, action=action, group=None, **snapshot)


@transaction.atomic
def add_relationship(*, actor, source_institution, target_institution, kind, note="", source=""):
    """Record a link; refuses (ValidationError) self-links, unknown kinds and a link already recorded."""
    ensure_directory_editor(actor)
    relationship = Relationship(
        source_institution=source_institution, target_institution=target_institution, kind=kind, note=note,
        source=source,
    )
    base = f"{source_institution.slug}-{kind}-{target_institution.slug}"[:72]
    relationship.slug, n = base, 1
    while Relationship.objects.filter(slug=relationship.slug).exists():
        n += 1
        relationship.slug = f"{base}-{n}"
    relationship.full_clean()
    relationship.save()
    _record_on_both_ends(actor, relationship, "relationship.added", after=relationship.to_dict())
    return relationship


@transaction.atomic
def remove_relationship(relationship, *, actor):
    ensure_directory_editor(actor)
    _record_on_both_ends(actor, relationship, "relationship.removed", before=relationship.to_dict())
    relationship.delete()

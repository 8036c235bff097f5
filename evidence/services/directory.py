"""
Edits of the institution directory. Each is one transaction that also writes its history row.

The shared directory is edited by coordinators (of any group) and site staff. An institution a group added for
itself while logging evidence is edited by that group's coordinators, and they alone add it to the shared
directory.
"""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.audit import record_change, record_diff
from accounts.permissions import Action, can, can_in_any_group
from evidence.models import Institution, Relationship


def ensure_directory_editor(actor, institution=None):
    """Raise unless `actor` may edit `institution` (or, without one, the shared directory)."""
    group = getattr(institution, "added_by_group", None)
    if group is not None:
        if not can(actor, Action.EDIT_DIRECTORY, group):
            raise PermissionDenied(_("Only coordinators of %(group)s edit the institutions it added.")
                                   % {"group": group.name})
    elif not can_in_any_group(actor, Action.EDIT_DIRECTORY):
        raise PermissionDenied(_("Only coordinators and site staff edit the institution directory."))


def _locked(institution):
    # Only the institution's row: PostgreSQL cannot lock the nullable side of the join to its group.
    return (Institution.objects.select_for_update(of=("self",)).select_related("added_by_group")
            .get(pk=institution.pk))


def _audit_group(institution):
    # A group's own institution keeps its history in that group; the shared directory's belongs to no group.
    return institution.added_by_group


def _private_slug(name):
    # A random ending, so that a slug taken by another group's private institution never shows it exists.
    return f"{slugify(name, allow_unicode=False)[:60] or 'institution'}-{secrets.token_hex(3)}"


@transaction.atomic
def add_group_institution(group, *, actor, name, **values):
    """An institution that only `group` sees, added by a member who logs evidence there."""
    if not can(actor, Action.LOG_EVIDENCE, group):
        raise PermissionDenied(_("Your role in this group does not allow that."))
    sectors = values.pop("sectors", None)
    institution = Institution(slug=_private_slug(name), name=name.strip(), added_by_group=group, **values)
    institution.full_clean()
    institution.save()
    if sectors:
        institution.sectors.set(sectors)
    record_diff(actor=actor, obj=institution, action="institution.created", before=None,
                  group=group)
    return institution


@transaction.atomic
def add_to_directory(institution, *, actor):
    """Make a group's own institution part of the shared directory, which every member on the site reads."""
    institution = _locked(institution)
    if institution.added_by_group is None:
        raise ValidationError(_("This institution is already in the shared directory."))
    ensure_directory_editor(actor, institution)
    group = institution.added_by_group
    institution.added_by_group = None
    institution.save(update_fields=["added_by_group", "updated_at"])
    record_change(actor=actor, obj=institution, action="institution.published", group=group,
                  before={"only_for": group.slug}, after={"only_for": None})
    return institution


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
    record_diff(actor=actor, obj=institution, action="institution.created", before=None,
                  group=None)
    return institution


@transaction.atomic
def update_institution(institution, *, actor, **values):
    institution = _locked(institution)
    ensure_directory_editor(actor, institution)
    before = institution.to_dict()
    _apply(institution, values)
    record_diff(actor=actor, obj=institution, action="institution.updated", before=before,
                group=_audit_group(institution))
    return institution


def _record_on_both_ends(actor, relationship, action, **snapshot):
    # Each end's history shows the link, whichever page it was added or removed from.
    for institution in (relationship.source_institution, relationship.target_institution):
        record_change(actor=actor, obj=institution, action=action, group=None, **snapshot)


@transaction.atomic
def add_relationship(*, actor, source_institution, target_institution, kind, note="", source=""):
    """
    Record a link; refuses (ValidationError) self-links, unknown kinds, a link already recorded, and a link to a
    group's own institution (shown on the shared institution's page, it would tell other groups it exists).
    """
    ensure_directory_editor(actor)
    if source_institution.added_by_group_id or target_institution.added_by_group_id:
        raise ValidationError(_("Add both institutions to the shared directory before linking them."))
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

"""
Changes to campaigns. Each verb is one transaction that checks the actor's role in the campaign's group, applies
the rules and writes the history row (accounts.audit.record_change) with what changed. Pages, the API and the
evidence list's bulk action call these; nothing else writes campaign rows.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_change, record_diff
from accounts.files import store
from accounts.ids import in_ascending_ids
from accounts.models import Membership
from accounts.permissions import Action, can, ensure_can
from campaigns.models import (
    AskBatch,
    BriefingPack,
    Campaign,
    Interaction,
    InteractionAttachment,
    StanceChange,
    Target,
    TargetEvidence,
    Task,
)
from campaigns.packs.scope import clean_search_query, describe_search, search_filterset
from campaigns.tasks import build_briefing_pack
from evidence.attachments import check_upload
from evidence.models import EvidenceRecord, Institution

CAMPAIGN_FIELDS = {"title", "goal", "status", "starts_on", "ends_on", "lead", "public_summary"}
TARGET_FIELDS = {"ask", "priority", "owner", "next_step", "next_step_due", "contact_emails"}
TASK_FIELDS = {"title", "target", "assignee", "due_on"}


def _ensure_member(user, group, field):
    """People named on a campaign (lead, owner, assignee) must belong to its group."""
    if user is not None and not Membership.objects.filter(user=user, group=group).exists():
        raise ValidationError({field: _("%(username)s is not a member of %(group)s.")
                                      % {"username": user.username, "group": group.name}})


def _unknown(fields, allowed):
    extra = set(fields) - allowed
    if extra:
        raise TypeError(f"Unknown fields: {', '.join(sorted(extra))}")


#
# Campaigns
#


@transaction.atomic
def create_campaign(group, *, actor, recommendations=(), **fields):
    _unknown(fields, CAMPAIGN_FIELDS)
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, group)
    _ensure_member(fields.get("lead"), group, "lead")
    campaign = Campaign(group=group, created_by=actor, **fields)
    campaign.full_clean(exclude=["group", "recommendations"])
    campaign.save()
    campaign.recommendations.set(recommendations)
    record_diff(actor=actor, obj=campaign, action="campaign.created", before=None)
    return campaign


@transaction.atomic
def update_campaign(campaign, *, actor, recommendations=None, **fields):
    _unknown(fields, CAMPAIGN_FIELDS)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, campaign.group)
    if "lead" in fields:
        _ensure_member(fields["lead"], campaign.group, "lead")
    before = campaign.to_dict()
    for key, value in fields.items():
        setattr(campaign, key, value)
    campaign.full_clean(exclude=["group", "recommendations"])
    campaign.save()
    if recommendations is not None:
        campaign.recommendations.set(recommendations)
    record_diff(actor=actor, obj=campaign, action="campaign.updated", before=before)
    return campaign


#
# Targets
#


@transaction.atomic
def add_targets(campaign, *, actor, institutions, ask, priority=Target.Priority.MEDIUM, owner=None, next_step="",
                next_step_due=None, batch_title="", sent_on=None, reply_due=None):
    """
    Target each institution with `ask`; institutions the campaign already targets are skipped. With a
    `batch_title` the ask is recorded as one batch sent to all of them on `sent_on` (default today), and the reply
    date becomes each target's next step. Returns (batch or None, the new targets).
    """
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, campaign.group)
    _ensure_member(owner, campaign.group, "owner")
    if not ask.strip():
        raise ValidationError({"ask": _("Say what the institutions are asked to do.")})
    institutions = list(dict.fromkeys(institutions))
    if not institutions:
        raise ValidationError({"institutions": _("Choose at least one institution.")})
    # The directory may hold institutions a group keeps to itself: target only those the actor can see.
    visible = Institution.objects.visible_to(actor).filter(pk__in=[i.pk for i in institutions]).count()
    if visible != len(institutions):
        raise ValidationError({"institutions": _("Choose institutions from the directory.")})
    already = set(campaign.targets.filter(institution__in=institutions).values_list("institution_id", flat=True))
    if len(already) == len(institutions):
        raise ValidationError({"institutions": _("The campaign already targets every one of these institutions.")})
    batch = None
    if batch_title.strip():
        batch = AskBatch(campaign=campaign, title=batch_title.strip(), ask=ask, created_by=actor,
                         sent_on=sent_on or timezone.localdate(), reply_due=reply_due)
        if reply_due and reply_due < batch.sent_on:
            raise ValidationError({"reply_due": _("The reply date must come after the ask was sent.")})
        batch.save()
        record_diff(actor=actor, obj=batch, action="batch.created", before=None)
        if reply_due and not next_step_due:
            next_step = next_step or _("Chase a reply to “%(batch)s”") % {"batch": batch.title}
            next_step_due = reply_due
    targets = []
    for institution in institutions:
        if institution.pk in already:
            continue
        target = Target(campaign=campaign, institution=institution, ask=ask, priority=priority, owner=owner,
                        next_step=next_step, next_step_due=next_step_due, batch=batch)
        target.full_clean(exclude=["campaign", "institution", "batch", "owner"])
        target.save()
        record_diff(actor=actor, obj=target, action="target.added", before=None)
        targets.append(target)
    return batch, targets


@transaction.atomic
def update_target(target, *, actor, **fields):
    """Change the ask, priority, owner or next step. The status moves only through advance_target."""
    _unknown(fields, TARGET_FIELDS)
    target = Target.objects.select_for_update().select_related("campaign__group", "institution").get(pk=target.pk)
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, target.campaign.group)
    if "owner" in fields:
        _ensure_member(fields["owner"], target.campaign.group, "owner")
    before = target.to_dict()
    for key, value in fields.items():
        setattr(target, key, value)
    target.full_clean(exclude=["campaign", "institution", "batch", "owner"])
    target.save()
    record_diff(actor=actor, obj=target, action="target.updated", before=before)
    return target


def _check_justification(target, actor, interaction, evidence):
    if interaction is not None and interaction.target_id != target.pk:
        raise ValidationError({"interaction": _("Cite an interaction with this institution.")})
    if evidence is not None and not EvidenceRecord.objects.visible_to(actor).filter(pk=evidence.pk).exists():
        raise ValidationError({"evidence": _("Cite an evidence record you can see.")})


def _move(target, *, actor, to_status, note, interaction, evidence):
    """Move a locked target and keep the change on its stance timeline. The caller holds the transaction."""
    if to_status not in Target.Status.values:
        raise ValidationError({"to_status": _("“%(status)s” is not a status of the pipeline.") % {"status": to_status}})
    if to_status == target.status:
        raise ValidationError({"to_status": _("The target already has this status.")})
    _check_justification(target, actor, interaction, evidence)
    change = StanceChange(target=target, from_status=target.status, to_status=to_status, changed_by=actor,
                          note=note.strip(), interaction=interaction, evidence=evidence)
    change.full_clean(exclude=["target", "changed_by", "interaction", "evidence"])
    change.clean()
    change.save()
    before = target.to_dict()
    target.status, target.status_changed_at = to_status, timezone.now()
    fields = ["status", "status_changed_at", "updated_at"]
    # A settled institution did what was asked: the step that chased it (and its date) would stay on the lists
    # of what is due, and print in packs, as if something were still owed.
    if to_status in Target.SETTLED and (target.next_step or target.next_step_due):
        target.next_step, target.next_step_due = "", None
        fields += ["next_step", "next_step_due"]
    target.save(update_fields=fields)
    after = {**target.to_dict(), "justification": (f"interaction:{interaction.pk}" if interaction else
                                                    f"evidence:{evidence.pk}" if evidence else None)}
    changed = [key for key in ("status", "next_step", "next_step_due") if before.get(key) != after.get(key)]
    record_change(actor=actor, obj=target, action="target.advanced", before={key: before.get(key) for key in changed},
                  after={**{key: after.get(key) for key in changed}, "justification": after["justification"],
                         "note": change.note})
    return change


@transaction.atomic
def advance_target(target, *, actor, to_status, note="", interaction=None, evidence=None):
    """
    Move a target along the pipeline. A move to committed, complied, refused or backslid must cite an interaction
    with this target or an evidence record the actor can see. Returns the StanceChange.
    """
    target = Target.objects.select_for_update().select_related("campaign__group", "institution").get(pk=target.pk)
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, target.campaign.group)
    return _move(target, actor=actor, to_status=to_status, note=note, interaction=interaction, evidence=evidence)


#
# Interactions
#


@transaction.atomic
def log_interaction(target, *, actor, kind, direction, occurred_on, summary, outcome="", files=(), move_to="",
                    note=""):
    """
    Log a letter, meeting, reply … with a target, with its files. With `move_to` the target also moves to that
    status, justified by this interaction (that needs the right to run the campaign, not just to log).
    """
    target = Target.objects.select_for_update().select_related("campaign__group", "institution").get(pk=target.pk)
    group = target.campaign.group
    ensure_can(actor, Action.LOG_INTERACTION, group)
    if move_to:
        ensure_can(actor, Action.MANAGE_CAMPAIGNS, group)
    interaction = Interaction(target=target, kind=kind, direction=direction, occurred_on=occurred_on,
                              summary=summary, outcome=outcome, created_by=actor)
    interaction.full_clean(exclude=["target", "created_by"])
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": _("An interaction that has not happened yet cannot be logged.")})
    interaction.save()
    record_change(actor=actor, obj=target, action="interaction.logged",
                  after={"interaction": interaction.pk, **interaction.to_dict()})
    interaction.stance_change = None
    if move_to:
        interaction.stance_change = _move(target, actor=actor, to_status=move_to, note=note,
                                          interaction=interaction, evidence=None)
    # Last, so that nothing after it can roll the rows back and leave the stored files behind.
    interaction.stored_attachments = add_attachments(interaction, actor=actor, files=files, group=group)
    return interaction


def add_attachments(interaction, *, actor, files, group=None):
    """
    Store checked files in private storage and attach them to an interaction. A refused file refuses them all and
    none is written; files written for rows that then fail are removed again.
    """
    group = group or interaction.target.campaign.group
    ensure_can(actor, Action.LOG_INTERACTION, group)
    checked = [(uploaded_file, check_upload(uploaded_file)) for uploaded_file in files]

    def audit(attachment):
        record_change(actor=actor, obj=interaction.target, action="interaction.attachment_added",
                      after={"interaction": interaction.pk, "attachment": attachment.original_name,
                             "sha256": attachment.sha256})

    return store(InteractionAttachment, checked, actor=actor, audit=audit, group=group, interaction=interaction)


#
# Evidence
#


def _visible_records(actor, records):
    pks = [record.pk for record in records]
    visible = set(EvidenceRecord.objects.visible_to(actor).filter(pk__in=pks).values_list("pk", flat=True))
    return visible


@transaction.atomic
def add_evidence_to_target(*, actor, target, records):
    """
    Link evidence records to a target (the evidence list's bulk action uses this). Every record must be one the
    actor can see; records already linked are skipped. Returns how many were added.
    """
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, target.campaign.group)
    records = list(dict.fromkeys(records))
    visible = _visible_records(actor, records)
    hidden = [record for record in records if record.pk not in visible]
    if hidden:
        raise ValidationError({"records": _("Only evidence you can see can be linked.")})
    linked = set(target.evidence_links.values_list("record_id", flat=True))
    new = [record for record in records if record.pk not in linked]
    TargetEvidence.objects.bulk_create(in_ascending_ids(TargetEvidence(target=target, record=record, added_by=actor)
                                                        for record in new))
    if new:
        record_change(actor=actor, obj=target, action="target.evidence_linked",
                      after={"evidence": sorted(record.pk for record in new)})
    return len(new)


def link_evidence(target, *, actor, record):
    """Link one record; a ValidationError if it is already linked or the actor cannot see it."""
    if not add_evidence_to_target(actor=actor, target=target, records=[record]):
        raise ValidationError({"record": _("This record is already linked to the target.")})


@transaction.atomic
def unlink_evidence(target, *, actor, record):
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, target.campaign.group)
    deleted = TargetEvidence.objects.filter(target=target, record=record).delete()[0]
    if deleted:
        record_change(actor=actor, obj=target, action="target.evidence_unlinked", before={"evidence": [record.pk]})
    return bool(deleted)


@transaction.atomic
def mark_key_evidence(target, *, actor, record, key):
    """
    Mark a linked record as key evidence for this target, or no longer: key evidence comes first in outward
    briefings and is what letters to the target list. False if the record is not linked to the target.
    """
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, target.campaign.group)
    link = TargetEvidence.objects.select_for_update().filter(target=target, record=record).first()
    if link is None:
        return False
    if link.key != key:
        link.key = key
        link.save(update_fields=["key"])
        record_change(actor=actor, obj=target, action="target.key_evidence_marked" if key
                      else "target.key_evidence_unmarked", after={"evidence": [record.pk], "key": key})
    return True


#
# Tasks
#


def _check_task_fields(campaign, fields):
    if "assignee" in fields:
        _ensure_member(fields["assignee"], campaign.group, "assignee")
    target = fields.get("target")
    if target is not None and target.campaign_id != campaign.pk:
        raise ValidationError({"target": _("Choose a target of this campaign.")})


@transaction.atomic
def create_task(campaign, *, actor, **fields):
    _unknown(fields, TASK_FIELDS)
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, campaign.group)
    _check_task_fields(campaign, fields)
    task = Task(campaign=campaign, created_by=actor, **fields)
    task.full_clean(exclude=["campaign", "target", "assignee"])
    task.save()
    record_diff(actor=actor, obj=task, action="task.created", before=None)
    return task


@transaction.atomic
def update_task(task, *, actor, **fields):
    _unknown(fields, TASK_FIELDS)
    task = Task.objects.select_for_update().select_related("campaign__group").get(pk=task.pk)
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, task.campaign.group)
    _check_task_fields(task.campaign, fields)
    before = task.to_dict()
    for key, value in fields.items():
        setattr(task, key, value)
    task.full_clean(exclude=["campaign", "target", "assignee"])
    task.save()
    record_diff(actor=actor, obj=task, action="task.updated", before=before)
    return task


@transaction.atomic
def complete_task(task, *, actor, done=True):
    """
    Mark a task done (or not done again). Campaigners and coordinators may; so may its assignee if their role lets
    them log interactions, so volunteers tick off their own work.
    """
    task = Task.objects.select_for_update().select_related("campaign__group").get(pk=task.pk)
    group = task.campaign.group
    if not (can(actor, Action.MANAGE_CAMPAIGNS, group)
            or (task.assignee_id == actor.pk and can(actor, Action.LOG_INTERACTION, group))):
        raise PermissionDenied(_("Your role in this group does not allow that."))
    if task.done == done:
        return task
    before = task.to_dict()
    task.done_at, task.done_by = (timezone.now(), actor) if done else (None, None)
    task.save(update_fields=["done_at", "done_by"])
    record_diff(actor=actor, obj=task, action="task.completed" if done else "task.reopened", before=before)
    return task


#
# Briefing packs
#


def _pack_scope(group, actor, scope, campaign, target, institution, search_query):
    """Check the scope's object is the group's (and one the actor sees); returns (fields, scope label)."""
    Scope = BriefingPack.Scope
    if scope == Scope.CAMPAIGN:
        if campaign is None or not Campaign.objects.visible_to(actor).filter(pk=campaign.pk, group=group).exists():
            raise ValidationError({"campaign": _("Choose a campaign of this group.")})
        return {"campaign": campaign}, f"Campaign: {campaign.title}"
    if scope == Scope.TARGET:
        if target is None or not Target.objects.visible_to(actor).filter(pk=target.pk,
                                                                         campaign__group=group).exists():
            raise ValidationError({"target": _("Choose a target of this group's campaigns.")})
        return {"target": target}, f"Target: {target.institution.name} ({target.campaign.title})"
    if scope == Scope.INSTITUTION:
        visible = Institution.objects.visible_to(actor).available_to(group)
        if institution is None or not visible.filter(pk=institution.pk).exists():
            raise ValidationError({"institution": _("Choose an institution of the directory.")})
        return {"institution": institution}, f"Institution: {institution.name}"
    if scope == Scope.SEARCH:
        query = clean_search_query(search_query)
        if len(query) > BriefingPack._meta.get_field("search_query").max_length:
            raise ValidationError({"search_query": _("The search is too long to save.")})
        filterset = search_filterset(query, actor, EvidenceRecord.objects.none())
        if not filterset.is_valid():
            raise ValidationError({"search_query": [f"{name}: {' '.join(errors)}"
                                                    for name, errors in filterset.errors.items()]})
        return {"search_query": query}, describe_search(query)[:300]
    raise ValidationError({"scope": _("Choose what the pack covers.")})


@transaction.atomic
def request_pack(group, *, actor, scope, campaign=None, target=None, institution=None, search_query="",
                 redact_protected=True, include_attachments=False, only_verified=False,
                 language=BriefingPack.Language.EN, kind=BriefingPack.Kind.INTERNAL, executive_summary=""):
    """
    Ask the worker for a briefing pack of `group` (coordinators only), internal or outward. Protected material is
    withheld unless the coordinator turns `redact_protected` off, which the audit log records as its own entry.
    An outward pack leaves the group, so it never carries protected material, drafts or files, whatever is asked.
    """
    ensure_can(actor, Action.GENERATE_PACKS, group)
    if language not in BriefingPack.Language.values:
        raise ValidationError({"language": _("Choose English or Simplified Chinese.")})
    if kind not in BriefingPack.Kind.values:
        raise ValidationError({"kind": _("Choose an internal or an outward briefing.")})
    if kind == BriefingPack.Kind.OUTWARD:
        redact_protected, include_attachments, only_verified = True, False, True
    fields, label = _pack_scope(group, actor, scope, campaign, target, institution, search_query)
    pack = BriefingPack.objects.create(
        group=group, requested_by=actor, scope=scope, scope_label=label[:300], redact_protected=redact_protected,
        include_attachments=include_attachments, only_verified=only_verified, language=language, kind=kind,
        executive_summary=executive_summary, **fields)
    record_diff(actor=actor, obj=pack, action="pack.requested", before=None)
    if not redact_protected:
        record_change(actor=actor, obj=pack, action="pack.protected_included",
                      after={"scope_label": pack.scope_label})
    pack.enqueue(build_briefing_pack)
    return pack


@transaction.atomic
def retry_pack(pack, *, actor):
    """Queue a failed pack again, from nothing."""
    pack = BriefingPack.objects.select_for_update().select_related("group").get(pk=pack.pk)
    ensure_can(actor, Action.GENERATE_PACKS, pack.group)
    error = pack.error
    if not pack.retry(build_briefing_pack):
        raise ValidationError(_("Only a failed pack can be tried again."))
    record_change(actor=actor, obj=pack, action="pack.retried", before={"status": "failed", "error": error},
                  after={"status": pack.status})
    return pack


@transaction.atomic
def record_pack_download(pack, *, actor):
    """Every download is a sensitive action: checked again and written to the group's audit log."""
    ensure_can(actor, Action.GENERATE_PACKS, pack.group)
    record_change(actor=actor, obj=pack, action="pack.downloaded",
                  after={"sha256": pack.sha256, "size": pack.size, "scope_label": pack.scope_label})

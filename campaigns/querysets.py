"""
How campaign data is read. Every queryset starts from visible_to(user) (accounts/scoping.py); the helpers here
narrow it: what is overdue, what is due for one person, how a batch of asks fared, which evidence fits a target.
"""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery

from accounts.scoping import GroupScopedQuerySet


class CampaignQuerySet(GroupScopedQuerySet):
    def for_list(self):
        return (self.select_related("group", "lead").annotate(target_count=Count("targets", distinct=True))
                .order_by("-created_at", "-pk"))

    def live(self):
        """Campaigns still under way: their targets and tasks may be chased."""
        return self.exclude(status__in=self.model.FINISHED)


class TargetQuerySet(GroupScopedQuerySet):
    def for_list(self):
        return self.select_related("institution", "owner", "campaign", "batch")

    def chased(self):
        """Targets someone should follow up: not settled (committed, complied), in a campaign still under way."""
        from campaigns.models import Campaign

        return self.exclude(status__in=self.model.SETTLED).exclude(campaign__status__in=Campaign.FINISHED)

    def overdue(self, today):
        return self.chased().filter(next_step_due__lt=today)

    def due_for(self, user, until):
        """The user's targets whose next step is due by `until`, overdue ones included."""
        return self.chased().filter(owner=user, next_step_due__lte=until)

    def count_by_status(self):
        """{status: count}, one query."""
        return dict(self.order_by().values_list("status").annotate(n=Count("pk")))


class TaskQuerySet(GroupScopedQuerySet):
    def for_list(self):
        return self.select_related("campaign", "target__institution", "assignee", "done_by")

    def open(self):
        """Tasks not done, in campaigns still under way."""
        from campaigns.models import Campaign

        return self.filter(done_at__isnull=True).exclude(campaign__status__in=Campaign.FINISHED)

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)

    def due_for(self, user, until):
        """Tasks assigned to the user that are due by `until`, overdue ones included."""
        return self.open().filter(assignee=user, due_on__lte=until)


class InteractionQuerySet(GroupScopedQuerySet):
    def for_list(self):
        return self.select_related("target__institution", "target__campaign", "created_by").prefetch_related(
            "attachments")


@dataclass
class BatchStats:
    total: int = 0
    answered: int = 0
    answered_on_time: int | None = 0  # None when the batch set no reply date
    committed: int = 0

    def share(self, count):
        return round(100 * count / self.total) if self.total and count is not None else 0

    @property
    def answered_share(self):
        return self.share(self.answered)

    @property
    def on_time_share(self):
        return self.share(self.answered_on_time)

    @property
    def committed_share(self):
        return self.share(self.committed)


class AskBatchQuerySet(GroupScopedQuerySet):
    def for_list(self):
        return self.select_related("campaign", "campaign__group")

    def with_stats(self):
        """The batches as a list, each with `.stats` (see attach_batch_stats)."""
        return attach_batch_stats(list(self))


def attach_batch_stats(batches):
    """
    Give each batch `.stats`: of its targets, how many answered (a received interaction on or after the day the
    ask was sent), how many answered by the reply date, how many committed or complied. One query for all the
    batches' targets, however many there are.
    """
    from campaigns.models import Interaction, Target

    for batch in batches:
        batch.stats = BatchStats(answered_on_time=0 if batch.reply_due else None)
    if not batches:
        return batches
    first_reply = (
        Interaction.objects.filter(target=OuterRef("pk"), direction=Interaction.Direction.RECEIVED,
                                   occurred_on__gte=OuterRef("batch__sent_on"))
        .order_by("occurred_on").values("occurred_on")[:1]
    )
    rows = (Target.objects.filter(batch__in=[batch.pk for batch in batches]).order_by()
            .annotate(first_reply=Subquery(first_reply)).values_list("batch_id", "status", "first_reply"))
    by_pk = {batch.pk: batch for batch in batches}
    for batch_id, status, replied_on in rows:
        batch = by_pk[batch_id]
        stats = batch.stats
        stats.total += 1
        if replied_on is not None:
            stats.answered += 1
            if batch.reply_due and replied_on <= batch.reply_due:
                stats.answered_on_time += 1
        if status in Target.SETTLED:
            stats.committed += 1
    return batches


def suggested_evidence(target, user):
    """
    Evidence the user may see that involves the target's institution or an institution related to it (a
    relationship in either direction), not yet linked to the target. One query.
    """
    from evidence.models import EvidenceRecord, Institution, RecordInstitution

    institution = target.institution_id
    related = Institution.objects.filter(
        Q(pk=institution) | Q(relationships_in__source_institution=institution)
        | Q(relationships_out__target_institution=institution)
    ).values("pk")
    involved = RecordInstitution.objects.filter(institution__in=related).values("record_id")
    linked = target.evidence_links.values("record_id")
    return (EvidenceRecord.objects.visible_to(user).filter(pk__in=involved).exclude(pk__in=linked)
            .select_related("group").order_by("-created_at"))


def linked_evidence(target, user):
    """The target's evidence links whose record the user may still see (sharing can be withdrawn)."""
    from campaigns.models import TargetEvidence
    from evidence.models import EvidenceRecord

    return (TargetEvidence.objects.visible_to(user).filter(target=target,
                                                           record__in=EvidenceRecord.objects.visible_to(user))
            .select_related("record__group", "added_by"))


from django.db import models

from accounts.scoping import GroupScopedQuerySet


class InstitutionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The directory is shared reference data: every signed-in, active user reads all of it."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.all()

    def search(self, text):
        """Match the name, the Chinese name or any alias, ignoring case."""
        text = (text or "").strip().casefold()
        if not text:
            return self
        return self.filter(search_text__contains=text)

    def for_list(self):
        return self.prefetch_related("sectors")


class EvidenceRecordQuerySet(GroupScopedQuerySet):
    def visible_to(self, user):
        """
        The records of the user's groups, plus verified, unprotected records another group shared with one of
        them or with everyone. Protected fields of shared records are redacted where they are shown.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        my_groups = self._member_group_ids(user)
        shared_with_mine = self.model.shared_with.through.objects.filter(group_id__in=my_groups)
        shared = models.Q(status="verified", protected=False) & (
            models.Q(shared_with_everyone=True) | models.Q(pk__in=shared_with_mine.values("evidencerecord_id"))
        )
        return self.filter(models.Q(group__in=my_groups) | shared)

    def owned_by_groups_of(self, user):
        """Only the records of the user's own groups (what they may change), never shared ones."""
        return super().visible_to(user)

    def for_list(self):
        return self.select_related("group", "sector").prefetch_related("institution_links__institution", "tags")

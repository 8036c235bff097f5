from django.db import models

from accounts.scoping import GroupScopedQuerySet, acting_group_ids

# Words so common in institutions' names that sharing one says nothing about being the same institution.
GENERIC_NAME_WORDS = {
    "technology", "technologies", "tech", "company", "limited", "ltd.", "ltd", "co.,", "co.", "corporation",
    "group", "holdings", "information", "intelligent", "intelligence", "science", "digital", "systems",
    "network", "networks", "bureau", "public", "security", "ministry", "department", "university", "school",
    "institute", "research", "china", "chinese", "national", "international", "province", "city", "municipal",
    "the", "and", "with",
}


class InstitutionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """
        The shared directory, which every signed-in, active user reads, and the institutions the user's own
        groups added for themselves.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(models.Q(added_by_group__isnull=True)
                           | models.Q(added_by_group__in=acting_group_ids(user)))

    def available_to(self, group):
        """What a record of `group` may name: the shared directory and the group's own institutions."""
        return self.filter(models.Q(added_by_group__isnull=True) | models.Q(added_by_group=group))

    def in_directory(self):
        return self.filter(added_by_group__isnull=True)

    def resembling(self, name):
        """
        Institutions whose name, Chinese name or an alias contains `name` or one of its distinctive words: the
        likely duplicates of a new institution called `name` ("Hikvision" for "Hikvision Digital Technology",
        海康威视 for 海康威视数字技术).
        """
        folded = " ".join((name or "").casefold().split())
        if not folded:
            return self.none()
        matches = models.Q(search_text__contains=folded)
        for word in set(folded.split()) - GENERIC_NAME_WORDS:
            if word.isascii() and len(word) >= 4:
                # At the start of a word, so that "vision" does not find "Hikvision".
                matches |= (models.Q(search_text__startswith=word) | models.Q(search_text__contains=f" {word}")
                            | models.Q(search_text__contains=f"\n{word}"))
            elif not word.isascii() and len(word) >= 4:
                # Chinese names run together; their first four characters are usually the distinctive part.
                matches |= models.Q(search_text__contains=word[:4])
        return self.filter(matches)

    def search(self, text):
        """Match the name, the Chinese name or any alias, ignoring case."""
        text = (text or "").strip().casefold()
        if not text:
            return self
        return self.filter(search_text__contains=text)

    def for_list(self):
        return self.prefetch_related("sectors")


class _Unestimated(models.Expression):
    """
    A list of ids that PostgreSQL reads as a subquery, so that it does not plan with them. Given the user's group
    as a constant in visible_to's OR, it combined that group's rows and every verified row from two indexes for a
    common word, and read 10,000 matches (30 ms) rather than walk the newest records until it had 1,001 (10 ms).
    """

    output_field = models.BigIntegerField()

    def __init__(self, ids):
        super().__init__()
        self.ids = list(ids)

    def as_sql(self, compiler, connection):
        placeholders = ", ".join(["%s"] * len(self.ids))
        return f"({placeholders})", self.ids

    def as_postgresql(self, compiler, connection):
        return "(SELECT unnest(%s::bigint[]))", [self.ids]


class EvidenceRecordQuerySet(GroupScopedQuerySet):
    def visible_to(self, user):
        """
        The records of the user's groups, plus verified, unprotected records another group shared with one of
        them or with every group. Protected fields of shared records are redacted where they are shown
        (evidence/disclosure.py).
        "Every group" means the groups on the site, not every account: an account that acts in no group (site
        staff, someone removed from their last group, or whose only group waits for their second factor) sees no
        group's records at all.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        my_groups = self._member_group_ids(user)
        if not my_groups:
            return self.none()
        shared_with_mine = self.model.shared_with.through.objects.filter(group_id__in=my_groups)
        shared = models.Q(status="verified", protected=False) & (
            models.Q(shared_with_everyone=True)
            | models.Q(pk__in=shared_with_mine.values("evidencerecord_id"))
        )
        return self.filter(models.Q(group__in=_Unestimated(my_groups)) | shared)

    def waiting_for(self, user):
        """
        Submitted records waiting for `user`'s verification: in the groups where their role may verify, and never
        one they logged or submitted themselves (the two-person check of evidence/services/records.py; a person's
        own record is not "waiting for them" even where another member submitted it).
        """
        from accounts.permissions import Action

        return (self.writable_by(user, Action.VERIFY_EVIDENCE).filter(status="submitted")
                .exclude(submitted_by=user).exclude(created_by=user))

    def logged_by(self, user):
        """Records of `user`'s own groups that they logged or submitted."""
        return self.owned_by_groups_of(user).filter(models.Q(created_by=user) | models.Q(submitted_by=user))

    def owned_by_groups_of(self, user):
        """Only the records of the user's own groups (what they may change), never shared ones."""
        return super().visible_to(user)

    def without_search_documents(self):
        # The search documents are for the database's index only; reading them would fetch kilobytes a row.
        return self.defer("search_document", "private_search_document")

    def for_list(self):
        return (self.select_related("group", "sector").without_search_documents()
                .prefetch_related("institution_links__institution", "tags"))

    def naming(self, institutions):
        """
        Records that name any of `institutions` (Institution objects, ids, or a queryset, which is read first), each
        once: a semi-join, with no DISTINCT to stop a page at its last row. Given the ids themselves rather than a
        subquery, PostgreSQL estimates from its statistics how many records name them and plans accordingly (an
        institution 7,000 records name: 10 ms for a page instead of 25, 8 ms for the count instead of 18).
        """
        from evidence.models import RecordInstitution

        if isinstance(institutions, models.QuerySet):
            institutions = list(institutions.values_list("pk", flat=True))
        return self.filter(pk__in=RecordInstitution.objects.filter(institution__in=institutions).values("record_id"))

    def search(self, text, *, user):
        """
        Records matching every word of `text` in their title, summary, excerpts, translations, source titles, or
        institution names and aliases. On another group's shared record, protected sources and institutions only
        that group sees are not searched: a hit would reveal them (evidence/disclosure.py).
        On PostgreSQL this looks words up in the full-text index of migration 0005, best matches first, and keeps
        to the records `user` may see (evidence/search.py says how Chinese and English words are matched).
        Elsewhere (SQLite, in development and tests) it reads the rows and matches each word as a case-insensitive
        substring, newest first, which finds Chinese too but does not scale.
        """
        from django.db import connections

        from evidence.models import Citation, RecordInstitution
        from evidence.search import search_postgresql, words_of

        words = words_of(text)
        if not words:
            return self
        if connections[self.db].vendor == "postgresql":
            return search_postgresql(self, words, user=user)

        my_groups = self._member_group_ids(user)
        readable_citations = Citation.objects.filter(
            models.Q(source__protected=False) | models.Q(record__group__in=my_groups)
        )
        # Only institutions the user sees: a group-only institution's name must not find a shared copy naming it.
        readable_links = RecordInstitution.objects.filter(
            models.Q(institution__added_by_group__isnull=True) | models.Q(institution__added_by_group__in=my_groups)
        )
        queryset = self
        for word in words:
            citations = readable_citations.filter(
                models.Q(excerpt__icontains=word) | models.Q(translation__icontains=word)
                | models.Q(source__title__icontains=word)
            )
            institutions = readable_links.filter(institution__search_text__contains=word.casefold())
            queryset = queryset.filter(
                models.Q(title__icontains=word) | models.Q(summary__icontains=word)
                | models.Q(pk__in=citations.values("record_id")) | models.Q(pk__in=institutions.values("record_id"))
            )
        return queryset

    def tagged(self, name, *, user):
        """Records of the user's own groups with this tag; tags are a group's own and never match shared copies."""
        return self.filter(tags__name=name, group__in=self._member_group_ids(user))

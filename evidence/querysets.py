from django.db import models


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

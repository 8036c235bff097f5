"""
Saved searches: a person's evidence search kept under a name, and the record of each alert counted for it (the
verbs are in evidence/saved_searches.py). Imported by evidence/models.py, so that they are the evidence app's
models.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.choices import OneChoiceLabelTranslated


class SavedSearchQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person's own saved searches and nobody else's: a coordinator sees no member's either."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(owner=user)


class SavedSearch(OneChoiceLabelTranslated, models.Model):
    """
    A person's evidence search (the evidence list's query string, checked by its own filterset), kept under a name,
    with alerts of the records that newly match it (evidence/saved_searches.py) by e-mail and a private Atom feed.
    """

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        OFF = "off", _("Off")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(_("name"), max_length=120)
    query = models.CharField(_("search"), max_length=2000, blank=True)
    frequency = models.CharField(_("alerts"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    # Alerts count records created after this point; moved on in the transaction that records an alert.
    last_checked_at = models.DateTimeField()
    # A hash of the secret key in the feed's address, blank while there is none; the key is shown once.
    feed_key_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="one_saved_search_name_per_person")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("saved-search-list")

    @property
    def list_url(self):
        """The evidence list with this search applied."""
        return reverse("evidence-list") + (f"?{self.query}" if self.query else "")


class SavedSearchAlert(models.Model):
    """
    That the records of a saved search created up to `checked_until` were counted (and, if any, e-mailed). The
    unique row is the claim: a second run for the same period finds the search already moved on and sends nothing.
    It holds a count, no group data.
    """

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="alerts")
    checked_from = models.DateTimeField()
    checked_until = models.DateTimeField()
    record_count = models.PositiveIntegerField()
    emailed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["saved_search", "checked_until"],
                                               name="one_alert_per_saved_search_and_period")]

    def __str__(self):
        return f"{self.record_count} new for saved search {self.saved_search_id} until {self.checked_until:%Y-%m-%d}"

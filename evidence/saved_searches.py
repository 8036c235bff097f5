"""
Saved searches and their alerts (issue 19). A person keeps an evidence list search (its query string, checked by
the list's own filterset, so a saved search means exactly what the list shows) under a name, and learns of the
records that newly match it: by e-mail, daily or weekly (Celery beat runs send_due_alerts every hour), and in a
private Atom feed at an address with a secret key.

"Newly match" means: created since the search was last checked, matching its filters and words, and visible to
its owner NOW (EvidenceRecord.objects.visible_to, so never another group's unshared record). A record that was
created earlier and is shared with the owner's group later does not count as new: the alert is about new
evidence, and knowing when a share was made would tell the member about the other group's work on it. It shows
on the evidence list as soon as it is shared.

E-mails and feeds leave the site (a mail or feed service keeps copies): they carry a count, links and dates, and a
record's title only when its group allows it (Group.alert_titles_shown; evidence.disclosure.alert_title).
"""

import logging
import smtplib
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.audit import record_account_event
from accounts.languages import in_language_of
from accounts.models import ApiToken
from accounts.services import access_keys_ended
from evidence import disclosure
from evidence.filters import EvidenceRecordFilterSet
from evidence.models import EvidenceRecord, SavedSearch, SavedSearchAlert

logger = logging.getLogger(__name__)

PERIODS = {SavedSearch.Frequency.DAILY: timedelta(days=1), SavedSearch.Frequency.WEEKLY: timedelta(days=7)}
# Beat checks every hour: a search checked at 07:00:05 yesterday is due at 07:00 today, not at 08:00.
SLACK = timedelta(minutes=10)
# What an e-mail or a feed lists at most; the link to the list shows them all.
LISTED = 20
# How far back the feed looks: a feed reader polls often and keeps what it has seen.
FEED_DAYS = 30
MAX_SAVED_SEARCHES = 100
MAX_QUERY_LENGTH = SavedSearch._meta.get_field("query").max_length

#
# The search itself
#


def _filterset(user, query, queryset):
    # The list's own filterset, as the list builds it: its search and tag filters read request.user.
    return EvidenceRecordFilterSet(QueryDict(query), queryset=queryset, request=SimpleNamespace(user=user))


def clean_query(user, query):
    """
    The evidence list's query string `query` (a leading '?' and the page number are dropped), checked by the list's
    filterset; returns it with empty filters left out. ValidationError for a filter the list does not have or an
    invalid value (a filterset drops those, which would widen what the search matches).
    """
    given = QueryDict((query or "").strip().removeprefix("?"), mutable=True)
    given.pop("page", None)
    filters = EvidenceRecordFilterSet.base_filters
    unknown = sorted(set(given) - set(filters))
    if unknown:
        raise ValidationError(_("The evidence list has no filter called %(names)s.") % {"names": ", ".join(unknown)})
    kept = QueryDict(mutable=True)
    for key in filters:  # the filterset's order, so that the same search is always written the same way
        values = [value.strip() for value in given.getlist(key) if value.strip()]
        if values:
            kept.setlist(key, values[-1:])
    form = _filterset(user, kept.urlencode(), EvidenceRecord.objects.none()).form
    if not form.is_valid():
        raise ValidationError([f"{form.fields[name].label}: {message}" if name in form.fields else message
                               for name, messages in form.errors.items() for message in messages])
    cleaned = kept.urlencode()
    if len(cleaned) > MAX_QUERY_LENGTH:  # written out again, a typed "é" takes six characters
        raise ValidationError(_("This search is too long to save."))
    return cleaned


def matching_records(search, *, since, until=None):
    """The records matching `search` that its owner may see now, created after `since` (and up to `until`)."""
    records = EvidenceRecord.objects.visible_to(search.owner).filter(created_at__gt=since)
    if until is not None:
        records = records.filter(created_at__lte=until)
    return _filterset(search.owner, search.query, records).qs


def newest_first(records, limit=LISTED):
    return list(records.select_related("group").order_by("-created_at", "-pk")[:limit])


#
# Verbs of the owner
#


def _cleaned_query(user, query):
    try:
        return clean_query(user, query)
    except ValidationError as exc:
        raise ValidationError({"query": exc.messages}) from exc


def _ensure_owner(search, actor):
    if search.owner_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the person who saved a search changes it."))


def _ensure_free_name(owner, name, exclude=None):
    taken = SavedSearch.objects.filter(owner=owner, name=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"name": _("You already have a saved search with this name.")})


@transaction.atomic
def save_search(*, actor, name, query, frequency):
    """Save `query` (cleaned with clean_query) for `actor`; alerts count the records created from now on."""
    if SavedSearch.objects.filter(owner=actor).count() >= MAX_SAVED_SEARCHES:
        raise ValidationError(_("You have %(count)s saved searches, the most one person may keep.")
                              % {"count": MAX_SAVED_SEARCHES})
    _ensure_free_name(actor, name)
    return SavedSearch.objects.create(owner=actor, name=name, query=_cleaned_query(actor, query), frequency=frequency,
                                      last_checked_at=timezone.now())


@transaction.atomic
def change_saved_search(search, *, actor, name=None, query=None, frequency=None):
    """Rename `search`, change its words and filters or how often it alerts (None leaves a value as it is)."""
    _ensure_owner(search, actor)
    if name is not None:
        _ensure_free_name(actor, name, exclude=search)
        search.name = name
    if query is not None:
        search.query = _cleaned_query(actor, query)
    if frequency is not None and frequency != search.frequency:
        if search.frequency == SavedSearch.Frequency.OFF:
            # Alerts turned back on start from now, not with everything since they were turned off.
            search.last_checked_at = timezone.now()
        search.frequency = frequency
    search.save()
    return search


@transaction.atomic
def delete_saved_search(search, *, actor):
    _ensure_owner(search, actor)
    search.delete()


#
# The feed's secret key
#


@transaction.atomic
def new_feed_key(search, *, actor):
    """A new key for `search`'s feed address, which ends the one before. Returns the key: it is not kept."""
    _ensure_owner(search, actor)
    key = ApiToken.new_key()
    search.feed_key_digest = ApiToken.digest_of(key)
    search.save(update_fields=["feed_key_digest"])
    record_account_event(user=actor, action="account.saved_search_feed_made", actor=actor,
                         details={"saved_search": search.pk})
    return key


@transaction.atomic
def end_feed_key(search, *, actor):
    _ensure_owner(search, actor)
    if search.feed_key_digest:
        search.feed_key_digest = ""
        search.save(update_fields=["feed_key_digest"])
        record_account_event(user=actor, action="account.saved_search_feed_ended", actor=actor,
                             details={"saved_search": search.pk, "reason": "turned_off"})


def feed_url(key):
    """The address of the saved search's feed whose key is `key` (on SITE_URL: a feed reader fetches it)."""
    return site_link(reverse("saved-search-feed", args=[key]))


def saved_search_of_feed_key(key):
    """The saved search of an active account whose feed address carries `key`, or None."""
    if not key:
        return None
    return (SavedSearch.objects.select_related("owner")
            .filter(feed_key_digest=ApiToken.digest_of(key), owner__is_active=True).first())


@receiver(access_keys_ended, dispatch_uid="saved-search-feeds-end-with-api-tokens")
def end_feed_keys(sender, user, reason, **kwargs):
    """A password change, a deactivation, a lockout or leaving the last group ends every feed address too."""
    ended = list(SavedSearch.objects.filter(owner=user).exclude(feed_key_digest="").values_list("pk", flat=True))
    if ended:
        SavedSearch.objects.filter(pk__in=ended).update(feed_key_digest="")
        record_account_event(user=user, action="account.saved_search_feed_ended", actor=None,
                             details={"saved_searches": ended, "reason": reason})


#
# Alerts
#


def is_due(search, now):
    period = PERIODS.get(search.frequency)
    return period is not None and search.last_checked_at <= now - period + SLACK


def site_link(path):
    return settings.SITE_URL.rstrip("/") + path


def _alert_email(search, count, records):
    owner = search.owner
    with in_language_of(owner):
        subject = ngettext("Disentangle: %(count)s new record for “%(name)s”",
                           "Disentangle: %(count)s new records for “%(name)s”", count) % {
            "count": count, "name": search.name}
        body = render_to_string("evidence/email/saved_search_alert.txt", {
            "search": search, "count": count, "list_url": site_link(search.list_url),
            "settings_url": site_link(search.get_absolute_url()),
            "titled": [(title, site_link(record.get_absolute_url())) for record in records
                       if (title := disclosure.alert_title(record))],
        })
    return subject, body


def check_saved_search(pk, now=None):
    """
    Count the records newly matching saved search `pk` if it is due, e-mail its owner when there are any, and move
    its last-checked point on, in one transaction with the SavedSearchAlert row: a second run of the same period
    finds the search not due and sends nothing; a failed e-mail rolls it all back for the next run. True if sent.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            search = SavedSearch.objects.select_for_update().select_related("owner").filter(pk=pk).first()
            if search is None or not is_due(search, now) or not search.owner.is_active:
                return False
            records = matching_records(search, since=search.last_checked_at, until=now)
            count = records.count()
            SavedSearchAlert.objects.create(saved_search=search, checked_from=search.last_checked_at,
                                            checked_until=now, record_count=count,
                                            emailed=bool(count and search.owner.email))
            search.last_checked_at = now
            search.save(update_fields=["last_checked_at"])
            if count and search.owner.email:
                subject, body = _alert_email(search, count, newest_first(records))
                send_mail(subject, body, None, [search.owner.email])
                return True
    except IntegrityError:
        return False  # another run claimed this period
    except (smtplib.SMTPException, OSError):
        logger.exception("The alert of saved search %s could not be sent", pk)
    return False


def send_due_alerts(now=None):
    """Check every saved search that is due; returns how many e-mails went out."""
    now = now or timezone.now()
    candidates = (SavedSearch.objects.filter(owner__is_active=True).exclude(frequency=SavedSearch.Frequency.OFF)
                  .filter(last_checked_at__lte=now - min(PERIODS.values()) + SLACK).order_by("pk"))
    return sum(check_saved_search(pk, now) for pk in candidates.values_list("pk", flat=True).iterator())


def feed_records(search, now=None):
    """What the feed lists: the newest matching records of the last FEED_DAYS, as for alerts."""
    now = now or timezone.now()
    return newest_first(matching_records(search, since=now - timedelta(days=FEED_DAYS)), limit=LISTED * 2)

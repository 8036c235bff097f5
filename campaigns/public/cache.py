"""
The scoreboard's page cache. A page is stored under its campaign, its language and the scoreboard's current
generation, never under anything of the person asking (every reader gets the same page: disclosure's
`Viewer.public()`). Any save or delete of a row a page may show (a campaign, a public record, a citation, source,
institution) starts a new generation, so the next request of every page builds it afresh; a target's or stance
change's starts a new generation of its campaign's page only.

Why a generation rather than deleting the pages a change touches: a record, a source or an institution can show on
many campaigns' pages, of any group, and working out which ones is the kind of reasoning that goes stale when a new
page shows something new. Signals catch every write through the ORM's save and delete, the services' and the
admin's alike; the cost is that such a change rebuilds every page once (about 2.5 s for a page of 1,000 targets,
bench/public.py), which is why a record that is not public, the most frequent write, clears nothing. The
generation is bumped at once and again when the transaction commits, so that a page built from the old rows by a
request in between is not kept.
"""

import uuid

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

GENERATION_KEY = "public-scoreboard:generation"
# Pages expire anyway after a day: a cache that lost the generation key cannot serve a page older than this.
PAGE_TIMEOUT = 24 * 60 * 60


def generation(scope=""):
    """The current generation of everything (scope ''), or of one campaign's own rows ('campaign:<pk>')."""
    key = f"{GENERATION_KEY}:{scope}"
    current = cache.get(key)
    if current is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        current = cache.get(key)
    return current


def page_key(kind, language, pk=""):
    own = generation(f"campaign:{pk}") if pk else ""
    return f"public-scoreboard:{generation()}:{own}:{kind}:{pk}:{language}"


def cached(kind, language, build, pk=""):
    """The page part `build()` makes, from the cache when this generation already made it."""
    key = page_key(kind, language, pk)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, PAGE_TIMEOUT)
    return value


def clear(scope=""):
    """Start a new generation (of everything, or of one campaign): its pages are built again when next asked."""
    cache.set(f"{GENERATION_KEY}:{scope}", uuid.uuid4().hex, timeout=None)


def _clear_now_and_on_commit(scope=""):
    clear(scope)
    transaction.on_commit(lambda: clear(scope))


def _changed(**kwargs):
    _clear_now_and_on_commit()


def _record_changed(instance, update_fields=None, **kwargs):
    # Only a public record shows on a public page: a change of any other leaves every page as it was, so that a
    # group's daily work on its drafts does not rebuild the scoreboard. Unmarking saves `marked_public` by name.
    if instance.marked_public or "marked_public" in (update_fields or ()):
        _clear_now_and_on_commit()


def _campaign_row_changed(instance, **kwargs):
    # A target or a stance change shows on its own campaign's page only (not on the list of campaigns).
    try:
        target = instance if hasattr(instance, "campaign_id") else instance.target
    except ObjectDoesNotExist:  # deleted with its target (a cascade): clear everything rather than guess
        _clear_now_and_on_commit()
        return
    _clear_now_and_on_commit(f"campaign:{target.campaign_id}")


def connect():
    """Called from CampaignsConfig.ready(): clear the pages on every write of what they show."""
    from django.apps import apps

    receivers = {"campaigns.Target": _campaign_row_changed, "campaigns.StanceChange": _campaign_row_changed,
                 "evidence.EvidenceRecord": _record_changed}
    for label in ("campaigns.Campaign", "campaigns.Target", "campaigns.StanceChange", "evidence.EvidenceRecord",
                  "evidence.Citation", "evidence.Source", "evidence.RecordInstitution", "evidence.Institution",
                  "evidence.Recommendation", "accounts.Group"):
        model, receiver = apps.get_model(label), receivers.get(label, _changed)
        post_save.connect(receiver, sender=model, dispatch_uid=f"public-scoreboard-save-{label}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"public-scoreboard-delete-{label}")
    m2m_changed.connect(_changed, sender=apps.get_model("campaigns.Campaign").recommendations.through,
                        dispatch_uid="public-scoreboard-recommendations")

"""
The scoreboard's page cache. A page is stored under its campaign, its language and the scoreboard's current
generation, never under anything of the person asking (every reader gets the same page: disclosure's
`Viewer.public()`). Any save or delete of a row a page may show (a campaign, target, stance change, record,
citation, source, institution) starts a new generation, so the next request of every page builds it afresh.

Why a generation rather than deleting the pages a change touches: a record, a source or an institution can show on
many campaigns' pages, of any group, and working out which ones is the kind of reasoning that goes stale when a new
page shows something new. Signals catch every write through the ORM's save and delete, the services' and the
admin's alike; the cost is that a change anywhere rebuilds every page once, which the benchmark (bench/public.py)
shows is cheap. The generation is bumped at once and again when the transaction commits, so that a page built
from the old rows by a request in between is not kept.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

GENERATION_KEY = "public-scoreboard:generation"
# Pages expire anyway after a day: a cache that lost the generation key cannot serve a page older than this.
PAGE_TIMEOUT = 24 * 60 * 60


def generation():
    current = cache.get(GENERATION_KEY)
    if current is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        current = cache.get(GENERATION_KEY)
    return current


def page_key(kind, language, pk=""):
    return f"public-scoreboard:{generation()}:{kind}:{pk}:{language}"


def cached(kind, language, build, pk=""):
    """The page part `build()` makes, from the cache when this generation already made it."""
    key = page_key(kind, language, pk)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, PAGE_TIMEOUT)
    return value


def clear():
    """Start a new generation: every page is built again at its next request."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def _changed(**kwargs):
    clear()
    transaction.on_commit(clear)


def connect():
    """Called from CampaignsConfig.ready(): clear the pages on every write of what they show."""
    from django.apps import apps

    for label in ("campaigns.Campaign", "campaigns.Target", "campaigns.StanceChange", "evidence.EvidenceRecord",
                  "evidence.Citation", "evidence.Source", "evidence.RecordInstitution", "evidence.Institution",
                  "evidence.Recommendation", "accounts.Group"):
        model = apps.get_model(label)
        post_save.connect(_changed, sender=model, dispatch_uid=f"public-scoreboard-save-{label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"public-scoreboard-delete-{label}")
    m2m_changed.connect(_changed, sender=apps.get_model("campaigns.Campaign").recommendations.through,
                        dispatch_uid="public-scoreboard-recommendations")

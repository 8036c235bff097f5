"""
Query counts pinned for the lists of issue 19 and the pages around them: each costs the same for one row as for
many, so a list that reads something per row (an N+1) fails here. The rows differ in everything a row could read
(their record, source, target, campaign, institution, author), so a per-row read cannot hide behind a cache.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.comments import add_comment
from evidence import saved_searches
from tests.factories import (
    CampaignFactory,
    CitationFactory,
    EvidenceRecordFactory,
    InteractionFactory,
    SourceFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

MANY = 6


def costs_the_same(count_queries, fetch, add_rows):
    """The queries of `fetch()` with the rows made so far, and again after `add_rows(MANY)`: equal."""
    fetch()  # warm: the session, the navigation's cached counts
    one = count_queries(fetch)
    add_rows(MANY)
    fetch()
    many = count_queries(fetch)
    assert many == one, f"{one} queries with one row, {many} with {MANY + 1}: a query per row"


def ok(client, url, **params):
    def fetch():
        response = client.get(url, params)
        assert response.status_code == 200
        return response

    return fetch


#
# Source captures: the API list, and the record page that shows each cited source's newest capture
#


def finished_capture(group, source, n):
    from evidence.models import CaptureFile, SourceCapture

    capture = SourceCapture.objects.create(group=group, source=source, url=source.url, status="done",
                                           page_title=f"Page {n}", captured_at=timezone.now())
    for kind in ("screenshot", "pdf"):
        row = CaptureFile(group=group, capture=capture, kind=kind, original_name=f"{kind}.bin",
                          content_type="application/octet-stream", size=4, sha256=f"{n:064x}")
        if kind == "screenshot":  # a picture: its near-duplicates are looked up
            row.set_phash(f"{(0x0F0F0F0F0F0F0F0F + n * 0x1111) % 2**64:016x}")
        row.file.name = f"captures/{group.pk}/{capture.pk}/{kind}.bin"
        row.save()
    return capture


def test_the_captures_api_list(api_for, count_queries, volunteer, group):
    # Two to start with, so that the screenshots already have near-duplicates (each other) to read.
    finished_capture(group, SourceFactory(group=group), 0)
    finished_capture(group, SourceFactory(group=group), 0)

    def add(n):
        for i in range(n):
            finished_capture(group, SourceFactory(group=group), i + 1)

    costs_the_same(count_queries, ok(api_for(volunteer), reverse("api:source-capture-list")), add)


def test_the_record_page_with_its_sources_captures(client_for, count_queries, volunteer, group):
    record = EvidenceRecordFactory(group=group)
    finished_capture(group, CitationFactory(record=record).source, 0)

    def add(n):
        for i in range(n):
            finished_capture(group, CitationFactory(record=record).source, i + 1)

    costs_the_same(count_queries, ok(client_for(volunteer), reverse("evidence-detail", args=[record.pk])), add)


#
# Saved searches: the page and the API list
#


def save(user, n, feed=False):
    search = saved_searches.save_search(actor=user, name=f"Search {n}", query=f"q=camera{n}&status=verified",
                                        frequency="daily" if n % 2 else "weekly")
    if feed:
        saved_searches.new_feed_key(search, actor=user)
    return search


@pytest.mark.parametrize("route", ["saved-search-list", "api:saved-search-list"])
def test_the_saved_searches_list(client_for, api_for, count_queries, campaigner, route, group):
    save(campaigner, 0, feed=True)
    client = api_for(campaigner) if route.startswith("api:") else client_for(campaigner)

    def add(n):
        for i in range(n):
            save(campaigner, i + 1, feed=bool(i % 2))

    costs_the_same(count_queries, ok(client, reverse(route)), add)


#
# Notifications: the page and the API list, of mentions on different records and targets
#


@pytest.mark.parametrize("route", ["notification-list", "api:notification-list"])
def test_the_notifications_list(client_for, api_for, count_queries, campaigner, volunteer, group, route):
    def mention(i):
        # On a new record and on a new target of a new campaign, each with its own institution.
        add_comment(EvidenceRecordFactory(group=group), actor=volunteer, body=f"@carol record {i}")
        add_comment(TargetFactory(campaign=CampaignFactory(group=group)), actor=volunteer, body=f"@carol target {i}")

    mention(0)
    client = api_for(campaigner) if route.startswith("api:") else client_for(campaigner)

    def add(n):
        for i in range(n):
            mention(i + 1)

    costs_the_same(count_queries, ok(client, reverse(route)), add)


#
# The mailbox's inbox (triage and the replies filed lately) and a letter batch's page
#


def test_the_mailbox_inbox(client_for, count_queries, campaigner, group):
    from campaigns.mailbox.models import InboundMessage, Mailbox

    mailbox = Mailbox.objects.create(group=group, host="imap.alpha.example", username="alpha",
                                     password_encrypted="not-a-real-token", address="replies@alpha.example")

    def arrive(i):
        target = TargetFactory(campaign=CampaignFactory(group=group), status="asked")
        waiting = InboundMessage.objects.create(group=group, mailbox=mailbox, uid_validity=1, uid=2 * i,
                                                subject=f"Which target? {i}", sender=f"press{i}@example.org",
                                                status=InboundMessage.Status.TRIAGE)
        waiting.candidates.add(target, TargetFactory(campaign=target.campaign))
        InboundMessage.objects.create(group=group, mailbox=mailbox, uid_validity=1, uid=2 * i + 1,
                                      subject=f"Reply {i}", sender=f"office{i}@example.org",
                                      status=InboundMessage.Status.FILED, matched_by="reference",
                                      interaction=InteractionFactory(target=target, direction="received"))

    arrive(0)

    def add(n):
        for i in range(n):
            arrive(i + 1)

    costs_the_same(count_queries, ok(client_for(campaigner), reverse("mailbox-inbox", args=[group.slug])), add)


def test_the_letter_batch_page(client_for, count_queries, campaigner, group):
    from campaigns.letters.models import Letter, LetterBatch

    campaign = CampaignFactory(group=group)
    batch = LetterBatch.objects.create(group=group, campaign=campaign, language="en", subject="To {{ institution }}",
                                       body="Dear {{ institution }}", sender_name="Alpha Watch", status="ready",
                                       zip_file=f"campaigns/letter-batches/{group.pk}/letters.zip")

    def letter(i):
        target = TargetFactory(campaign=campaign)
        sent = i % 2 == 0
        Letter.objects.create(batch=batch, target=target, subject=f"To {target.institution.name}",
                              pdf_file=f"campaigns/letter-batches/{group.pk}/{i}.pdf",
                              docx_file=f"campaigns/letter-batches/{group.pk}/{i}.docx",
                              sent_at=timezone.now() - timedelta(days=1) if sent else None,
                              interaction=InteractionFactory(target=target) if sent else None,
                              emailed_to=f"office{i}@example.org" if sent else "")

    letter(0)

    def add(n):
        for i in range(n):
            letter(i + 1)

    costs_the_same(count_queries, ok(client_for(campaigner), reverse("letter-batch-detail", args=[batch.pk])), add)

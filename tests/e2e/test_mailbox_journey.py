"""
Journey: alice (coordinator) connects Alpha Watch's mailbox (the test run's Dovecot) from its settings page; a reply
to a letter's Reply-To address and a stray message arrive; one fetch cycle later the reply is on its target, and
carol (campaigner) files the stray message from the inbox.
"""

import os
import time

import pytest
from playwright.sync_api import expect

from campaigns.mailbox.models import MailFetch
from campaigns.mailbox.tasks import fetch_mailbox
from campaigns.reply_tokens import reply_address
from evidence.models import Institution
from tests.campaigns.mailbox.conftest import DovecotMailbox, dovecot, mail_settings  # noqa: F401 (fixtures)
from tests.factories import CampaignFactory, TargetFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queues_of_this_test(settings):
    # The fetch cycle is run below by the test itself. The run's own queues are consumed by the worker process other
    # journeys start (tests/conftest.py), which knows nothing of this test's mailbox key and Dovecot certificate.
    prefix = f"mailbox-journey-{os.getpid()}-{time.monotonic_ns()}"
    settings.JOB_QUEUES = {"short": f"{prefix}.short", "long": f"{prefix}.long"}


def test_a_reply_in_the_mailbox_lands_on_its_target_and_a_stray_one_waits_in_triage(
        browse, report, group, coordinator, campaigner, dovecot, mail_settings,  # noqa: F811 (fixtures)
        queues_of_this_test):
    campaign = CampaignFactory(group=group, title="Ban emotion recognition in schools")
    hikvision = TargetFactory(campaign=campaign, institution=Institution.objects.get(slug="hikvision"),
                              status="contacted")
    hanwang = TargetFactory(campaign=campaign, institution=Institution.objects.get(slug="hanwang-education"))
    folder = DovecotMailbox(dovecot)
    fields = folder.fields()

    alice = browse("alice")
    page = alice.sign_in("alice")
    alice.goto(f"/groups/{group.slug}/mailbox/")
    for name in ("host", "port", "username", "password", "folder", "address"):
        page.fill(f"input[name={name}]", str(fields[name]))
    alice.follow(page.get_by_role("button", name="Connect and test"))
    expect(page.get_by_text("The mailbox is connected")).to_be_visible()
    assert fields["password"] not in page.content()

    folder.deliver(f"From: press@hikvision.example\nTo: {reply_address(fields['address'], hikvision.pk)}\n"
                   "Subject: Re: Emotion recognition in classrooms\nMessage-ID: <r1@hikvision.example>\n\n"
                   "We will answer your questions by the end of the month.\n")
    folder.deliver("From: someone@unknown.example\nTo: replies@alpha.example\nSubject: A question\n"
                   "Message-ID: <q1@unknown.example>\n\nWhich school are you writing about?\n")
    alice.follow(page.get_by_role("button", name="Fetch now"))
    # The fetch cycle: what the worker does with the queued fetch.
    fetch_mailbox.apply(args=[MailFetch.objects.get().pk])
    alice.goto(f"/groups/{group.slug}/mailbox/")
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "done")

    carol = browse("carol")
    page = carol.sign_in("carol")
    carol.goto(hikvision.get_absolute_url())
    expect(page.get_by_text("We will answer your questions by the end of the month.")).to_be_visible()

    carol.goto(f"/groups/{group.slug}/inbox/")
    expect(page.get_by_role("button", name="Contacted → In dialogue?")).to_be_visible()
    carol.follow(page.get_by_role("link", name="A question"))
    expect(page.get_by_text("Which school are you writing about?")).to_be_visible()
    page.select_option("select[name=target]", str(hanwang.pk))
    carol.follow(page.get_by_role("button", name="File it"))
    expect(page.get_by_text("Which school are you writing about?")).to_be_visible()
    assert page.url.endswith(hanwang.get_absolute_url())

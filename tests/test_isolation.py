"""
Another group's data is never reachable. The test walks every URL pattern of the site, so a new page or API
route with an object in its URL fails here until it is added to OBJECT_ROUTES with an object of group Beta.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import services
from accounts.models import Invitation, Membership, WorkerCheck
from evidence.models import EvidenceImport
from tests.factories import (
    AttachmentFactory,
    CitationFactory,
    InstitutionFactory,
    InvitationFactory,
    SourceFactory,
    WorkerCheckFactory,
)

pytestmark = pytest.mark.django_db

# Routes that hold no group data, or serve it only after the checks tested elsewhere.
PUBLIC_ROUTES = {"login", "logout", "invitation-accept", "invitation-decline",
                 # Anyone holding a briefing pack checks it; it reads nothing from the database.
                 "pack-verify",
                 # The site's public keys that sign packs: no group data (tests/campaigns/test_pack_signing.py).
                 "pack-public-key", "pack-public-keys",
                 # The language switcher: sets a cookie (and saves the signed-in person's own language); reads
                 # no group data.
                 "set_language",
                 # Whether the site's dependencies answer: names them, nothing of any group (tests/test_health.py).
                 "health",
                 # A person's private calendar feed, fetched by a calendar app with no session: the secret key in
                 # its address is the credential; a wrong or ended key is a 404 and it lists only what visible_to
                 # gives its owner (tests/campaigns/test_calendar_feed.py).
                 "calendar-feed",
                 # A saved search's private Atom feed, the same way: the key is the credential, a wrong or ended
                 # one is a 404, and it lists only what visible_to gives its owner
                 # (tests/evidence/test_saved_searches.py).
                 "saved-search-feed"}
# The public scoreboard (campaigns/public/): anyone may read it, signed in or not, but only campaigns their groups
# published; every other campaign is a 404 for everyone, its own group included (test_unpublished_campaigns_are_
# 404_on_the_scoreboard_for_everyone below). route -> URL kwargs from a campaign, or None for the list.
SCOREBOARD_ROUTES = {
    "public-index": None,
    "public-campaign": lambda o: {"pk": o.pk},
    "public-campaign-feed": lambda o: {"pk": o.pk},
}
# django-allauth's pages: signing in, password reset, the signed-in person's own password, addresses and second
# factors. They hold no group data; listed by name so that a new one (after an upgrade) is looked at here first.
ACCOUNT_ROUTES = {
    "account_login", "account_logout", "account_signup", "account_inactive", "account_reauthenticate",
    "account_change_password", "account_set_password", "account_email", "account_email_verification_sent",
    "account_confirm_email", "account_confirm_login_code", "account_reset_password", "account_reset_password_done",
    "account_reset_password_from_key", "account_reset_password_from_key_done",
    "mfa_index", "mfa_authenticate", "mfa_reauthenticate", "mfa_activate_totp", "mfa_deactivate_totp",
    "mfa_view_recovery_codes", "mfa_generate_recovery_codes", "mfa_download_recovery_codes",
    "mfa_list_webauthn", "mfa_add_webauthn", "mfa_edit_webauthn", "mfa_remove_webauthn",
    "mfa_reauthenticate_webauthn",
}
# Routes with no object in the URL; they list only the caller's own data (tested per feature).
LIST_ROUTES = {
    "campaign-list", "campaign-create", "my-work", "api:campaign-list", "api:target-list", "api:interaction-list",
    "api:task-list", "api:batch-list",
    "home", "switch-group", "api:me", "api:token", "api:schema", "api:docs", "api:group-list",
    "api:membership-list", "api:worker-check-list", "api:evidence-list", "api:source-list", "api:source-duplicates",
    "api:source-capture-list",
    "api:evidence-bulk", "api:group-partners",
    "evidence-list", "evidence-create", "evidence-import", "evidence-bulk",
    # The phone's quick form: a draft in the caller's own group (tests/evidence/test_quick.py).
    "evidence-quick",
    "pack-create-search", "api:pack-list",
    # The signed-in person's own API tokens (tests/accounts/test_api_tokens.py) and calendar address (on the page,
    # and in the API: tests/accounts/test_api_feeds.py).
    "api-token-list", "api:api-token-list", "calendar-settings", "api:me-calendar-feed",
    # The signed-in person's own saved searches (tests/evidence/test_saved_searches.py).
    "saved-search-list", "api:saved-search-list",
    # The group's comments (?record= / ?target= narrows them) and the person's own notifications
    # (tests/evidence/test_comments.py, tests/evidence/test_comments_api.py).
    "api:record-comment-list", "api:target-comment-list", "notification-list", "notification-read-all",
    "api:notification-list", "api:notification-read-all",
}
# Shared reference data (reports, the institution directory): every signed-in member reads it, nobody else.
SHARED_ROUTES = {
    "report-list": None, "report-detail": {"slug": "emotional-entanglement"},
    "institution-list": None, "institution-create": None, "institution-detail": {"slug": "hikvision"},
    "institution-edit": {"slug": "hikvision"}, "relationship-add": {"slug": "hikvision"},
    "relationship-remove": "relationship",
    "api:report-list": None, "api:report-detail": {"slug": "emotional-entanglement"},
    "api:recommendation-list": None, "api:recommendation-detail": "recommendation",
    "api:sector-list": None, "api:sector-detail": {"slug": "education"},
    "api:right-list": None, "api:right-detail": {"slug": "privacy"},
    "api:institution-list": None, "api:institution-detail": {"slug": "hikvision"},
    "api:relationship-list": None, "api:relationship-detail": "relationship",
}


def beta_objects(other_group, outsider):
    """
    One object of every kind a group owns, in `other_group` (coordinated by `outsider`). Also used for a group's
    own objects (tests/test_isolation_matrix.py), so names derive from the group. Every group-data model needs a
    row here: tests/test_isolation_matrix.py fails for a model this leaves out.
    """
    from evidence.models import RecordInstitution, Tag
    from evidence.saved_searches import save_search
    from tests.factories import AuditEntryFactory

    record = CitationFactory(record__group=other_group, record__status="verified",
                             source=SourceFactory(group=other_group, title=f"{other_group.name} source")).record
    institution = InstitutionFactory(added_by_group=other_group, name=f"{other_group.name.split()[0]}'s own lead",
                                     slug=f"{other_group.slug}-own-lead")
    RecordInstitution.objects.create(record=record, institution=institution, role="deployer")
    record.tags.add(Tag.objects.create(group=other_group, name=f"{other_group.name} tag"))
    from accounts.models import Notification
    from evidence.models import RecordComment

    record_comment = RecordComment.objects.create(record=record, author=outsider,
                                                  body=f"{other_group.name} comment on a record")
    return {
        **beta_campaign_objects(other_group),
        "group": other_group,
        "membership": Membership.objects.get(user=outsider, group=other_group),
        "invitation": InvitationFactory(group=other_group),
        "worker_check": WorkerCheckFactory(group=other_group),
        # Verified but not shared: verification alone must not make a record visible to other groups.
        "record": record,
        "source": SourceFactory(group=other_group),
        "attachment": AttachmentFactory(group=other_group, record__group=other_group),
        # An institution Beta Rights added for itself while logging evidence: not in the shared directory.
        **beta_capture_objects(other_group, outsider),
        "evidence_import": EvidenceImport.objects.create(group=other_group, requested_by=outsider,
                                                         stored_file="imports/none.csv", file_name="beta.csv",
                                                         status="failed", error=f"{other_group.name} test"),
        # An institution the group added for itself while logging evidence: not in the shared directory.
        "institution": institution,
        "audit_entry": AuditEntryFactory(group=other_group, actor=outsider, object_repr=f"{other_group.name} entry"),
        "record_comment": record_comment,
        # A person's own (like an API token), kept with the group it came from.
        "notification": Notification.objects.create(recipient=outsider, kind="mention", group=other_group,
                                                    actor=outsider, object_type="evidence.EvidenceRecord",
                                                    object_id=str(record.pk), url=record_comment.get_absolute_url()),
        # Not group data (a person's own), but addressed by id: anyone else's is a 404 like a missing one.
        "api_token": services.create_api_token(outsider, name=f"{other_group.name} token", actor=outsider)[0],
        # The same: a person's own saved search, whose words may name what their group looks into.
        "saved_search": save_search(actor=outsider, name=f"{other_group.name} search", query="q=camera",
                                    frequency="daily"),
    }


def beta_capture_objects(other_group, outsider):
    """A finished capture of one of Beta's sources, with a screenshot file (evidence/capture/)."""
    from evidence.models import CaptureFile, SourceCapture

    capture = SourceCapture.objects.create(group=other_group, source=SourceFactory(group=other_group),
                                           url="https://beta.example.org/page", status="done",
                                           page_title=f"{other_group.name} capture", requested_by=outsider)
    capture_file = CaptureFile(group=other_group, capture=capture, kind="screenshot", original_name="screenshot.png",
                               content_type="image/png", size=4, sha256="0" * 64)
    capture_file.file.name = f"captures/{other_group.pk}/{capture.pk}/screenshot.png"
    capture_file.save()
    return {"source_capture": capture, "capture_file": capture_file}


def beta_campaign_objects(other_group):
    from tests.factories import (
        AskBatchFactory,
        CampaignFactory,
        InteractionAttachmentFactory,
        StanceChangeFactory,
        TargetEvidenceFactory,
        TaskFactory,
    )

    campaign = CampaignFactory(group=other_group, title=f"{other_group.name} campaign")
    batch = AskBatchFactory(campaign=campaign)
    link = TargetEvidenceFactory(target__campaign=campaign, target__batch=batch)
    attachment = InteractionAttachmentFactory(interaction__target=link.target)
    from campaigns.letters.models import Letter, LetterBatch, LetterTemplate
    from campaigns.mailbox.models import InboundMessage, Mailbox, MailFetch
    from tests.factories import BriefingPackFactory

    letter_template = LetterTemplate.objects.create(campaign=campaign, name=f"{other_group.name} letter",
                                                    subject="To {{ institution }}", body="Dear {{ institution }}")
    letter_batch = LetterBatch.objects.create(group=other_group, campaign=campaign, template=letter_template,
                                              language="en", subject=letter_template.subject,
                                              body=letter_template.body, sender_name=f"{other_group.name} sender",
                                              status="ready", zip_file="campaigns/letter-batches/0/none.zip")
    letter = Letter.objects.create(batch=letter_batch, target=link.target, subject=f"{other_group.name} letter",
                                   pdf_file="campaigns/letter-batches/0/none.pdf",
                                   docx_file="campaigns/letter-batches/0/none.docx")
    mailbox = Mailbox.objects.create(group=other_group, host="imap.beta.example", username="beta",
                                     password_encrypted="not-a-real-token", address="replies@beta.example")
    inbound = InboundMessage.objects.create(group=other_group, mailbox=mailbox, uid_validity=1, uid=1,
                                            message_id=f"{other_group.slug}@beta.example", subject="Beta's reply",
                                            sender="press@ministry.example", body="Beta's reply text",
                                            status=InboundMessage.Status.TRIAGE)
    inbound.candidates.add(link.target)
    from campaigns.models import TargetComment

    return {
        "target_comment": TargetComment.objects.create(target=link.target, body=f"{other_group.name} comment"),
        "letter_template": letter_template, "letter_batch": letter_batch, "letter": letter,
        "mailbox": mailbox, "mail_fetch": MailFetch.objects.create(mailbox=mailbox, status="failed", error="Beta"),
        "inbound_message": inbound,
        "pack": BriefingPackFactory(campaign=campaign, status="ready", file_name="packs/0/none.zip"),
        "campaign": campaign, "batch": batch, "target": link.target, "target_evidence": link,
        "interaction": attachment.interaction, "interaction_attachment": attachment,
        "task": TaskFactory(campaign=campaign, target=link.target),
        "stance_change": StanceChangeFactory(target=link.target, interaction=attachment.interaction),
    }


# route name -> (object key, URL kwargs from that object)
OBJECT_ROUTES = {
    "campaign-detail": ("campaign", lambda o: {"pk": o.pk}),
    "campaign-edit": ("campaign", lambda o: {"pk": o.pk}),
    "campaign-overdue": ("campaign", lambda o: {"pk": o.pk}),
    "target-add": ("campaign", lambda o: {"pk": o.pk}),
    "task-create": ("campaign", lambda o: {"pk": o.pk}),
    "target-detail": ("target", lambda o: {"pk": o.pk}),
    "target-edit": ("target", lambda o: {"pk": o.pk}),
    "target-advance": ("target", lambda o: {"pk": o.pk}),
    "interaction-create": ("target", lambda o: {"pk": o.pk}),
    "target-evidence-link": ("target", lambda o: {"pk": o.pk}),
    "target-evidence-unlink": ("target_evidence", lambda o: {"pk": o.target_id, "record_pk": o.record_id}),
    "target-evidence-key": ("target_evidence", lambda o: {"pk": o.target_id, "record_pk": o.record_id}),
    "batch-detail": ("batch", lambda o: {"pk": o.pk}),
    "task-complete": ("task", lambda o: {"pk": o.pk}),
    "interaction-attachment-download": ("interaction_attachment", lambda o: {"pk": o.pk}),
    "api:campaign-detail": ("campaign", lambda o: {"pk": o.pk}),
    "api:target-detail": ("target", lambda o: {"pk": o.pk}),
    "api:target-advance": ("target", lambda o: {"pk": o.pk}),
    "api:target-evidence": ("target", lambda o: {"pk": o.pk}),
    "api:interaction-detail": ("interaction", lambda o: {"pk": o.pk}),
    "api:interaction-attachments": ("interaction", lambda o: {"pk": o.pk}),
    "api:task-detail": ("task", lambda o: {"pk": o.pk}),
    "api:task-complete": ("task", lambda o: {"pk": o.pk}),
    "api:batch-detail": ("batch", lambda o: {"pk": o.pk}),
    "pack-create-campaign": ("campaign", lambda o: {"pk": o.pk}),
    "pack-create-target": ("target", lambda o: {"pk": o.pk}),
    "pack-create-institution": ("institution", lambda o: {"slug": o.slug}),
    "pack-list": ("group", lambda o: {"slug": o.slug}),
    "pack-detail": ("pack", lambda o: {"pk": o.pk}),
    "pack-retry": ("pack", lambda o: {"pk": o.pk}),
    "pack-download": ("pack", lambda o: {"pk": o.pk}),
    "letters-home": ("campaign", lambda o: {"pk": o.pk}),
    "letter-template-create": ("campaign", lambda o: {"pk": o.pk}),
    "letter-template-edit": ("letter_template", lambda o: {"pk": o.pk}),
    "letter-batch-create": ("letter_template", lambda o: {"pk": o.pk}),
    "letter-batch-detail": ("letter_batch", lambda o: {"pk": o.pk}),
    "letter-batch-retry": ("letter_batch", lambda o: {"pk": o.pk}),
    "letter-batch-mark-sent": ("letter_batch", lambda o: {"pk": o.pk}),
    "letter-batch-email": ("letter_batch", lambda o: {"pk": o.pk}),
    "letter-batch-download": ("letter_batch", lambda o: {"pk": o.pk}),
    "letter-download": ("letter", lambda o: {"pk": o.pk, "kind": "pdf"}),
    "api:pack-detail": ("pack", lambda o: {"pk": o.pk}),
    "api:pack-retry": ("pack", lambda o: {"pk": o.pk}),
    "api:pack-download": ("pack", lambda o: {"pk": o.pk}),
    "group-dashboard": ("group", lambda o: {"slug": o.slug}),
    "mailbox-settings": ("group", lambda o: {"slug": o.slug}),
    "mailbox-fetch": ("group", lambda o: {"slug": o.slug}),
    "mailbox-disconnect": ("group", lambda o: {"slug": o.slug}),
    "mailbox-inbox": ("group", lambda o: {"slug": o.slug}),
    "inbound-message-detail": ("inbound_message", lambda o: {"pk": o.pk}),
    "inbound-message-file": ("inbound_message", lambda o: {"pk": o.pk}),
    "inbound-message-discard": ("inbound_message", lambda o: {"pk": o.pk}),
    "member-list": ("group", lambda o: {"slug": o.slug}),
    "group-leave": ("group", lambda o: {"slug": o.slug}),
    "member-invite": ("group", lambda o: {"slug": o.slug}),
    "worker-check-list": ("group", lambda o: {"slug": o.slug}),
    "group-two-factor": ("group", lambda o: {"slug": o.slug}),
    "group-sharing": ("group", lambda o: {"slug": o.slug}),
    "group-letterhead": ("group", lambda o: {"slug": o.slug}),
    "group-logo": ("group", lambda o: {"slug": o.slug}),
    "group-alert-titles": ("group", lambda o: {"slug": o.slug}),
    "audit-log": ("group", lambda o: {"slug": o.slug}),
    "audit-export": ("group", lambda o: {"slug": o.slug}),
    "member-change-role": ("membership", lambda o: {"pk": o.pk}),
    "member-remove": ("membership", lambda o: {"pk": o.pk}),
    "invitation-revoke": ("invitation", lambda o: {"pk": o.pk}),
    "worker-check-detail": ("worker_check", lambda o: {"pk": o.pk}),
    "api:group-detail": ("group", lambda o: {"pk": o.pk}),
    "api:group-sharing": ("group", lambda o: {"pk": o.pk}),
    "api:group-settings": ("group", lambda o: {"pk": o.pk}),
    "api:membership-detail": ("membership", lambda o: {"pk": o.pk}),
    "api:membership-leave": ("membership", lambda o: {"pk": o.pk}),
    "api:worker-check-detail": ("worker_check", lambda o: {"pk": o.pk}),
    "api-token-revoke": ("api_token", lambda o: {"pk": o.pk}),
    "api:api-token-detail": ("api_token", lambda o: {"pk": o.pk}),
    "saved-search-change": ("saved_search", lambda o: {"pk": o.pk}),
    "saved-search-delete": ("saved_search", lambda o: {"pk": o.pk}),
    "saved-search-feed-key": ("saved_search", lambda o: {"pk": o.pk}),
    "api:saved-search-detail": ("saved_search", lambda o: {"pk": o.pk}),
    "api:saved-search-feed": ("saved_search", lambda o: {"pk": o.pk}),
    "api:source-detail": ("source", lambda o: {"pk": o.pk}),
    "api:evidence-detail": ("record", lambda o: {"pk": o.pk}),
    "api:evidence-submit": ("record", lambda o: {"pk": o.pk}),
    "api:evidence-verify": ("record", lambda o: {"pk": o.pk}),
    "api:evidence-reject": ("record", lambda o: {"pk": o.pk}),
    "api:evidence-reopen": ("record", lambda o: {"pk": o.pk}),
    "api:evidence-share": ("record", lambda o: {"pk": o.pk}),
    "api:evidence-attachments": ("record", lambda o: {"pk": o.pk}),
    "evidence-detail": ("record", lambda o: {"pk": o.pk}),
    "evidence-comment-create": ("record", lambda o: {"pk": o.pk}),
    "evidence-comment-edit": ("record_comment", lambda o: {"pk": o.pk}),
    "evidence-comment-delete": ("record_comment", lambda o: {"pk": o.pk}),
    "api:record-comment-detail": ("record_comment", lambda o: {"pk": o.pk}),
    "target-comment-create": ("target", lambda o: {"pk": o.pk}),
    "target-comment-edit": ("target_comment", lambda o: {"pk": o.pk}),
    "target-comment-delete": ("target_comment", lambda o: {"pk": o.pk}),
    "api:target-comment-detail": ("target_comment", lambda o: {"pk": o.pk}),
    "notification-read": ("notification", lambda o: {"pk": o.pk}),
    "api:notification-read": ("notification", lambda o: {"pk": o.pk}),
    "evidence-edit": ("record", lambda o: {"pk": o.pk}),
    "evidence-share": ("record", lambda o: {"pk": o.pk}),
    "evidence-public": ("record", lambda o: {"pk": o.pk}),
    "api:evidence-public": ("record", lambda o: {"pk": o.pk}),
    "campaign-publish": ("campaign", lambda o: {"pk": o.pk}),
    "api:campaign-publish": ("campaign", lambda o: {"pk": o.pk}),
    "api:campaign-unpublish": ("campaign", lambda o: {"pk": o.pk}),
    "evidence-step": ("record", lambda o: {"pk": o.pk, "step": "verify"}),
    "evidence-delete": ("record", lambda o: {"pk": o.pk}),
    "attachment-upload": ("record", lambda o: {"pk": o.pk}),
    "attachment-download": ("attachment", lambda o: {"pk": o.pk}),
    # A pending import is held in its uploader's session, not in a row: any token not in the caller's own session
    # is a 404 (tests/evidence/test_import.py posts another group's real token).
    "evidence-import-confirm": ("group", lambda o: {"token": f"{o.slug}-pending-import"}),
    "evidence-import-detail": ("evidence_import", lambda o: {"pk": o.pk}),
    "evidence-import-retry": ("evidence_import", lambda o: {"pk": o.pk}),
    "evidence-import-decide": ("evidence_import", lambda o: {"pk": o.pk}),
    "group-source-capture": ("group", lambda o: {"slug": o.slug}),
    "source-capture-request": ("source", lambda o: {"pk": o.pk}),
    "source-capture-detail": ("source_capture", lambda o: {"pk": o.pk}),
    "source-capture-retry": ("source_capture", lambda o: {"pk": o.pk}),
    "capture-file-download": ("capture_file", lambda o: {"pk": o.pk}),
    "api:source-capture-detail": ("source_capture", lambda o: {"pk": o.pk}),
    "api:source-capture-retry": ("source_capture", lambda o: {"pk": o.pk}),
    # The directory's pages, for an institution another group keeps to itself.
    "institution-detail": ("institution", lambda o: {"slug": o.slug}),
    "institution-edit": ("institution", lambda o: {"slug": o.slug}),
    "institution-add-to-directory": ("institution", lambda o: {"slug": o.slug}),
    "relationship-add": ("institution", lambda o: {"slug": o.slug}),
    "api:institution-detail": ("institution", lambda o: {"slug": o.slug}),
    "api:institution-add-to-directory": ("institution", lambda o: {"slug": o.slug}),
}


def site_routes(resolver=None, namespace=""):
    """Every named route of the project's own apps (the Django admin is for site staff and tested apart)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from site_routes(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}{entry.name}"
            if "format" in entry.pattern.regex.groupindex:
                continue  # DRF's ".json" suffix twins of routes listed here
            yield name


def test_every_route_is_in_the_isolation_matrix():
    unknown = (set(site_routes()) - PUBLIC_ROUTES - ACCOUNT_ROUTES - LIST_ROUTES - set(OBJECT_ROUTES)
               - set(SHARED_ROUTES) - set(SCOREBOARD_ROUTES))
    assert not unknown, f"Add these routes to tests/test_isolation.py with an object of another group: {unknown}"


# Random per-response values (the CSRF token in forms and in htmx's headers on <body>, CSP nonces): 64 letters and
# digits can spell "bob" by chance (about one page in 4,000), which is no leak.
RANDOM_VALUES = re.compile(rb'(name="csrfmiddlewaretoken" value="|nonce="|"X-CSRFToken": ?")[^"]*"')


def without_random_values(content):
    return RANDOM_VALUES.sub(rb"\1", content)


@pytest.mark.parametrize("route", sorted(OBJECT_ROUTES))
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_another_groups_objects_are_404_for_pages_and_api(client_for, coordinator, other_group, outsider,
                                                         route, method):
    key, kwargs = OBJECT_ROUTES[route]
    url = reverse(route, kwargs=kwargs(beta_objects(other_group, outsider)[key]))
    client = client_for(coordinator)
    response = getattr(client, method)(url, content_type="application/json")
    # 405 means the route does not take this method at all, whatever the object: it reveals nothing either.
    assert response.status_code in (404, 405), f"{method.upper()} {url} -> {response.status_code}"
    content = without_random_values(response.content)
    assert b"Beta Rights" not in content and b"bob" not in content
    assert b"Beta's own lead" not in content


@pytest.mark.parametrize("route", sorted(OBJECT_ROUTES))
def test_anonymous_visitors_get_nothing(client, other_group, outsider, route):
    key, kwargs = OBJECT_ROUTES[route]
    response = client.get(reverse(route, kwargs=kwargs(beta_objects(other_group, outsider)[key])))
    assert response.status_code in (302, 401, 403, 405)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
    assert b"Beta Rights" not in response.content


def test_lists_never_include_another_groups_rows(api_for, client_for, coordinator, other_group, outsider):
    beta_objects(other_group, outsider)
    api = api_for(coordinator)
    for route in ["api:group-list", "api:membership-list", "api:worker-check-list", "api:evidence-list",
                  "api:source-list", "api:institution-list", "api:pack-list", "api:source-capture-list"]:
        body = api.get(reverse(route)).content
        assert b"beta-rights" not in body and b"bob" not in body and b"own lead" not in body, route
    me = api.get(reverse("api:me")).content
    assert b"beta-rights" not in me


def test_the_scoping_method_is_the_one_every_model_uses():
    from campaigns.models import BriefingPack
    from evidence.models import (
        Attachment,
        CaptureFile,
        EvidenceImport,
        EvidenceRecord,
        Institution,
        Source,
        SourceCapture,
        Tag,
    )

    for model in (Membership, Invitation, WorkerCheck, EvidenceRecord, Source, Tag, Attachment, Institution,
                  EvidenceImport, BriefingPack, SourceCapture, CaptureFile):
        assert hasattr(model.objects, "visible_to"), model


def shared_url(route):
    from evidence.models import Recommendation, Relationship

    kwargs = SHARED_ROUTES[route]
    if kwargs == "relationship":
        kwargs = {"pk": Relationship.objects.first().pk}
    elif kwargs == "recommendation":
        kwargs = {"pk": Recommendation.objects.first().pk}
    return reverse(route, kwargs=kwargs)


@pytest.mark.parametrize("route", sorted(SHARED_ROUTES))
def test_shared_reference_data_needs_a_signed_in_member(client, route):
    from django.core.management import call_command

    call_command("load_report", stdout=open("/dev/null", "w"))
    response = client.get(shared_url(route))
    assert response.status_code in (302, 401, 403, 405), f"{route} -> {response.status_code}"
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("route", sorted(SCOREBOARD_ROUTES))
def test_unpublished_campaigns_are_404_on_the_scoreboard_for_everyone(client, client_for, coordinator, other_group,
                                                                       outsider, route):
    from django.test import Client

    objects = beta_objects(other_group, outsider)
    campaign = objects["campaign"]
    campaign.public_summary = "Beta's public words"
    campaign.save()
    kwargs = SCOREBOARD_ROUTES[route]
    url = reverse(route, kwargs=kwargs(campaign) if kwargs else None)
    owner = Client()
    owner.force_login(outsider)
    # Anonymous, another group's coordinator, and not even its own group: the scoreboard shows what is published.
    for who in (Client(), client_for(coordinator), owner):
        response = who.get(url)
        if kwargs:
            missing = who.get(reverse(route, kwargs={"pk": 2**40}))
            assert response.status_code == missing.status_code == 404, url
        else:
            assert response.status_code == 200
        assert b"Beta Rights campaign" not in response.content and b"public words" not in response.content

"""Comments on records and the mentions in them: inside the record's own group only, never on a shared copy."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEntry, Notification, Role
from evidence.models import RecordComment
from tests.conftest import member
from tests.factories import EvidenceRecordFactory, MembershipFactory


@pytest.fixture
def shared_record(group, other_group):
    record = EvidenceRecordFactory(group=group, status="verified", title="Cameras in Riverside school")
    record.shared_with.add(other_group)
    return record


def comment(client, record, body):
    return client.post(reverse("evidence-comment-create", args=[record.pk]), {"body": body})


def test_a_member_comments_and_the_group_reads_it(client_for, volunteer, viewer, shared_record):
    response = comment(client_for(volunteer), shared_record, "Checked the invoice: it matches.")
    assert response.status_code == 302
    saved = RecordComment.objects.get()
    assert response["Location"].endswith(f"#comment-{saved.pk}")
    assert AuditEntry.objects.filter(action="comment.created", object_id=str(saved.pk)).exists()
    page = client_for(viewer).get(shared_record.get_absolute_url()).content.decode()
    assert "Checked the invoice: it matches." in page
    assert reverse("evidence-comment-create", args=[shared_record.pk]) not in page  # a viewer only reads


def test_a_viewer_may_not_comment(client_for, viewer, shared_record):
    assert comment(client_for(viewer), shared_record, "Hello").status_code == 403
    assert not RecordComment.objects.exists()


def test_a_shared_copy_shows_no_comment_and_takes_none(client_for, volunteer, outsider, shared_record):
    comment(client_for(volunteer), shared_record, "Internal: the source is nervous.")
    client_for(outsider)
    from django.test import Client

    bob = Client()
    bob.force_login(outsider)
    page = bob.get(shared_record.get_absolute_url())
    assert page.status_code == 200
    assert "the source is nervous" not in page.content.decode()
    assert 'id="comments"' not in page.content.decode()
    assert comment(bob, shared_record, "From Beta").status_code == 404
    assert RecordComment.objects.count() == 1
    own = RecordComment.objects.get()
    assert bob.get(reverse("evidence-comment-edit", args=[own.pk])).status_code == 404
    assert bob.post(reverse("evidence-comment-delete", args=[own.pk])).status_code == 404


def test_an_empty_comment_is_refused_with_a_message(client_for, volunteer, shared_record):
    response = comment(client_for(volunteer), shared_record, "   ")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode() or "Write something" in response.content.decode()
    assert not RecordComment.objects.exists()


def test_the_author_edits_and_deletes_others_may_not_but_a_coordinator_deletes(
        client, volunteer, campaigner, coordinator, shared_record):
    client.force_login(volunteer)
    comment(client, shared_record, "First words")
    saved = RecordComment.objects.get()
    client.force_login(campaigner)
    assert client.post(reverse("evidence-comment-edit", args=[saved.pk]), {"body": "Hijack"}).status_code == 403
    assert client.post(reverse("evidence-comment-delete", args=[saved.pk])).status_code == 403
    client.force_login(volunteer)
    assert client.post(reverse("evidence-comment-edit", args=[saved.pk]), {"body": ""}).status_code == 400
    assert client.post(reverse("evidence-comment-edit", args=[saved.pk]), {"body": "Better words"}).status_code == 302
    saved.refresh_from_db()
    assert saved.body == "Better words" and saved.edited_at is not None
    client.force_login(coordinator)
    assert client.post(reverse("evidence-comment-delete", args=[saved.pk])).status_code == 302
    assert not RecordComment.objects.exists()
    assert AuditEntry.objects.filter(action="comment.deleted", actor=coordinator).exists()


def test_a_mention_notifies_members_of_the_group_only(client_for, volunteer, campaigner, outsider, shared_record,
                                                      django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        comment(client_for(volunteer), shared_record,
                "@carol please look. @bob too? @nobody. Mail me at x@carol.org")
    assert [n.recipient for n in Notification.objects.all()] == [campaigner]
    notification = Notification.objects.get()
    assert notification.group == shared_record.group
    assert [message.to for message in mail.outbox] == [[campaigner.email]]
    body = mail.outbox[0].subject + mail.outbox[0].body
    assert "victor mentioned you on a record in Alpha Watch" in body
    assert notification.url in body
    assert "please look" not in body and shared_record.title not in body


def test_the_mail_is_in_the_recipients_language(client_for, volunteer, campaigner, shared_record,
                                                django_capture_on_commit_callbacks):
    campaigner.language = "zh-hans"
    campaigner.save(update_fields=["language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        comment(client_for(volunteer), shared_record, "@carol look")
    assert "victor" in mail.outbox[0].subject and "Alpha Watch" in mail.outbox[0].subject
    assert "mentioned you" not in mail.outbox[0].subject


def test_the_notifications_page_lists_mine_and_marks_them_read(client, volunteer, campaigner, shared_record,
                                                               fresh_cache):
    client.force_login(volunteer)
    comment(client, shared_record, "@carol look")
    client.force_login(campaigner)
    home = client.get(reverse("evidence-list")).content.decode()
    assert 'data-unread-notifications="1"' in home
    page = client.get(reverse("notification-list")).content.decode()
    assert "victor mentioned you on a record in Alpha Watch" in page and shared_record.title in page
    notification = Notification.objects.get()
    response = client.post(reverse("notification-read", args=[notification.pk]), {"open": "1"})
    assert response["Location"] == notification.url
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "data-unread-notifications" not in client.get(reverse("evidence-list")).content.decode()


def test_another_persons_notification_cannot_be_marked(client, volunteer, campaigner, coordinator, shared_record):
    client.force_login(volunteer)
    comment(client, shared_record, "@carol look")
    client.force_login(coordinator)
    client.post(reverse("notification-read-all"))
    assert client.post(reverse("notification-read", args=[Notification.objects.get().pk])).status_code == 404
    assert Notification.objects.get().read_at is None


def test_a_notification_of_a_group_left_is_no_longer_available(client, volunteer, campaigner, other_group,
                                                               shared_record):
    client.force_login(volunteer)
    comment(client, shared_record, "@carol look")
    campaigner.memberships.filter(group=shared_record.group).delete()
    # Even though her new group holds a shared copy of the record, the group's conversation is not hers now.
    MembershipFactory(group=other_group, user=campaigner, role=Role.VOLUNTEER)
    client.force_login(campaigner)
    page = client.get(reverse("notification-list")).content.decode()
    assert "No longer available" in page
    assert shared_record.title not in page and "Alpha Watch" not in page


def test_a_deleted_record_leaves_its_notification_unavailable(client, volunteer, campaigner, group):
    record = EvidenceRecordFactory(group=group, title="Doomed record")
    client.force_login(volunteer)
    comment(client, record, "@carol look")
    record.delete()
    client.force_login(campaigner)
    page = client.get(reverse("notification-list")).content.decode()
    assert "No longer available" in page and "Doomed record" not in page


def test_a_new_member_mentioned_after_an_edit_is_notified_once(client, volunteer, campaigner, group, shared_record):
    member(group, "nina", Role.VIEWER)
    client.force_login(volunteer)
    comment(client, shared_record, "@carol look")
    saved = RecordComment.objects.get()
    client.post(reverse("evidence-comment-edit", args=[saved.pk]), {"body": "@carol and @nina look"})
    assert sorted(n.recipient.username for n in Notification.objects.all()) == ["carol", "nina"]

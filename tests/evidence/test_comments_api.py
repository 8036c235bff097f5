"""Comments and notifications through the API: the group's own, 400s with field errors, others' are 404s."""

import pytest
from django.urls import reverse

from accounts.models import Notification
from campaigns.models import TargetComment
from evidence.models import RecordComment
from tests.factories import EvidenceRecordFactory, TargetFactory


@pytest.fixture
def shared_record(group, other_group):
    record = EvidenceRecordFactory(group=group, status="verified")
    record.shared_with.add(other_group)
    return record


def test_a_member_comments_on_a_record_and_the_group_lists_it(api_for, volunteer, viewer, campaigner, shared_record):
    response = api_for(volunteer).post(reverse("api:record-comment-list"),
                                       {"record": shared_record.pk, "body": "@carol see the invoice"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["author"] == "victor"
    listed = api_for(viewer).get(reverse("api:record-comment-list"), {"record": shared_record.pk}).json()
    assert [row["body"] for row in listed["results"]] == ["@carol see the invoice"]
    assert listed["results"][0]["may_edit"] is False
    notifications = api_for(campaigner).get(reverse("api:notification-list")).json()["results"]
    assert notifications[0]["summary"] == "victor mentioned you on a record in Alpha Watch"
    assert notifications[0]["read_at"] is None


def test_bad_input_is_a_400_with_field_errors(api_for, volunteer, shared_record):
    api = api_for(volunteer)
    response = api.post(reverse("api:record-comment-list"), {"record": shared_record.pk, "body": " "}, format="json")
    assert response.status_code == 400 and "body" in response.json()
    response = api.post(reverse("api:record-comment-list"), {"body": "no record"}, format="json")
    assert response.status_code == 400 and "record" in response.json()
    assert api.get(reverse("api:record-comment-list"), {"record": "x"}).status_code == 400


def test_a_viewer_may_not_comment(api_for, viewer, shared_record):
    response = api_for(viewer).post(reverse("api:record-comment-list"), {"record": shared_record.pk, "body": "Hi"},
                                    format="json")
    assert response.status_code == 403
    assert not RecordComment.objects.exists()


def test_a_shared_copy_takes_no_comment_and_lists_none(api_for, volunteer, outsider, shared_record):
    api_for(volunteer).post(reverse("api:record-comment-list"), {"record": shared_record.pk, "body": "Ours"},
                            format="json")
    bob = api_for(outsider)
    response = bob.post(reverse("api:record-comment-list"), {"record": shared_record.pk, "body": "Theirs"},
                        format="json")
    assert response.status_code == 400 and "record" in response.json()  # the same as a record that does not exist
    assert bob.get(reverse("api:record-comment-list"), {"record": shared_record.pk}).json()["results"] == []
    ours = RecordComment.objects.get()
    assert bob.get(reverse("api:record-comment-detail", args=[ours.pk])).status_code == 404
    assert bob.patch(reverse("api:record-comment-detail", args=[ours.pk]), {"body": "x"},
                     format="json").status_code == 404
    assert bob.delete(reverse("api:record-comment-detail", args=[ours.pk])).status_code == 404
    assert "Ours" not in bob.get(reverse("api:evidence-detail", args=[shared_record.pk])).content.decode()


def test_only_the_author_edits_and_a_coordinator_deletes(api_for, volunteer, campaigner, coordinator, shared_record):
    created = api_for(volunteer).post(reverse("api:record-comment-list"),
                                      {"record": shared_record.pk, "body": "First"}, format="json").json()
    url = reverse("api:record-comment-detail", args=[created["id"]])
    assert api_for(campaigner).patch(url, {"body": "Not mine"}, format="json").status_code == 403
    assert api_for(campaigner).delete(url).status_code == 403
    response = api_for(volunteer).patch(url, {"body": "Second"}, format="json")
    assert response.status_code == 200 and response.json()["body"] == "Second"
    assert api_for(coordinator).delete(url).status_code == 204
    assert not RecordComment.objects.exists()


def test_comments_on_a_target(api_for, volunteer, outsider, group):
    target = TargetFactory(campaign__group=group)
    response = api_for(volunteer).post(reverse("api:target-comment-list"), {"target": target.pk, "body": "Call"},
                                       format="json")
    assert response.status_code == 201
    assert api_for(outsider).post(reverse("api:target-comment-list"), {"target": target.pk, "body": "x"},
                                  format="json").status_code in (400, 403)
    assert api_for(outsider).get(reverse("api:target-comment-list")).json()["results"] == []
    assert TargetComment.objects.count() == 1


def test_notifications_mark_read_only_mine(api_for, volunteer, campaigner, coordinator, shared_record):
    api_for(volunteer).post(reverse("api:record-comment-list"), {"record": shared_record.pk, "body": "@carol look"},
                            format="json")
    notification = Notification.objects.get()
    url = reverse("api:notification-read", args=[notification.pk])
    assert api_for(coordinator).post(url).status_code == 404
    response = api_for(campaigner).post(url)
    assert response.status_code == 200 and response.json()["read_at"]
    assert api_for(campaigner).post(reverse("api:notification-read-all")).status_code == 204


def test_the_schema_describes_comments_and_notifications(api_for, volunteer):
    schema = api_for(volunteer).get(reverse("api:schema"), {"format": "json"}).json()
    assert {"/api/record-comments/", "/api/target-comments/", "/api/notifications/"} <= set(schema["paths"])


def test_a_notification_from_a_group_left_names_nobody(api_for, volunteer, campaigner, shared_record):
    # Found by the disclosure model: the list named the member who wrote after the recipient had left the group.
    api_for(volunteer).post(reverse("api:record-comment-list"), {"record": shared_record.pk, "body": "@carol look"},
                            format="json")
    campaigner.memberships.all().delete()
    row = api_for(campaigner).get(reverse("api:notification-list")).json()["results"][0]
    assert row["available"] is False
    assert (row["actor"], row["summary"], row["title"], row["url"], row["object_id"]) == (None, "", "", "", "")


def test_the_comment_and_notification_lists_cost_the_same_for_one_row_as_for_many(
        api_for, count_queries, volunteer, campaigner, shared_record):
    writer, reader = api_for(volunteer), api_for(campaigner)

    def post():
        response = writer.post(reverse("api:record-comment-list"),
                               {"record": shared_record.pk, "body": "@carol another invoice"}, format="json")
        assert response.status_code == 201

    def lists():
        assert reader.get(reverse("api:record-comment-list"), {"record": shared_record.pk}).status_code == 200
        assert reader.get(reverse("api:notification-list")).status_code == 200

    post()
    lists()  # warm: the session and the header's cached counts
    one = count_queries(lists)
    for _ in range(6):
        post()
    assert count_queries(lists) == one

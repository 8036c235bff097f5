"""
The issue's story, once through the pages and once through the API: carol, a campaigner of Alpha Watch, runs
"Ban emotion recognition in schools" against Hikvision and Hanwang Education; bob, of Beta Rights, sees none of it.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Interaction, StanceChange, Target
from evidence.models import Recommendation

pytestmark = pytest.mark.django_db


def test_it_runs_a_campaign_through_the_pages(client_for, campaigner, outsider, group, hikvision, hanwang):
    client = client_for(campaigner)
    ban = Recommendation.objects.get(code="civ-1")
    today = timezone.localdate()

    response = client.post(reverse("campaign-create"), {
        "group": group.pk, "title": "Ban emotion recognition in schools", "status": "active",
        "goal": "No school in China uses emotion recognition on its students.", "recommendations": [ban.pk],
        "starts_on": "2025-01-01", "lead": campaigner.pk,
    })
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    assert campaign.group == group and list(campaign.recommendations.all()) == [ban]

    response = client.post(reverse("target-add", args=[campaign.pk]), {
        "institutions": [hikvision.pk, hanwang.pk], "priority": 1, "owner": campaigner.pk,
        "ask": "Stop selling classroom emotion recognition and withdraw the systems already installed.",
        "batch_title": "First letters", "sent_on": today.isoformat(), "reply_due": "2099-01-01",
    })
    assert response.status_code == 302
    hik = Target.objects.get(institution=hikvision)
    assert {t.institution.slug for t in campaign.targets.all()} == {"hikvision", "hanwang-education"}
    assert hik.batch.title == "First letters" and hik.next_step_due.isoformat() == "2099-01-01"

    letter = SimpleUploadedFile("letter to hikvision.txt", "Dear Hikvision, 请停止.".encode(), "text/plain")
    response = client.post(reverse("interaction-create", args=[hik.pk]), {
        "kind": "letter", "direction": "sent", "occurred_on": today.isoformat(),
        "summary": "Our letter asking Hikvision to stop.", "files": [letter], "move_to": "contacted",
    })
    assert response.status_code == 302, response.content.decode()
    response = client.post(reverse("interaction-create", args=[hik.pk]), {
        "kind": "reply", "direction": "received", "occurred_on": today.isoformat(),
        "summary": "Hikvision will stop selling the classroom system.", "outcome": "A written commitment.",
    })
    assert response.status_code == 302
    reply = Interaction.objects.get(kind="reply")

    response = client.post(reverse("target-advance", args=[hik.pk]), {
        "to_status": "committed", "interaction": reply.pk, "note": "Their reply commits to stop.",
    })
    assert response.status_code == 302
    hik.refresh_from_db()
    assert hik.status == "committed"
    assert [(c.from_status, c.to_status, c.interaction_id) for c in StanceChange.objects.filter(target=hik)] == [
        ("identified", "contacted", Interaction.objects.get(kind="letter").pk), ("contacted", "committed", reply.pk)]

    dashboard = client.get(campaign.get_absolute_url()).content.decode()
    assert "Ban emotion recognition in schools" in dashboard
    assert "Hikvision</a> moved from contacted to <strong>committed</strong> by carol" in dashboard
    assert "Committed: 1" in dashboard and "Identified: 1" in dashboard  # the chart's description
    assert "1 of 2 answered" in dashboard
    page = client.get(hik.get_absolute_url()).content.decode()
    assert "letter_to_hikvision.txt" in page and "Their reply commits to stop." in page
    download = client.get(reverse("interaction-attachment-download",
                                  args=[Interaction.objects.get(kind="letter").attachments.get().pk]))
    assert b"".join(download.streaming_content) == "Dear Hikvision, 请停止.".encode()

    bob = client_for(outsider)
    for url in [campaign.get_absolute_url(), hik.get_absolute_url(), reverse("batch-detail", args=[hik.batch_id])]:
        assert bob.get(url).status_code == 404
    assert "Ban emotion" not in bob.get(reverse("campaign-list")).content.decode()


def test_it_runs_a_campaign_through_the_api(api_for, campaigner, outsider, group, hikvision, hanwang):
    api = api_for(campaigner)
    ban = Recommendation.objects.get(code="civ-1")
    today = timezone.localdate().isoformat()

    response = api.post(reverse("api:campaign-list"), {
        "group": group.slug, "title": "Ban emotion recognition in schools", "status": "active",
        "goal": "No school uses emotion recognition.", "recommendations": [ban.pk], "lead": "carol",
    }, format="json")
    assert response.status_code == 201, response.json()
    campaign = response.json()["id"]

    response = api.post(reverse("api:batch-list"), {
        "campaign": campaign, "title": "First letters", "ask": "Stop selling classroom emotion recognition.",
        "institutions": ["hikvision", "hanwang-education"], "reply_due": "2099-01-01",
    }, format="json")
    assert response.status_code == 201, response.json()
    assert len(response.json()["targets"]) == 2
    hik = Target.objects.get(institution=hikvision).pk

    letter = api.post(reverse("api:interaction-list"), {
        "target": hik, "kind": "letter", "direction": "sent", "occurred_on": today, "summary": "Our letter.",
    }, format="json")
    assert letter.status_code == 201, letter.json()
    upload = api.post(reverse("api:interaction-attachments", args=[letter.json()["id"]]),
                      {"file": SimpleUploadedFile("letter.txt", b"Dear Hikvision")}, format="multipart")
    assert upload.status_code == 201, upload.json()
    reply = api.post(reverse("api:interaction-list"), {
        "target": hik, "kind": "reply", "direction": "received", "occurred_on": today,
        "summary": "Hikvision will stop.", "move_to": "in_dialogue",
    }, format="json")
    assert reply.status_code == 201, reply.json()

    moved = api.post(reverse("api:target-advance", args=[hik]), {
        "to_status": "committed", "interaction": reply.json()["id"], "note": "Written commitment.",
    }, format="json")
    assert moved.status_code == 200, moved.json()
    body = moved.json()
    assert body["status"] == "committed"
    assert [c["to_status"] for c in body["stance_changes"]] == ["in_dialogue", "committed"]
    assert body["stance_changes"][-1]["changed_by"] == "carol"

    batch = api.get(reverse("api:batch-list"), {"campaign": campaign}).json()["results"][0]
    assert batch["stats"] == {"total": 2, "answered": 1, "answered_on_time": 1, "committed": 1}
    dashboard = api_for(campaigner).get(reverse("api:target-list"), {"campaign": campaign, "status": "committed"})
    assert [t["institution"] for t in dashboard.json()["results"]] == ["hikvision"]

    bob = api_for(outsider)
    assert bob.get(reverse("api:campaign-detail", args=[campaign])).status_code == 404
    assert bob.get(reverse("api:target-detail", args=[hik])).status_code == 404
    assert bob.get(reverse("api:target-list")).json()["count"] == 0
    assert bob.get(reverse("api:interaction-list")).json()["count"] == 0

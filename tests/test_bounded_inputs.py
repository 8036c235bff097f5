"""
Bounded inputs (issue 13, findings 11, 12 and 15's oversized body): whatever the size or shape of a request, the
answer is a clear refusal, never a server error.
"""

import json

import pytest
from django.urls import reverse

from accounts.models import Membership

pytestmark = pytest.mark.django_db


def nested(depth):
    return "[" * depth + "]" * depth


#
# JSON nested too deeply
#


def test_it_refuses_deeply_nested_json_from_a_member(api_for, coordinator):
    response = api_for(coordinator).post(reverse("api:campaign-list"), nested(10_000),
                                         content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON nested too deeply."}


def test_it_refuses_deeply_nested_json_from_anyone_asking_for_a_token(client):
    response = client.post("/api/auth/token/", json.dumps({"username": json.loads(nested(100))}),
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON nested too deeply."}

    response = client.post("/api/auth/token/", nested(10_000), content_type="application/json")
    assert response.status_code == 400


def test_it_still_takes_json_nested_as_deep_as_the_api_needs(api_for, coordinator, group):
    response = api_for(coordinator).post(reverse("api:campaign-list"), {
        "group": group.slug, "title": "Schools", "goal": "No cameras in classrooms.",
    }, format="json")
    assert response.status_code == 201, response.json()


#
# Answers that were server errors
#


def test_it_answers_options_on_the_api_docs(client_for, coordinator):
    response = client_for(coordinator).options("/api/docs/")
    assert response.status_code == 200
    assert "GET" in response["Allow"]


def test_it_leaves_a_membership_unchanged_on_an_empty_patch(api_for, coordinator, viewer, group):
    membership = Membership.objects.get(user=viewer, group=group)
    response = api_for(coordinator).patch(reverse("api:membership-detail", args=[membership.pk]), {},
                                          format="json")
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "viewer"
    membership.refresh_from_db()
    assert membership.role == "viewer"


#
# A body larger than DATA_UPLOAD_MAX_MEMORY_SIZE
#


def test_it_says_why_an_oversized_api_body_is_refused(api_for, coordinator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_for(coordinator).post(reverse("api:campaign-list"),
                                         json.dumps({"title": "x" * 2000}), content_type="application/json")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_it_says_why_an_oversized_form_is_refused_in_the_sites_layout(client_for, volunteer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(volunteer).post("/evidence/new/", {"title": "x" * 2000})
    assert response.status_code == 413
    page = response.content.decode()
    assert "larger than" in page
    assert "site-header" in page  # the site's layout, not a bare "Bad Request"

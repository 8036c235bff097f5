"""
A group's yes/no settings in the API (listed for sharing, titles in saved-search alerts, source capture): every
member reads them on the group; only a coordinator changes them, through the verb the pages use, with an audit row.
"""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, Group

pytestmark = pytest.mark.django_db

SETTINGS = ("listed_for_sharing", "alert_titles_shown", "captures_sources")


def settings_of(group):
    group = Group.objects.get(pk=group.pk)
    return {name: getattr(group, name) for name in SETTINGS}


def test_every_member_reads_the_groups_settings(api_for, viewer, group):
    group.captures_sources = True
    group.save()
    response = api_for(viewer).get(reverse("api:group-detail", args=[group.pk]))
    assert response.status_code == 200
    assert {name: response.json()[name] for name in SETTINGS} == {
        "listed_for_sharing": False, "alert_titles_shown": False, "captures_sources": True}


def test_a_coordinator_changes_them_each_with_its_audit_row(api_for, coordinator, group):
    api = api_for(coordinator)
    url = reverse("api:group-settings", args=[group.pk])

    response = api.post(url, {"alert_titles_shown": True, "captures_sources": True}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["alert_titles_shown"] is True and response.json()["captures_sources"] is True
    assert settings_of(group) == {"listed_for_sharing": False, "alert_titles_shown": True, "captures_sources": True}
    assert set(AuditEntry.objects.filter(group=group, actor=coordinator).values_list("action", flat=True)) == {
        "group.alert_titles_shown", "group.source_capture_on"}

    assert api.post(url, {"captures_sources": False}, format="json").status_code == 200
    assert api.post(url, {"captures_sources": False}, format="json").status_code == 200  # unchanged: no second row
    assert settings_of(group)["captures_sources"] is False
    assert AuditEntry.objects.filter(group=group, action="group.source_capture_off").count() == 1


def test_a_form_encoded_body_changes_only_the_settings_it_names(api_for, coordinator, group):
    group.listed_for_sharing = group.alert_titles_shown = True
    group.save()
    response = api_for(coordinator).post(reverse("api:group-settings", args=[group.pk]), {"captures_sources": "true"})
    assert response.status_code == 200, response.json()
    assert settings_of(group) == {"listed_for_sharing": True, "alert_titles_shown": True, "captures_sources": True}


@pytest.mark.parametrize("role", ["campaigner", "volunteer", "viewer"])
def test_other_roles_are_refused_and_nothing_changes(request, api_for, group, role):
    response = api_for(request.getfixturevalue(role)).post(
        reverse("api:group-settings", args=[group.pk]), {"captures_sources": True}, format="json")
    assert response.status_code == 403
    assert settings_of(group)["captures_sources"] is False
    assert not AuditEntry.objects.filter(group=group, action="group.source_capture_on").exists()


def test_another_groups_settings_are_a_404_to_read_and_to_change(api_for, outsider, coordinator, group):
    api = api_for(outsider)
    assert api.get(reverse("api:group-detail", args=[group.pk])).status_code == 404
    response = api.post(reverse("api:group-settings", args=[group.pk]), {"alert_titles_shown": True}, format="json")
    assert response.status_code == 404
    assert settings_of(group)["alert_titles_shown"] is False


@pytest.mark.parametrize("body", [{"captures_sources": "maybe"}, {"alert_titles_shown": None},
                                  {"listed_for_sharing": [True]}, {}, {"unknown_setting": True}])
def test_a_non_boolean_or_no_setting_is_a_400_that_changes_nothing(api_for, coordinator, group, body):
    response = api_for(coordinator).post(reverse("api:group-settings", args=[group.pk]), body, format="json")
    assert response.status_code == 400
    assert response.json()
    assert settings_of(group) == dict.fromkeys(SETTINGS, False)
    assert not AuditEntry.objects.filter(group=group).exists()


def test_one_bad_value_changes_none_of_the_others(api_for, coordinator, group):
    response = api_for(coordinator).post(reverse("api:group-settings", args=[group.pk]),
                                         {"alert_titles_shown": True, "captures_sources": "sometimes"}, format="json")
    assert response.status_code == 400 and "captures_sources" in response.json()
    assert settings_of(group)["alert_titles_shown"] is False


def test_the_schema_describes_the_settings(api_for, viewer):
    schema = api_for(viewer).get(reverse("api:schema"), {"format": "json"}).json()
    assert "/api/groups/{id}/settings/" in schema["paths"]
    group = schema["components"]["schemas"]["Group"]["properties"]
    assert {"alert_titles_shown", "captures_sources", "listed_for_sharing"} <= set(group)

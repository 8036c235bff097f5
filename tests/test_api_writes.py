"""
What every writable API viewset shares: a write that would leave the written row outside the writer's groups is
rolled back with a 403 (accounts.api.mixins.RecheckedWrites), whatever a serializer or service missed; and what a
service refuses is a 400 with its field errors (config.api.exception_handler). The faults are planted: no
serializer or service is known to let such a write through, which is why the net is there.
"""

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Membership, Role, WorkerCheck
from evidence.models import Source
from evidence.services import sources

pytestmark = pytest.mark.django_db


class TestTheWrittenRowIsCheckedAgain:
    def test_a_source_written_into_another_group_is_rolled_back(self, api_for, volunteer, group, other_group,
                                                                 monkeypatch):
        create = sources.create_source
        monkeypatch.setattr(sources, "create_source", lambda group, **kwargs: create(other_group, **kwargs))
        # The role check is planted away too: only the re-check stands between the write and Beta Rights.
        monkeypatch.setattr("evidence.services.sources.ensure_can", lambda *args: None)
        response = api_for(volunteer).post(reverse("api:source-list"),
                                           {"group": group.slug, "title": "Leaked"}, format="json")
        assert response.status_code == 403
        assert not Source.objects.exists()

    def test_a_worker_check_started_for_another_group_is_rolled_back(self, api_for, coordinator, group,
                                                                     other_group, monkeypatch, dead_broker):
        request = account_services.request_worker_check
        monkeypatch.setattr(account_services, "ensure_can", lambda *args: None)
        monkeypatch.setattr(account_services, "request_worker_check",
                            lambda group, **kwargs: request(other_group, **kwargs))
        response = api_for(coordinator).post(reverse("api:worker-check-list"), {"group": group.slug},
                                             format="json")
        assert response.status_code == 403
        assert not WorkerCheck.objects.exists()


class TestRefusalsAreFieldErrors:
    def test_a_refused_role_change_is_a_400_on_the_role(self, api_for, coordinator, group):
        membership = Membership.objects.get(user=coordinator, group=group)
        response = api_for(coordinator).patch(reverse("api:membership-detail", args=[membership.pk]),
                                              {"role": Role.VIEWER}, format="json")
        assert response.status_code == 400
        assert "at least one coordinator" in response.json()["role"][0]

    def test_a_refused_departure_is_a_400_for_the_whole_request(self, api_for, coordinator, group):
        membership = Membership.objects.get(user=coordinator, group=group)
        response = api_for(coordinator).post(reverse("api:membership-leave", args=[membership.pk]))
        assert response.status_code == 400
        assert "at least one coordinator" in response.json()["non_field_errors"][0]
        assert Membership.objects.filter(pk=membership.pk).exists()

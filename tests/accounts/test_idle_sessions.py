"""
Idle sessions: alice, signed in, leaves the office computer; once her session has gone unused for longer than the
idle timeout (30 minutes unless configured), the next request finds her signed out.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.middleware import LAST_ACTIVITY_KEY

pytestmark = pytest.mark.django_db


def idle_for(client, *, minutes):
    """As if the session's last request were `minutes` earlier."""
    session = client.session
    session[LAST_ACTIVITY_KEY] -= minutes * 60
    session.save()


def test_a_session_unused_for_longer_than_the_timeout_is_signed_out(client_for, coordinator, group):
    client = client_for(coordinator)
    dashboard = reverse("group-dashboard", args=[group.slug])
    assert client.get(dashboard).status_code == 200
    idle_for(client, minutes=31)
    response = client.get(dashboard)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"])
    assert "You were signed out after 30 minutes without activity." in page.content.decode()


def test_a_session_used_within_the_timeout_stays_signed_in(client_for, coordinator, group):
    client = client_for(coordinator)
    dashboard = reverse("group-dashboard", args=[group.slug])
    client.get(dashboard)
    for _ in range(3):  # each use starts the idle time again
        idle_for(client, minutes=20)
        assert client.get(dashboard).status_code == 200


def test_the_api_refuses_an_idle_session(client_for, coordinator):
    client = client_for(coordinator)
    assert client.get(reverse("api:me")).status_code == 200
    idle_for(client, minutes=31)
    assert client.get(reverse("api:me")).status_code in (401, 403)


def test_the_timeout_is_configurable(client_for, coordinator, group, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    client = client_for(coordinator)
    dashboard = reverse("group-dashboard", args=[group.slug])
    client.get(dashboard)
    idle_for(client, minutes=6)
    assert client.get(dashboard).status_code == 302


def test_it_saves_the_session_at_most_once_a_minute(client_for, coordinator):
    """Not on every request: a page load makes several (HTMX partials, polls), each would be a write."""
    client = client_for(coordinator)

    def session_writes():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("api:me")).status_code == 200
        return [q for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]

    assert not session_writes()  # signing in started the clock
    assert not session_writes()
    idle_for(client, minutes=2)
    assert len(session_writes()) == 1

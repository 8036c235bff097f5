"""
API tokens (issue 13, findings 2 and 10): stored as a hash and shown once, they expire, their owner lists and
revokes them, and they die when the password changes, the account is locked out or deactivated, or its last
membership ends. Staff never see one, and what a token does is attributed to it in the group's audit log.
"""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, AuditEntry, Membership, Role
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache):
    """Every test here starts with an empty cache (tests/conftest.py says why)."""


def obtain(username, password=PASSWORD, **extra):
    return APIClient().post(reverse("api:token"), {"username": username, "password": password, **extra})


def key_of(username, **extra):
    response = obtain(username, **extra)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_key(key):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def works(key):
    return with_key(key).get(reverse("api:group-list")).status_code == 200


def database_text():
    """Every value of every row of every table, as text."""
    return "\n".join(repr(row) for model in apps.get_models() for row in model._base_manager.values_list())


class TestObtaining:
    def test_it_shows_a_new_key_once_with_its_expiry_and_stores_only_a_hash(self, coordinator, settings):
        settings.API_TOKEN_MAX_AGE_DAYS = 30
        response = obtain("alice", name="deploy script")
        body = response.json()
        key = body["token"]
        assert body["name"] == "deploy script"
        expires = timezone.datetime.fromisoformat(body["expires_at"])
        assert timedelta(days=29, hours=23) < expires - timezone.now() <= timedelta(days=30)
        assert works(key)
        assert key not in database_text()
        assert key_of("alice") != key  # each call makes a new one, never hands out an old one again
        listing = with_key(key).get(reverse("api:api-token-list")).content.decode()
        assert "deploy script" in listing and key not in listing
        assert ApiToken.objects.get(name="deploy script").digest not in listing

    def test_bad_credentials_get_401(self, coordinator):
        response = obtain("alice", "wrong-password")
        assert response.status_code == 401
        assert "token" not in response.json()
        assert obtain("nobody", "wrong-password").status_code == 401

    def test_a_wrong_or_unknown_key_gets_401(self, coordinator):
        assert with_key("not-a-key").get(reverse("api:group-list")).status_code == 401

    def test_an_expired_key_gets_401(self, coordinator):
        key = key_of("alice")
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert with_key(key).get(reverse("api:group-list")).status_code == 401

    def test_its_creation_is_an_account_event_and_its_use_is_in_the_groups_audit_log_without_the_key(
            self, coordinator, viewer, group):
        key = key_of("alice", name="laptop")
        token = ApiToken.objects.get(user=coordinator)
        # Like a sign-in, making a token concerns the person, not one of their groups: no group's log shows it.
        assert not AuditEntry.objects.filter(group=group, action="auth.api_token_created").exists()
        created = AuditEntry.objects.get(group=None, action="auth.api_token_created")
        assert created.actor == coordinator
        assert created.after["name"] == "laptop" and created.after["token"] == token.pk
        assert key not in database_text()

        membership = Membership.objects.get(user=viewer)
        response = with_key(key).patch(reverse("api:membership-detail", args=[membership.pk]), {"role": "volunteer"},
                                       format="json")
        assert response.status_code == 200
        entry = AuditEntry.objects.get(group=group, action="membership.role_changed")
        assert entry.actor == coordinator
        assert (entry.via_token_id, entry.via_token_name) == (token.pk, "laptop")
        page = APIClient()
        page.force_login(coordinator)
        assert "laptop" in page.get(reverse("audit-log", args=[group.slug])).content.decode()
        exported = page.get(reverse("audit-export", args=[group.slug]), {"action": "membership.role_changed"})
        assert exported.content.decode().splitlines()[1].endswith(f"laptop ({token.pk})")


class TestListingAndRevoking:
    def test_the_owner_lists_and_revokes_through_the_api(self, coordinator):
        keep, drop = key_of("alice", name="keep"), key_of("alice", name="drop")
        api = with_key(keep)
        listed = api.get(reverse("api:api-token-list")).json()
        rows = listed["results"] if isinstance(listed, dict) else listed
        assert sorted(row["name"] for row in rows) == ["drop", "keep"]
        assert set(rows[0]) == {"id", "name", "created_at", "last_used_at", "expires_at"}
        dropped = ApiToken.objects.get(name="drop")
        assert api.delete(reverse("api:api-token-detail", args=[dropped.pk])).status_code == 204
        assert not works(drop) and works(keep)

    def test_another_persons_token_is_a_404(self, coordinator, outsider):
        key_of("alice", name="alice's")
        alices = ApiToken.objects.get(user=coordinator)
        bob = with_key(key_of("bob"))
        assert bob.get(reverse("api:api-token-detail", args=[alices.pk])).status_code == 404
        assert bob.delete(reverse("api:api-token-detail", args=[alices.pk])).status_code == 404
        assert "alice's" not in bob.get(reverse("api:api-token-list")).content.decode()
        assert ApiToken.objects.filter(pk=alices.pk).exists()

    def test_the_owner_makes_lists_and_revokes_on_the_account_page(self, client_for, coordinator, group):
        client = client_for(coordinator)
        page = client.get(reverse("api-token-list"))
        assert page.status_code == 200
        created = client.post(reverse("api-token-list"), {"name": "phone"})
        assert created.status_code == 200
        key = re.search(rb'data-new-token="([^"]+)"', created.content).group(1).decode()
        assert works(key)
        again = client.get(reverse("api-token-list")).content.decode()
        assert "phone" in again and key not in again  # shown once
        token = ApiToken.objects.get(user=coordinator)
        assert client.post(reverse("api-token-revoke", args=[token.pk])).status_code == 302
        assert not works(key)
        # An account event, like its creation: in no group's log.
        assert AuditEntry.objects.filter(group=None, action="auth.api_token_revoked", actor=coordinator).exists()
        assert not AuditEntry.objects.filter(group=group, action="auth.api_token_revoked").exists()

    def test_a_name_that_is_too_long_is_refused_with_a_message(self, client_for, coordinator):
        response = client_for(coordinator).post(reverse("api-token-list"), {"name": "x" * 500})
        assert response.status_code == 400
        assert not ApiToken.objects.exists()

    def test_the_account_area_links_to_the_page(self, client_for, coordinator, group):
        page = client_for(coordinator).get(reverse("group-dashboard", args=[group.slug]))
        assert reverse("api-token-list").encode() in page.content

    def test_nobody_else_revokes_on_the_page(self, client_for, coordinator, outsider):
        key = key_of("alice")
        token = ApiToken.objects.get(user=coordinator)
        assert client_for(outsider).post(reverse("api-token-revoke", args=[token.pk])).status_code == 404
        assert works(key)


class TestTokensDie:
    def test_when_the_password_changes(self, client_for, coordinator):
        key = key_of("alice")
        response = client_for(coordinator).post(reverse("account_change_password"), {
            "oldpassword": PASSWORD, "password1": "a-new-long-passphrase-42", "password2": "a-new-long-passphrase-42"})
        assert response.status_code == 302
        assert not works(key)

    def test_when_the_password_is_reset_by_e_mail(self, client, coordinator, mailoutbox):
        key = key_of("alice")
        client.post(reverse("account_reset_password"), {"email": coordinator.email})
        link = re.search(r"https?://[^/]+(/\S+)", mailoutbox[-1].body).group(1)
        form = client.get(link, follow=True)
        client.post(form.redirect_chain[-1][0] if form.redirect_chain else link,
                    {"password1": "a-new-long-passphrase-42", "password2": "a-new-long-passphrase-42"})
        coordinator.refresh_from_db()
        assert coordinator.check_password("a-new-long-passphrase-42")
        assert not works(key)

    def test_when_the_account_is_locked_out(self, client, coordinator):
        key = key_of("alice")
        for _ in range(5):
            client.post(reverse("login"), {"login": "alice", "password": "wrong-password"})
        assert not works(key)
        assert not ApiToken.objects.filter(user=coordinator).exists()

    def test_when_the_account_is_deactivated(self, client_for, coordinator):
        key = key_of("alice")
        coordinator.is_active = False
        coordinator.save()
        assert not ApiToken.objects.filter(user=coordinator).exists()
        assert not works(key)

    def test_when_the_last_membership_ends(self, client_for, coordinator, viewer, group, other_group):
        MembershipFactory(user=viewer, group=other_group, role=Role.VIEWER)
        key = key_of("vera")
        client = client_for(coordinator)
        client.post(reverse("member-remove", args=[Membership.objects.get(user=viewer, group=group).pk]))
        assert works(key), "still a member of Beta Rights"
        Membership.objects.get(user=viewer, group=other_group).delete()
        assert not works(key)
        assert not ApiToken.objects.filter(user=viewer).exists()

    def test_a_staff_account_in_no_group_keeps_its_tokens_until_expiry(self, db):
        UserFactory(username="stan", is_staff=True)
        assert works(key_of("stan"))


class TestStaffSeeNoKeys:
    def test_no_admin_page_shows_a_key_or_its_hash(self, client_for, coordinator, outsider):
        from tests.test_isolation_matrix import admin_urls

        keys = [key_of("alice"), key_of("bob")]
        secrets_ = keys + list(ApiToken.objects.values_list("digest", flat=True))
        superuser = UserFactory(username="sam", is_staff=True, is_superuser=True)
        client = client_for(superuser)
        urls = [url for _label, url in admin_urls()]
        urls += [reverse("admin:accounts_user_delete", args=[user.pk]) for user in (coordinator, outsider)]
        for url in urls:
            body = client.get(url).content.decode()
            assert not [secret for secret in secrets_ if secret in body], url


class TestQueryCounts:
    def test_the_page_and_the_api_list_keep_a_fixed_number_of_queries(self, client_for, coordinator, count_queries):
        from accounts import services

        key = services.create_api_token(coordinator, name="first", actor=coordinator)[1]
        api, page = with_key(key), client_for(coordinator)
        api.get(reverse("api:api-token-list"))  # marks the key used, once a minute at most
        page.get(reverse("api-token-list"))  # warms the header's count of records to verify (evidence/waiting.py)
        few = (count_queries(lambda: page.get(reverse("api-token-list"))),
               count_queries(lambda: api.get(reverse("api:api-token-list"))))
        for n in range(40):
            services.create_api_token(coordinator, name=f"token {n}", actor=coordinator)
        many = (count_queries(lambda: page.get(reverse("api-token-list"))),
                count_queries(lambda: api.get(reverse("api:api-token-list"))))
        assert many == few

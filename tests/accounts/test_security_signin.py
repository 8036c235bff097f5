"""
Signing in: a second factor for those who set one up, groups whose coordinators require it, password reset by
e-mail, and the lock after repeated failures. Through the real sign-in form, as a member would.
"""

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AuditEntry, Group, Role
from accounts.signin import client_ip
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    EvidenceRecordFactory,
    InvitationFactory,
    MembershipFactory,
    UserFactory,
    add_second_factor,
    totp_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache):
    """Every test here starts with an empty cache (tests/conftest.py says why)."""


def sign_in(client, username, password=PASSWORD, address="127.0.0.1"):
    return client.post(reverse("login"), {"login": username, "password": password}, REMOTE_ADDR=address)


def actions_of(user):
    return list(AuditEntry.objects.filter(object_type="accounts.User", object_id=str(user.pk))
                .order_by("created_at", "pk").values_list("action", flat=True))


#
# Second factor
#


class TestSecondFactor:
    # allauth sends its signal and e-mail on commit, inside the request: only real commits show them.
    @pytest.mark.django_db(transaction=True)
    def test_it_sets_up_an_authenticator_app_with_recovery_codes(self, client, coordinator):
        assert sign_in(client, "alice").status_code == 302
        # Changing how one signs in asks for the password again first.
        asked = client.get(reverse("mfa_activate_totp"))
        assert asked["Location"].startswith(reverse("account_reauthenticate"))
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
        assert page.status_code == 200
        secret = page.context["form"].secret
        assert b"<script>" not in page.content
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
        assert response.status_code == 302
        kinds = set(Authenticator.objects.filter(user=coordinator).values_list("type", flat=True))
        assert kinds == {"totp", "recovery_codes"}
        assert "auth.second_factor_added" in actions_of(coordinator)
        # She is told by e-mail, so that a change she did not make does not go unnoticed.
        assert [message.to for message in mail.outbox] == [[coordinator.email]]

    def test_it_asks_for_the_code_after_the_password(self, client, coordinator, group):
        add_second_factor(coordinator)
        response = sign_in(client, "alice")
        assert response["Location"] == reverse("mfa_authenticate")
        # The password alone does not sign in.
        assert client.get(reverse("group-dashboard", args=[group.slug]))["Location"].startswith(reverse("login"))
        wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
        assert wrong.status_code == 200 and b"Incorrect code" in wrong.content
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
        assert response.status_code == 302
        assert client.get(reverse("group-dashboard", args=[group.slug])).status_code == 200
        assert actions_of(coordinator).count("auth.signed_in") == 1

    def test_a_recovery_code_signs_in_once(self, client, coordinator):
        code = add_second_factor(coordinator)[0]
        sign_in(client, "alice")
        assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
        client.post(reverse("logout"))
        sign_in(client, "alice")
        again = client.post(reverse("mfa_authenticate"), {"code": code})
        assert again.status_code == 200 and b"Incorrect code" in again.content

    def test_a_members_own_security_key_pages_are_hers_alone(self, client_for, coordinator, viewer):
        key = Authenticator.objects.create(user=coordinator, type=Authenticator.Type.WEBAUTHN,
                                           data={"name": "alice's key", "credential": {}})
        client = client_for(viewer)
        for name in ("mfa_edit_webauthn", "mfa_remove_webauthn"):
            response = client.get(reverse(name, kwargs={"pk": key.pk}))
            assert response.status_code in (302, 404), name
            assert b"alice's key" not in response.content

    def test_the_api_token_needs_the_code_too(self, coordinator):
        add_second_factor(coordinator)
        api = APIClient()
        url = reverse("api:token")
        without = api.post(url, {"username": "alice", "password": PASSWORD})
        assert without.status_code == 400 and "code" in without.json()
        wrong = api.post(url, {"username": "alice", "password": PASSWORD, "code": "000000"})
        assert wrong.status_code == 400
        right = api.post(url, {"username": "alice", "password": PASSWORD, "code": totp_code()})
        assert right.status_code == 200 and right.json()["token"]

    def test_an_account_without_a_second_factor_gets_a_token_with_its_password(self, coordinator):
        response = APIClient().post(reverse("api:token"), {"username": "alice", "password": PASSWORD})
        assert response.status_code == 200


#
# A group that requires a second factor
#


class TestGroupRequirement:
    def test_a_coordinator_requires_it_and_it_is_audited(self, client_for, coordinator, group):
        add_second_factor(coordinator)
        response = client_for(coordinator).post(reverse("group-two-factor", args=[group.slug]),
                                                {"requires_two_factor": "on"})
        assert response.status_code == 302
        group.refresh_from_db()
        assert group.requires_two_factor
        entry = AuditEntry.objects.get(group=group, action="group.two_factor_required")
        assert entry.actor == coordinator and entry.after == {"requires_two_factor": True}

        client_for(coordinator).post(reverse("group-two-factor", args=[group.slug]), {})
        group.refresh_from_db()
        assert not group.requires_two_factor

    def test_a_coordinator_without_it_is_told_to_set_up_their_own_first(self, client_for, coordinator, group):
        response = client_for(coordinator).post(reverse("group-two-factor", args=[group.slug]),
                                                {"requires_two_factor": "on"}, follow=True)
        assert b"Set up two-factor sign-in for your own account first" in response.content
        group.refresh_from_db()
        assert not group.requires_two_factor

    def test_only_coordinators_change_it(self, client_for, campaigner, outsider, group):
        url = reverse("group-two-factor", args=[group.slug])
        assert client_for(campaigner).post(url, {"requires_two_factor": "on"}).status_code == 403
        assert client_for(outsider).post(url, {"requires_two_factor": "on"}).status_code == 404
        group.refresh_from_db()
        assert not group.requires_two_factor

    def test_coordinators_see_who_has_set_it_up(self, client_for, coordinator, viewer, group):
        add_second_factor(coordinator)
        html = client_for(coordinator).get(reverse("member-list", args=[group.slug])).content.decode()
        assert html.count('data-two-factor="on"') == 1 and html.count('data-two-factor="off"') == 1

    def test_a_member_without_it_is_sent_to_set_it_up(self, client_for, viewer, group):
        record = EvidenceRecordFactory(group=group, title="Alpha's record")
        Group.objects.filter(pk=group.pk).update(requires_two_factor=True)
        client = client_for(viewer)
        for url in (reverse("group-dashboard", args=[group.slug]), reverse("evidence-detail", args=[record.pk])):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"] == reverse("mfa_index"), url
        assert client.get(reverse("home"), follow=True).redirect_chain[-1][0] == reverse("mfa_index")
        # Lists leave the group's data out, and say why.
        listing = client.get(reverse("evidence-list"))
        assert listing.status_code == 200 and b"Alpha&#x27;s record" not in listing.content
        assert b"Alpha Watch requires two-factor sign-in" in listing.content
        page = client.get(reverse("mfa_index"))
        assert page.status_code == 200
        assert b"Alpha Watch requires two-factor sign-in" in page.content
        assert client.get(reverse("mfa_activate_totp")).status_code in (200, 302)

        add_second_factor(viewer)
        assert client.get(reverse("group-dashboard", args=[group.slug])).status_code == 200
        assert b"Alpha&#x27;s record" in client.get(reverse("evidence-list")).content

    def test_the_session_api_refuses_with_a_reason(self, api_for, viewer, group):
        Group.objects.filter(pk=group.pk).update(requires_two_factor=True)
        api = api_for(viewer)
        response = api.get(reverse("api:group-detail", args=[group.pk]))
        assert response.status_code == 403
        assert "Alpha Watch requires two-factor sign-in" in response.json()["detail"]
        assert api.get(reverse("api:group-list")).json()["results"] == []

    def test_the_token_api_refuses_with_a_reason(self, viewer, group):
        _token, key = services.create_api_token(viewer, name="script", actor=viewer)
        Group.objects.filter(pk=group.pk).update(requires_two_factor=True)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        response = api.get(reverse("api:group-detail", args=[group.pk]))
        assert response.status_code == 403
        assert "Alpha Watch requires two-factor sign-in" in response.json()["detail"]
        assert api.get(reverse("api:group-list")).json()["results"] == []

        add_second_factor(viewer)
        assert api.get(reverse("api:group-detail", args=[group.pk])).status_code == 200

    def test_members_of_other_groups_are_not_affected(self, client_for, outsider, other_group, group):
        Group.objects.filter(pk=group.pk).update(requires_two_factor=True)
        assert client_for(outsider).get(reverse("group-dashboard", args=[other_group.slug])).status_code == 200

    def test_an_invited_newcomer_joins_and_is_then_asked_to_set_it_up(self, client, group):
        Group.objects.filter(pk=group.pk).update(requires_two_factor=True)
        invitation = InvitationFactory(group=group, email="nadia@example.org", role=Role.VOLUNTEER)
        response = client.post(invitation.get_absolute_url(), {
            "username": "nadia", "password1": "a-long-new-passphrase", "password2": "a-long-new-passphrase"})
        assert response.status_code == 302
        assert client.get(response["Location"])["Location"] == reverse("mfa_index")
        assert group.memberships.filter(user__username="nadia", role=Role.VOLUNTEER).exists()

    def test_an_invitation_to_a_group_without_the_rule_lands_on_its_page(self, client, group):
        invitation = InvitationFactory(group=group, email="nadia@example.org", role=Role.VOLUNTEER)
        response = client.post(invitation.get_absolute_url(), {
            "username": "nadia", "password1": "a-long-new-passphrase", "password2": "a-long-new-passphrase"},
            follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == reverse("group-dashboard", args=[group.slug])


#
# Password reset
#


def test_it_resets_a_forgotten_password_by_email(client, coordinator):
    response = client.post(reverse("account_reset_password"), {"email": coordinator.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [coordinator.email]
    link = next(word for word in mail.outbox[0].body.split() if "/accounts/password/reset/key/" in word)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(form.redirect_chain[-1][0] if form.redirect_chain else link,
                       {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"})
    assert done.status_code == 302
    coordinator.refresh_from_db()
    assert coordinator.check_password("a-brand-new-passphrase")
    assert "auth.password_reset" in actions_of(coordinator)


#
# Lock-out after failed sign-ins
#


class TestLockOut:
    def test_it_locks_an_account_after_five_failures_from_anywhere(self, client, coordinator, group, settings):
        for n in range(4):
            response = sign_in(client, "alice", "wrong-password", address=f"192.0.2.{n}")
            assert response.status_code == 200  # the form again, with its error
        assert sign_in(client, "alice", "wrong-password", address="192.0.2.4").status_code == 429
        # Now even the right password, from yet another address, is refused.
        locked = sign_in(client, "alice", address="198.51.100.9")
        assert locked.status_code == 429
        assert b"blocked for 15 minutes" in locked.content
        assert not client.session.get("_auth_user_id")
        assert "auth.locked_out" in actions_of(coordinator)
        assert actions_of(coordinator).count("auth.sign_in_failed") >= 5
        # Another account is not locked by alice's failures.
        assert sign_in(client, "carol_absent").status_code == 200

    def test_the_lock_expires_after_the_cool_off(self, client, coordinator):
        for _ in range(5):
            sign_in(client, "alice", "wrong-password")
        assert sign_in(client, "alice").status_code == 429
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        assert sign_in(client, "alice").status_code == 302

    def test_site_staff_see_the_lock_and_lift_it(self, client, client_for, coordinator):
        for _ in range(5):
            sign_in(client, "alice", "wrong-password")
        staff = UserFactory(username="sam", is_staff=True, is_superuser=True)
        admin = client_for(staff)
        listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
        assert listing.status_code == 200 and b"alice" in listing.content
        attempt = AccessAttempt.objects.get(username="alice")
        admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
        assert not AccessAttempt.objects.filter(username="alice").exists()
        admin.post(reverse("logout"))
        assert sign_in(client, "alice").status_code == 302

    def test_an_address_is_throttled_across_accounts(self, client, campaigner, settings):
        for n in range(settings.LOGIN_FAILURES_PER_ADDRESS):
            sign_in(client, f"guess{n}", "wrong-password", address="203.0.113.7")  # spraying many names
        # carol has never failed, but her address has: she waits too.
        assert sign_in(client, "carol", address="203.0.113.7").status_code == 429
        assert sign_in(client, "carol", address="203.0.113.8").status_code == 302

    def test_fewer_failures_from_an_address_do_not_lock_it(self, client, campaigner, settings):
        for n in range(settings.LOGIN_FAILURES_PER_ADDRESS - 1):
            sign_in(client, f"guess{n}", "wrong-password", address="203.0.113.7")
        assert sign_in(client, "carol", address="203.0.113.7").status_code == 302

    def test_guessing_second_factor_codes_locks_the_account_too(self, client, coordinator):
        add_second_factor(coordinator)
        sign_in(client, "alice")
        responses = [client.post(reverse("mfa_authenticate"), {"code": f"00000{n}"}) for n in range(5)]
        assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
        refused = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
        assert refused.status_code in (200, 429) and b"blocked for 15 minutes" in refused.content
        assert not client.session.get("_auth_user_id")
        assert actions_of(coordinator).count("auth.second_factor_failed") >= 5
        assert AccessAttempt.objects.filter(username="alice").exists()  # the same lock staff see and lift

    def test_the_api_token_endpoint_is_locked_too(self, coordinator):
        api = APIClient()
        for _ in range(5):
            api.post(reverse("api:token"), {"username": "alice", "password": "wrong-password"})
        response = api.post(reverse("api:token"), {"username": "alice", "password": PASSWORD})
        assert response.status_code == 429
        assert "blocked for 15 minutes" in response.json()["detail"]

    def test_a_failed_sign_in_of_an_unknown_name_is_in_no_groups_log(self, client, coordinator):
        sign_in(client, "nobody-here", "wrong-password")
        assert not AuditEntry.objects.filter(action="auth.sign_in_failed").exists()
        assert AccessAttempt.objects.filter(username="nobody-here").exists()

    def test_a_sign_in_is_recorded_once_in_no_groups_log(self, client, coordinator, group, other_group):
        # Each group seeing it would show it when a member works on their other groups (issue 13, finding 5).
        MembershipFactory(user=coordinator, group=other_group, role=Role.VIEWER)
        assert sign_in(client, "alice").status_code == 302
        groups = AuditEntry.objects.filter(action="auth.signed_in", actor=coordinator).values_list("group", flat=True)
        assert list(groups) == [None]


#
# The client's address
#


class TestClientAddress:
    def request(self, forwarded):
        return RequestFactory().get("/", REMOTE_ADDR="10.9.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    def test_it_ignores_forwarded_for_unless_told_of_a_proxy(self, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        assert client_ip(self.request("198.51.100.1")) == "10.9.0.1"

    def test_it_takes_the_address_our_proxy_saw(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        # The client sent a made-up first entry; our proxy appended the address it really saw.
        assert client_ip(self.request("1.2.3.4, 198.51.100.1")) == "198.51.100.1"

    def test_it_falls_back_to_the_peer_when_the_header_is_short_or_garbage(self, settings):
        settings.TRUSTED_PROXY_COUNT = 2
        assert client_ip(self.request("198.51.100.1")) == "10.9.0.1"
        settings.TRUSTED_PROXY_COUNT = 1
        assert client_ip(self.request("not-an-address")) == "10.9.0.1"


def test_the_totp_secret_used_in_tests_is_valid_base32():
    assert len(totp_code(TOTP_SECRET)) == 6

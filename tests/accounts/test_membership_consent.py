"""
Membership is the member's choice: an invitation is accepted or declined by the person it was addressed to, and a
member can leave. A group learns nothing of a person who has not joined it, nor of what members do elsewhere, and
its rules (two-factor sign-in) bind its own data only. bob coordinates Beta Rights; alice coordinates Alpha Watch.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AuditEntry, Group, Invitation, Membership, Role
from tests.factories import (
    PASSWORD,
    EvidenceRecordFactory,
    InvitationFactory,
    MembershipFactory,
    add_second_factor,
)

pytestmark = pytest.mark.django_db


def invite(client, group, email, django_capture_on_commit_callbacks, role="volunteer"):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("member-invite", args=[group.slug]), {"email": email, "role": role}, follow=True)


def shown_messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


#
# Inviting
#


class TestInvitingAnExistingAddress:
    def test_alice_is_not_a_member_of_beta_until_she_accepts(self, client_for, coordinator, outsider, other_group,
                                                              django_capture_on_commit_callbacks):
        response = invite(client_for(outsider), other_group, "ALICE@example.org", django_capture_on_commit_callbacks)
        assert response.status_code == 200
        assert not Membership.objects.filter(user=coordinator, group=other_group).exists()
        invitation = Invitation.objects.get(group=other_group)
        assert invitation.email == "alice@example.org"
        assert mail.outbox[0].to == ["alice@example.org"]
        # Nothing bob reads names alice's account or tells whether it has a second factor: his member list has his
        # own row only, and Beta's log only his invitation.
        members = response.content.decode()
        assert "<td>alice" not in members and members.count("data-two-factor=") == 1
        log = client_for(outsider).get(reverse("audit-log", args=[other_group.slug])).content.decode()
        assert "invitation.sent" in log and "membership.added" not in log
        assert list(AuditEntry.objects.filter(group=other_group).values_list("action", "actor")) == [
            ("invitation.sent", outsider.pk)]
        assert "alice@example.org" in log and not re.search(r"\balice\b(?!@)", log)

    def test_the_answer_is_the_same_for_an_existing_and_an_unknown_address(
            self, client_for, coordinator, outsider, other_group, django_capture_on_commit_callbacks):
        add_second_factor(coordinator)
        client = client_for(outsider)

        def answer(email):
            response = invite(client, other_group, email, django_capture_on_commit_callbacks)
            entry = AuditEntry.objects.filter(group=other_group).latest("created_at")
            invitation = Invitation.objects.get(group=other_group, email=email)
            message = mail.outbox[-1]
            blank = {email: "ADDRESS", invitation.token: "TOKEN"}

            def blanked(text):
                return re.sub("|".join(re.escape(key) for key in blank), lambda m: blank[m.group()], str(text))

            page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
            page = re.sub(r'action="/invitations/\d+/', 'action="/invitations/ID/', page)
            return (response.status_code, blanked(shown_messages(response)),
                    entry.action, entry.actor_id, entry.object_type, blanked(entry.object_repr),
                    blanked(entry.before), blanked(entry.after),
                    blanked(message.subject), blanked(message.body), message.to == [email],
                    page.count("ADDRESS"), page.replace(email, "ADDRESS"))

        known, unknown = answer("alice@example.org"), answer("nobody@example.org")
        # The page lists both invitations by now; compare what the second answer added with the first.
        assert known[:-1] == unknown[:-1]
        assert not Membership.objects.filter(user=coordinator, group=other_group).exists()

    def test_an_open_invitation_is_not_sent_twice(self, client_for, outsider, other_group,
                                                  django_capture_on_commit_callbacks):
        client = client_for(outsider)
        invite(client, other_group, "nobody@example.org", django_capture_on_commit_callbacks)
        response = invite(client, other_group, "Nobody@example.org", django_capture_on_commit_callbacks)
        assert b"already invited" in response.content
        assert Invitation.objects.filter(group=other_group).count() == 1 and len(mail.outbox) == 1


#
# Accepting and declining
#


@pytest.fixture
def beta_invites_alice(coordinator, outsider, other_group):
    return InvitationFactory(group=other_group, email="alice@example.org", role=Role.VOLUNTEER, invited_by=outsider)


class TestAccepting:
    def test_alice_accepts_signed_in_as_herself(self, client_for, coordinator, other_group, beta_invites_alice):
        client = client_for(coordinator)
        page = client.get(beta_invites_alice.get_absolute_url())
        assert page.status_code == 200 and b"Join as alice" in page.content
        response = client.post(beta_invites_alice.get_absolute_url())
        assert response.status_code == 302
        assert Membership.objects.get(user=coordinator, group=other_group).role == Role.VOLUNTEER
        assert AuditEntry.objects.filter(group=other_group, action="membership.joined", actor=coordinator).exists()

    def test_another_account_holding_the_link_cannot_accept_it(self, client_for, coordinator, campaigner,
                                                               other_group, beta_invites_alice):
        client = client_for(campaigner)
        assert client.get(beta_invites_alice.get_absolute_url()).status_code == 403
        response = client.post(beta_invites_alice.get_absolute_url())
        assert response.status_code == 403
        assert b"another address" in response.content
        assert not other_group.memberships.filter(user__in=[campaigner, coordinator]).exists()
        assert Invitation.objects.get(pk=beta_invites_alice.pk).is_open

    def test_an_address_added_but_not_verified_does_not_count(self, client_for, campaigner, coordinator, other_group,
                                                              beta_invites_alice):
        # carol types alice's address into her account (allauth's e-mail page), without the mailbox to verify it.
        EmailAddress.objects.create(user=campaigner, email="alice@example.org", verified=False, primary=True)
        campaigner.email = "alice@example.org"
        campaigner.save(update_fields=["email"])
        response = client_for(campaigner).post(beta_invites_alice.get_absolute_url())
        assert response.status_code == 403
        assert not other_group.memberships.filter(user=campaigner).exists()

    def test_an_address_with_an_account_is_asked_to_sign_in_not_to_make_a_second_one(
            self, client, coordinator, other_group, beta_invites_alice):
        url = beta_invites_alice.get_absolute_url()
        page = client.get(url)
        assert page.status_code == 200 and b"Sign in" in page.content and b"password1" not in page.content
        assert b"alice<" not in page.content  # the link says nothing of the account's name
        response = client.post(url, {"username": "alice2", "password1": PASSWORD + "!x", "password2": PASSWORD + "!x"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert not Membership.objects.filter(group=other_group, user__username__in=["alice", "alice2"]).exists()

    def test_a_newcomer_who_joins_has_a_verified_address(self, client, other_group):
        invitation = InvitationFactory(group=other_group, email="nadia@example.org")
        client.post(invitation.get_absolute_url(),
                    {"username": "nadia", "password1": PASSWORD + "!x", "password2": PASSWORD + "!x"})
        assert EmailAddress.objects.filter(user__username="nadia", email="nadia@example.org", verified=True).exists()

    def test_alice_declines(self, client_for, coordinator, outsider, other_group, beta_invites_alice):
        client = client_for(coordinator)
        response = client.post(reverse("invitation-decline", args=[beta_invites_alice.token]), follow=True)
        assert response.status_code == 200
        assert "You declined" in " ".join(shown_messages(response))
        assert not Membership.objects.filter(user=coordinator, group=other_group).exists()
        assert not Invitation.objects.filter(pk=beta_invites_alice.pk).exists()
        entry = AuditEntry.objects.get(group=other_group, action="invitation.declined")
        assert entry.actor is None  # who declined would tell bob alice's username
        assert client.get(beta_invites_alice.get_absolute_url()).status_code == 404
        assert b"alice<" not in client_for(outsider).get(reverse("audit-log", args=[other_group.slug])).content

    def test_another_account_cannot_decline_it(self, client_for, campaigner, other_group, beta_invites_alice):
        response = client_for(campaigner).post(reverse("invitation-decline", args=[beta_invites_alice.token]))
        assert response.status_code == 403
        assert Invitation.objects.filter(pk=beta_invites_alice.pk).exists()


#
# Leaving
#


class TestLeaving:
    def test_a_member_leaves_from_the_group_page(self, client_for, coordinator, volunteer, group):
        client = client_for(volunteer)
        membership = volunteer.memberships.get(group=group)
        page = client.get(reverse("group-dashboard", args=[group.slug]))
        assert reverse("group-leave", args=[group.slug]).encode() in page.content
        response = client.post(reverse("group-leave", args=[group.slug]))
        assert response.status_code == 302 and response["Location"] == reverse("home")
        assert not Membership.objects.filter(pk=membership.pk).exists()
        entry = AuditEntry.objects.get(group=group, action="membership.left")
        assert entry.actor == volunteer and entry.before["user"] == "victor"
        assert client.get(reverse("group-dashboard", args=[group.slug])).status_code == 404

    def test_a_member_leaves_through_the_api(self, api_for, volunteer, group):
        membership = volunteer.memberships.get(group=group)
        response = api_for(volunteer).post(reverse("api:membership-leave", args=[membership.pk]))
        assert response.status_code == 204
        assert not Membership.objects.filter(pk=membership.pk).exists()

    def test_nobody_leaves_on_someone_elses_behalf(self, client_for, api_for, coordinator, volunteer, outsider,
                                                   group):
        membership = volunteer.memberships.get(group=group)
        # The page names no membership, only the group: one leaves as oneself.
        assert client_for(outsider).post(reverse("group-leave", args=[group.slug])).status_code == 404
        assert api_for(coordinator).post(reverse("api:membership-leave", args=[membership.pk])).status_code == 404
        assert api_for(outsider).post(reverse("api:membership-leave", args=[membership.pk])).status_code == 404
        assert Membership.objects.filter(pk=membership.pk).exists()

    def test_the_last_coordinator_cannot_leave(self, client_for, api_for, coordinator, group):
        membership = coordinator.memberships.get(group=group)
        response = client_for(coordinator).post(reverse("group-leave", args=[group.slug]), follow=True)
        assert b"at least one coordinator" in response.content
        api = api_for(coordinator).post(reverse("api:membership-leave", args=[membership.pk]))
        assert api.status_code == 400 and "at least one coordinator" in str(api.json())
        assert Membership.objects.filter(pk=membership.pk).exists()


#
# What a group sees of a member's other groups
#


def test_beta_does_not_see_alices_sign_ins(client, client_for, coordinator, outsider, group, other_group):
    MembershipFactory(user=coordinator, group=other_group, role=Role.VIEWER)
    assert client.post(reverse("login"), {"login": "alice", "password": PASSWORD}).status_code == 302
    client.logout()
    for reader, its_group in ((outsider, other_group), (coordinator, group)):
        page = client_for(reader).get(reverse("audit-log", args=[its_group.slug]))
        assert b"auth.signed_in" not in page.content
    assert not AuditEntry.objects.filter(action="auth.signed_in", group__isnull=False).exists()
    assert AuditEntry.objects.filter(action="auth.signed_in", actor=coordinator, group=None).count() == 1


#
# A group's two-factor rule binds its own data only
#


@pytest.fixture
def alice_in_beta_requiring_two_factor(coordinator, group, other_group):
    MembershipFactory(user=coordinator, group=other_group, role=Role.VIEWER)
    Group.objects.filter(pk=other_group.pk).update(requires_two_factor=True)
    return (EvidenceRecordFactory(group=group, title="Alpha's own record"),
            EvidenceRecordFactory(group=other_group, title="Beta's record"))


class TestTwoFactorPerGroup:
    def test_alice_keeps_alphas_pages_but_not_betas(self, client_for, coordinator, group, other_group,
                                                    alice_in_beta_requiring_two_factor):
        alpha_record, beta_record = alice_in_beta_requiring_two_factor
        client = client_for(coordinator)
        assert client.get(reverse("group-dashboard", args=[group.slug])).status_code == 200
        assert client.get(reverse("evidence-detail", args=[alpha_record.pk])).status_code == 200
        listing = client.get(reverse("evidence-list"))
        assert listing.status_code == 200
        assert b"Alpha&#x27;s own record" in listing.content and b"Beta&#x27;s record" not in listing.content
        assert b"Beta Rights requires two-factor sign-in" in listing.content  # the notice in the header

        for url in (reverse("group-dashboard", args=[other_group.slug]),
                    reverse("evidence-detail", args=[beta_record.pk])):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"] == reverse("mfa_index"), url
        page = client.get(reverse("mfa_index"))
        assert b"Beta Rights requires two-factor sign-in" in page.content

        add_second_factor(coordinator)
        assert client.get(reverse("evidence-detail", args=[beta_record.pk])).status_code == 200
        assert b"requires two-factor sign-in" not in client.get(reverse("evidence-list")).content

    def test_the_api_keeps_alphas_data_but_not_betas(self, api_for, coordinator, group, other_group,
                                                     alice_in_beta_requiring_two_factor):
        alpha_record, beta_record = alice_in_beta_requiring_two_factor
        api = api_for(coordinator)
        assert api.get(reverse("api:me")).status_code == 200
        titles = [row["title"] for row in api.get(reverse("api:evidence-list")).json()["results"]]
        assert titles == ["Alpha's own record"]
        assert api.get(reverse("api:evidence-detail", args=[alpha_record.pk])).status_code == 200
        refused = api.get(reverse("api:evidence-detail", args=[beta_record.pk]))
        assert refused.status_code == 403
        assert "Beta Rights requires two-factor sign-in" in refused.json()["detail"]
        assert api.get(reverse("api:group-detail", args=[other_group.pk])).status_code == 403

    def test_a_token_works_for_alpha_and_not_for_beta(self, coordinator, alice_in_beta_requiring_two_factor):
        alpha_record, beta_record = alice_in_beta_requiring_two_factor
        obtained = APIClient().post(reverse("api:token"), {"username": "alice", "password": PASSWORD})
        assert obtained.status_code == 200
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {obtained.json()['token']}")
        assert api.get(reverse("api:evidence-detail", args=[alpha_record.pk])).status_code == 200
        assert api.get(reverse("api:evidence-detail", args=[beta_record.pk])).status_code == 403

    def test_alice_can_still_leave_beta(self, client_for, api_for, coordinator, other_group,
                                        alice_in_beta_requiring_two_factor):
        response = client_for(coordinator).post(reverse("group-leave", args=[other_group.slug]))
        assert response.status_code == 302
        assert not other_group.memberships.filter(user=coordinator).exists()

    def test_alice_cannot_act_in_beta_either(self, coordinator, other_group, alice_in_beta_requiring_two_factor):
        Membership.objects.filter(user=coordinator, group=other_group).update(role=Role.COORDINATOR)
        with pytest.raises(PermissionDenied):
            services.set_listed_for_sharing(other_group, listed=True, actor=coordinator)


#
# Services check the actor's role in the object's group
#


class TestServicesCheckTheActor:
    def test_a_coordinator_of_another_group_cannot_change_roles_in_alpha(self, outsider, viewer, group):
        membership = viewer.memberships.get(group=group)
        with pytest.raises(PermissionDenied):
            services.change_role(membership, role=Role.COORDINATOR, actor=outsider)
        membership.refresh_from_db()
        assert membership.role == Role.VIEWER

    def test_a_campaigner_cannot_change_roles(self, campaigner, viewer, group):
        with pytest.raises(PermissionDenied):
            services.change_role(viewer.memberships.get(group=group), role=Role.COORDINATOR, actor=campaigner)

    def test_a_coordinator_of_another_group_cannot_remove_alphas_members(self, outsider, viewer, group):
        with pytest.raises(PermissionDenied):
            services.remove_member(viewer.memberships.get(group=group), actor=outsider)
        assert viewer.memberships.filter(group=group).exists()

    def test_a_coordinator_of_another_group_cannot_revoke_alphas_invitations(self, outsider, group):
        invitation = InvitationFactory(group=group)
        with pytest.raises(PermissionDenied):
            services.revoke_invitation(invitation, actor=outsider)
        assert Invitation.objects.filter(pk=invitation.pk).exists()

    def test_a_coordinator_of_another_group_cannot_invite_into_alpha(self, outsider, group):
        with pytest.raises(PermissionDenied):
            services.invite_member(group, email="x@example.org", role=Role.COORDINATOR, actor=outsider)
        assert not Invitation.objects.exists()

    def test_a_coordinator_of_another_group_cannot_set_alphas_two_factor_rule(self, outsider, group):
        add_second_factor(outsider)
        with pytest.raises(PermissionDenied):
            services.set_two_factor_requirement(group, required=True, actor=outsider)
        group.refresh_from_db()
        assert not group.requires_two_factor

    def test_nobody_leaves_on_someone_elses_behalf(self, coordinator, viewer, group):
        with pytest.raises(PermissionDenied):
            services.leave_group(viewer.memberships.get(group=group), actor=coordinator)

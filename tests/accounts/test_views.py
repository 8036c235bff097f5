from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.models import AuditEntry, Invitation, Membership, Role, User
from tests.factories import PASSWORD, InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def nav_labels(response):
    return [item["label"] for item in response.context["nav_items"]]


class TestSignIn:
    def test_it_shows_the_login_page(self, client):
        response = client.get(reverse("login"))
        assert response.status_code == 200
        assert b'name="login"' in response.content and b'name="password"' in response.content

    def test_it_sends_anonymous_visitors_to_the_login_page(self, client, group):
        response = client.get(reverse("group-dashboard", args=[group.slug]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_it_rejects_a_wrong_password_with_a_message(self, client, coordinator):
        response = client.post(reverse("login"), {"login": "alice", "password": "wrong"})
        assert response.status_code == 200
        assert b"username and/or password you specified are not correct" in response.content

    MEMBER_NAV = ["Overview", "Campaigns", "My work", "Evidence", "Institutions", "Recommendations", "Members"]

    @pytest.mark.parametrize(
        "role, expected_nav",
        [
            ("coordinator", [*MEMBER_NAV, "Briefing packs", "Background jobs", "Audit log"]),
            ("campaigner", MEMBER_NAV),
            ("volunteer", MEMBER_NAV),
            ("viewer", MEMBER_NAV),
        ],
    )
    def test_each_demo_account_signs_in_and_sees_its_role(self, client, role, expected_nav):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
        response = client.post(reverse("login"), {"login": role, "password": "disentangle-demo"}, follow=True)
        assert response.status_code == 200
        assert response.context["user"].username == role
        assert response.context["active_role"] == role
        assert nav_labels(response) == expected_nav
        assert f'data-role="{role}"'.encode() in response.content

    def test_demo_seeding_can_run_twice(self):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
        call_command("seed_demo", stdout=open("/dev/null", "w"))
        assert User.objects.filter(username__in=[r.value for r in Role]).count() == 4
        assert Membership.objects.filter(group__slug="demo-coalition").count() == 4

    def test_the_second_demo_group_has_a_coordinator_of_its_own(self, client):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
        response = client.post(reverse("login"), {"login": "partner", "password": "disentangle-demo"}, follow=True)
        assert response.context["user"].username == "partner"
        assert response.context["active_role"] == Role.COORDINATOR
        assert [m.group.slug for m in Membership.objects.filter(user__username="partner")] == ["partner-network"]
        assert client.get(reverse("group-dashboard", args=["demo-coalition"])).status_code == 404


class TestDashboardAndSwitcher:
    def test_it_redirects_home_to_the_users_group(self, client_for, coordinator, group):
        response = client_for(coordinator).get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"] == reverse("group-dashboard", args=[group.slug])

    def test_it_explains_what_a_user_without_a_group_can_do(self, client_for):
        response = client_for(UserFactory()).get(reverse("home"))
        assert response.status_code == 200
        assert b"not in a group yet" in response.content

    def test_it_lists_the_abilities_of_the_role(self, client_for, volunteer, group):
        response = client_for(volunteer).get(reverse("group-dashboard", args=[group.slug]))
        assert b"log evidence records and sources" in response.content
        assert b"invite members" not in response.content

    def test_it_switches_between_the_users_groups(self, client_for, coordinator, group, other_group):
        MembershipFactory(user=coordinator, group=other_group, role=Role.VIEWER)
        client = client_for(coordinator)
        response = client.post(reverse("switch-group"), {"group": other_group.pk})
        assert response["Location"] == reverse("group-dashboard", args=[other_group.slug])
        home = client.get(reverse("home"))
        assert home["Location"] == reverse("group-dashboard", args=[other_group.slug])
        page = client.get(home["Location"])
        assert page.context["active_role"] == Role.VIEWER
        assert "Background jobs" not in nav_labels(page)
        assert b'id="group-switcher"' in page.content

    def test_it_refuses_to_switch_to_a_group_the_user_is_not_in(self, client_for, coordinator, other_group):
        response = client_for(coordinator).post(reverse("switch-group"), {"group": other_group.pk})
        assert response.status_code == 404


class TestMembers:
    def test_members_see_the_list_without_management_forms(self, client_for, viewer, coordinator, group):
        response = client_for(viewer).get(reverse("member-list", args=[group.slug]))
        assert response.status_code == 200
        assert b"alice" in response.content
        assert b"Add or invite" not in response.content

    def test_an_existing_user_joins_only_by_accepting(self, client_for, coordinator, group,
                                                      django_capture_on_commit_callbacks):
        newcomer = UserFactory(username="nina", email="nina@example.org")
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(coordinator).post(
                reverse("member-invite", args=[group.slug]), {"email": "NINA@example.org", "role": "volunteer"}
            )
        assert response.status_code == 302
        assert not Membership.objects.filter(user=newcomer, group=group).exists()
        assert AuditEntry.objects.filter(group=group, action="invitation.sent", actor=coordinator).exists()
        invitation = Invitation.objects.get(group=group, email="nina@example.org")
        assert invitation.get_absolute_url() in mail.outbox[0].body

        client_for(newcomer).post(invitation.get_absolute_url())
        assert Membership.objects.get(user=newcomer, group=group).role == Role.VOLUNTEER

    def test_coordinator_invites_a_new_address_by_email(self, client, client_for, coordinator, group,
                                                         django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            client_for(coordinator).post(
                reverse("member-invite", args=[group.slug]), {"email": "omar@example.org", "role": "campaigner"}
            )
        invitation = Invitation.objects.get(group=group)
        assert len(mail.outbox) == 1
        assert invitation.get_absolute_url() in mail.outbox[0].body

        client.logout()
        response = client.post(
            invitation.get_absolute_url(),
            {"username": "omar", "password1": PASSWORD + "!x", "password2": PASSWORD + "!x"},
        )
        assert response.status_code == 302
        omar = User.objects.get(username="omar")
        assert omar.email == "omar@example.org"
        assert Membership.objects.get(user=omar, group=group).role == Role.CAMPAIGNER
        # The link works once.
        assert client.get(invitation.get_absolute_url()).status_code == 410

    def test_it_rerenders_the_invite_form_with_errors(self, client_for, coordinator, group):
        response = client_for(coordinator).post(
            reverse("member-invite", args=[group.slug]), {"email": "not-an-address", "role": "boss"}
        )
        assert response.status_code == 400
        assert b"Enter a valid email address" in response.content
        assert b"Select a valid choice" in response.content
        assert not Invitation.objects.exists()

    def test_it_refuses_to_add_someone_twice(self, client_for, coordinator, viewer, group):
        response = client_for(coordinator).post(
            reverse("member-invite", args=[group.slug]), {"email": viewer.email, "role": "volunteer"}
        )
        assert response.status_code == 400
        assert b"already a member" in response.content

    def test_an_expired_invitation_is_refused(self, client, group):
        invitation = InvitationFactory(group=group)
        Invitation.objects.filter(pk=invitation.pk).update(created_at=invitation.created_at - timedelta(days=30))
        assert client.get(invitation.get_absolute_url()).status_code == 410

    def test_coordinator_changes_a_role_and_it_is_audited(self, client_for, coordinator, viewer, group):
        membership = viewer.memberships.get(group=group)
        client_for(coordinator).post(reverse("member-change-role", args=[membership.pk]), {"role": "campaigner"})
        membership.refresh_from_db()
        assert membership.role == Role.CAMPAIGNER
        entry = AuditEntry.objects.get(action="membership.role_changed")
        assert entry.before["role"] == "viewer" and entry.after["role"] == "campaigner"

    def test_the_last_coordinator_cannot_step_down(self, client_for, coordinator, group):
        membership = coordinator.memberships.get(group=group)
        response = client_for(coordinator).post(
            reverse("member-change-role", args=[membership.pk]), {"role": "viewer"}, follow=True
        )
        membership.refresh_from_db()
        assert membership.role == Role.COORDINATOR
        assert b"at least one coordinator" in response.content

    def test_coordinator_removes_a_member(self, client_for, coordinator, volunteer, group):
        membership = volunteer.memberships.get(group=group)
        client_for(coordinator).post(reverse("member-remove", args=[membership.pk]))
        assert not Membership.objects.filter(pk=membership.pk).exists()

    @pytest.mark.parametrize("actor", ["campaigner", "volunteer", "viewer"])
    def test_only_coordinators_manage_members(self, client_for, actors, group, actor):
        client = client_for(actors[actor])
        target = actors["viewer"].memberships.get(group=group)
        assert client.post(reverse("member-invite", args=[group.slug]),
                           {"email": "x@example.org", "role": "viewer"}).status_code == 403
        assert client.post(reverse("member-change-role", args=[target.pk]), {"role": "coordinator"}).status_code == 403
        assert client.post(reverse("member-remove", args=[target.pk])).status_code == 403
        target.refresh_from_db()
        assert target.role == Role.VIEWER

    def test_member_list_runs_a_fixed_number_of_queries(self, client_for, coordinator, group, count_queries):
        client = client_for(coordinator)
        url = reverse("member-list", args=[group.slug])
        MembershipFactory.create_batch(2, group=group)
        InvitationFactory.create_batch(2, group=group)
        few = count_queries(lambda: client.get(url))
        MembershipFactory.create_batch(40, group=group)
        InvitationFactory.create_batch(20, group=group)
        many = count_queries(lambda: client.get(url))
        assert few == many


def test_a_coordinator_who_leaves_lands_on_their_home_page(client_for, coordinator, group):
    other = MembershipFactory(group=group, role=Role.COORDINATOR)
    client = client_for(coordinator)
    response = client.post(reverse("member-remove", args=[coordinator.memberships.get(group=group).pk]))
    assert response["Location"] == reverse("home")
    assert client.get(reverse("member-list", args=[group.slug])).status_code == 404
    assert Membership.objects.filter(group=group).get() == other


def test_an_invitation_is_kept_when_the_mail_server_is_down(client_for, coordinator, group, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    def mail_down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("accounts.services.send_mail", mail_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(coordinator).post(
            reverse("member-invite", args=[group.slug]), {"email": "omar@example.org", "role": "viewer"})
    assert response.status_code == 302
    assert Invitation.objects.filter(group=group, email="omar@example.org").exists()


def test_the_sign_in_form_says_remember_me_in_sentence_case_beside_its_box(client):
    html = client.get(reverse("login")).content.decode()

    assert "Remember Me" not in html
    box = html.index('<input type="checkbox" name="remember"')
    label = html.index('<label for="id_remember">Remember me</label>')
    assert box < label  # the box first, on the label's line (includes/field.html)

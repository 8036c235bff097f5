"""
Site staff are not members (issue 13, finding 1): the Django admin gives staff, even superusers, no way into a
group's data and no way to tell whether a group's object exists. The broader "which models may the admin show"
rule is in tests/test_isolation_matrix.py (e); these are the ways in that were found through it.
"""

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.models import Invitation, Membership
from tests.factories import UserFactory
from tests.test_isolation import beta_objects

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    """Site staff with no permissions at all, in no group."""
    return UserFactory(username="stan", is_staff=True)


@pytest.fixture
def superuser(db):
    return UserFactory(username="sam", is_staff=True, is_superuser=True)


def shortcut_url(obj_or_model, pk):
    content_type = ContentType.objects.get_for_model(obj_or_model)
    # Written out: the admin no longer names this route, and the test must not depend on it existing.
    return f"/admin/r/{content_type.pk}/{pk}/"


class TestViewOnSite:
    def test_it_answers_staff_404_for_every_object_of_a_group_existing_or_not(self, client_for, staff, superuser,
                                                                              other_group, outsider):
        objects = beta_objects(other_group, outsider)
        for who in (staff, superuser):
            client = client_for(who)
            for name, obj in objects.items():
                for pk in (obj.pk, 987654):
                    response = client.get(shortcut_url(obj, pk))
                    assert response.status_code == 404, (who.username, name, pk, response.status_code)
                    assert "Location" not in response, (who.username, name)

    def test_an_invitation_link_is_not_handed_to_staff(self, client_for, staff, other_group, outsider):
        invitation = beta_objects(other_group, outsider)["invitation"]
        client = client_for(staff)
        response = client.get(shortcut_url(invitation, invitation.pk), follow=True)
        assert response.status_code == 404
        assert invitation.token.encode() not in response.content
        assert not Membership.objects.filter(user=staff).exists()
        assert Invitation.objects.get(pk=invitation.pk).accepted_at is None


class TestAdminPages:
    GROUP_MODELS = ["accounts.Membership", "accounts.Invitation", "accounts.WorkerCheck", "accounts.AuditEntry",
                    "evidence.EvidenceRecord", "evidence.Source", "evidence.Attachment", "evidence.Institution",
                    "campaigns.Campaign", "campaigns.Target", "campaigns.BriefingPack"]

    def test_group_data_has_no_admin_pages(self, client_for, superuser, other_group, outsider):
        objects = beta_objects(other_group, outsider)
        registered = {model._meta.label for model in admin.site._registry}
        assert not registered & set(self.GROUP_MODELS)
        client = client_for(superuser)
        for obj in objects.values():
            info = obj._meta.app_label, obj._meta.model_name
            for path in (f"/admin/{info[0]}/{info[1]}/", f"/admin/{info[0]}/{info[1]}/{obj.pk}/change/",
                         f"/admin/{info[0]}/{info[1]}/{obj.pk}/history/"):
                if obj._meta.label == "accounts.Group":
                    continue
                assert client.get(path).status_code in (302, 404), path

    def test_a_group_page_lists_no_members(self, client_for, superuser, other_group, outsider):
        beta_objects(other_group, outsider)
        client = client_for(superuser)
        for view in ("change", "delete", "history"):
            response = client.get(reverse(f"admin:accounts_group_{view}", args=[other_group.pk]))
            assert response.status_code == 200, view
            assert b"bob" not in response.content, view

    def test_a_user_page_tells_no_groups(self, client_for, superuser, other_group, outsider):
        beta_objects(other_group, outsider)
        client = client_for(superuser)
        for view in ("change", "delete", "history"):
            response = client.get(reverse(f"admin:accounts_user_{view}", args=[outsider.pk]))
            assert response.status_code == 200, view
            assert b"Beta Rights" not in response.content, view

    def test_staff_cannot_set_a_members_password(self, client_for, superuser, outsider):
        # With it, a stolen staff account signs in as any member, into their group.
        response = client_for(superuser).get(f"/admin/accounts/user/{outsider.pk}/password/")
        assert response.status_code in (302, 404)
        response = client_for(superuser).post(f"/admin/accounts/user/{outsider.pk}/password/",
                                              {"password1": "staff-chosen-1", "password2": "staff-chosen-1"})
        outsider.refresh_from_db()
        assert not outsider.check_password("staff-chosen-1")

    def test_staff_cannot_change_a_members_address_or_second_factor(self, client_for, superuser, outsider):
        # A new address takes the password reset e-mail; a removed authenticator leaves the password alone.
        registered = {model._meta.label for model in admin.site._registry}
        assert not registered & {"account.EmailAddress", "mfa.Authenticator"}
        url = reverse("admin:accounts_user_change", args=[outsider.pk])
        form = client_for(superuser).get(url).content.decode()
        assert 'name="email"' not in form
        client_for(superuser).post(url, {"username": "bob", "email": "staff@example.org", "is_active": "on"})
        outsider.refresh_from_db()
        assert outsider.email != "staff@example.org"


class TestInviteCoordinator:
    """What staff used the admin's membership and invitation pages for, from the shell instead."""

    def test_it_e_mails_an_invitation_and_prints_no_link(self, group, mailoutbox, capsys,
                                                         django_capture_on_commit_callbacks):
        from django.core.management import call_command

        with django_capture_on_commit_callbacks(execute=True):
            call_command("invite_coordinator", "alpha-watch", "new.lead@example.org")
        invitation = Invitation.objects.get(group=group, email="new.lead@example.org")
        assert invitation.role == "coordinator"
        assert invitation.token not in capsys.readouterr().out
        assert [message.to for message in mailoutbox] == [["new.lead@example.org"]]

    def test_it_refuses_an_unknown_group(self, db):
        from django.core.management import CommandError, call_command

        with pytest.raises(CommandError, match="No group"):
            call_command("invite_coordinator", "nowhere", "new.lead@example.org")

"""
The accounts verbs check the actor's role in the object's own group themselves, so that no page, API view or
command that forgets to ask first can lend them a role: bob coordinates Beta Rights, which gives him nothing in
Alpha Watch, where alice coordinates and vera only reads.
"""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import services
from accounts.models import AuditEntry, Invitation, Membership, Role
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def alices_membership(coordinator, group):
    return Membership.objects.get(user=coordinator, group=group)


class TestChangeRole:
    def test_it_refuses_another_groups_coordinator_through_the_service(self, coordinator, viewer, group, outsider):
        membership = Membership.objects.get(user=viewer, group=group)
        with pytest.raises(PermissionDenied):
            services.change_role(membership, role=Role.COORDINATOR, actor=outsider)
        assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER
        assert not AuditEntry.objects.filter(action="membership.role_changed").exists()

    def test_it_refuses_another_groups_coordinator_through_the_page(self, client_for, coordinator, viewer, group,
                                                                     outsider):
        membership = Membership.objects.get(user=viewer, group=group)
        response = client_for(outsider).post(reverse("member-change-role", args=[membership.pk]),
                                             {"role": Role.COORDINATOR})
        assert response.status_code == 404
        assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER

    def test_it_refuses_another_groups_coordinator_through_the_api(self, api_for, coordinator, viewer, group,
                                                                    outsider):
        membership = Membership.objects.get(user=viewer, group=group)
        response = api_for(outsider).patch(f"/api/memberships/{membership.pk}/", {"role": Role.COORDINATOR},
                                           format="json")
        assert response.status_code == 404
        assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER

    def test_it_refuses_a_viewer_of_the_group_itself(self, coordinator, viewer, group):
        with pytest.raises(PermissionDenied):
            services.change_role(Membership.objects.get(user=viewer, group=group), role=Role.COORDINATOR,
                                 actor=viewer)


class TestEveryGroupVerb:
    """Each verb on a group's members, invitations and settings, called by bob for Alpha Watch."""

    def test_it_refuses_removing_a_member(self, coordinator, viewer, group, outsider):
        with pytest.raises(PermissionDenied):
            services.remove_member(Membership.objects.get(user=viewer, group=group), actor=outsider)
        assert Membership.objects.filter(user=viewer, group=group).exists()

    def test_it_refuses_inviting(self, coordinator, group, outsider):
        with pytest.raises(PermissionDenied):
            services.invite_member(group, email="new@example.org", role=Role.VIEWER, actor=outsider)
        assert not Invitation.objects.exists()

    def test_it_refuses_revoking_an_invitation(self, coordinator, group, outsider):
        invitation = InvitationFactory(group=group, invited_by=coordinator)
        with pytest.raises(PermissionDenied):
            services.revoke_invitation(invitation, actor=outsider)
        assert Invitation.objects.filter(pk=invitation.pk).exists()

    def test_it_refuses_group_settings(self, coordinator, group, outsider):
        with pytest.raises(PermissionDenied):
            services.set_listed_for_sharing(group, listed=True, actor=outsider)
        with pytest.raises(PermissionDenied):
            services.set_two_factor_requirement(group, required=False, actor=outsider)
        group.refresh_from_db()
        assert not group.listed_for_sharing

    def test_it_refuses_a_worker_check(self, coordinator, group, outsider):
        with pytest.raises(PermissionDenied):
            services.request_worker_check(group, actor=outsider)

    def test_it_refuses_exporting_the_audit_log_to_another_groups_coordinator(self, coordinator, group, outsider):
        services.set_listed_for_sharing(group, listed=True, actor=coordinator)
        out = io.StringIO()
        with pytest.raises(PermissionDenied):
            services.export_audit_log(group, AuditEntry.objects.filter(group=group), actor=outsider, out=out)
        assert "group.listed_for_sharing" not in out.getvalue()
        assert not AuditEntry.objects.filter(action="audit.exported").exists()

    def test_it_refuses_exporting_the_audit_log_to_a_viewer(self, coordinator, viewer, group):
        with pytest.raises(PermissionDenied):
            services.export_audit_log(group, AuditEntry.objects.filter(group=group), actor=viewer,
                                      out=io.StringIO())

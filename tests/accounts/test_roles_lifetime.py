"""
How long a user object's groups and roles are kept (accounts.permissions.roles_by_group): every query of group data
states them as constants, so a copy read before a change must not be used after it, whichever object made it.
"""

import threading

import pytest
from allauth.mfa.models import Authenticator
from django.db import transaction

from accounts import services
from accounts.models import Membership, Role, User
from accounts.permissions import can, roles_by_group
from campaigns.models import Campaign
from evidence.models import EvidenceRecord
from tests.factories import EvidenceRecordFactory, GroupFactory, MembershipFactory, add_second_factor


@pytest.fixture
def held(db):
    """A volunteer's user object, kept across the changes as a request or a task keeps it, and their group's record."""
    membership = MembershipFactory(role=Role.VOLUNTEER)
    record = EvidenceRecordFactory(group=membership.group, title="The group's own")
    user = User.objects.get(pk=membership.user.pk)
    assert list(EvidenceRecord.objects.visible_to(user)) == [record]  # the groups are now read and kept
    return user, membership.group, record


def test_a_membership_deleted_through_another_object_ends_what_the_held_object_reads(held):
    user, group, _ = held
    Membership.objects.get(user_id=user.pk, group=group).delete()

    assert list(EvidenceRecord.objects.visible_to(user)) == []
    assert not can(user, "view", group)


def test_a_removal_by_a_coordinator_ends_it_for_the_removed_members_own_object(held):
    user, group, _ = held
    coordinator = MembershipFactory(group=group, role=Role.COORDINATOR).user

    services.remove_member(Membership.objects.get(user_id=user.pk, group=group), actor=coordinator)

    assert list(EvidenceRecord.objects.visible_to(user)) == []
    assert list(Campaign.objects.visible_to(user)) == []


def test_a_new_membership_and_a_changed_role_are_read_again(held):
    user, group, _ = held
    other = GroupFactory()
    theirs = EvidenceRecordFactory(group=other, title="Another group's")
    Membership.objects.create(user_id=user.pk, group=other, role=Role.VIEWER)

    assert set(EvidenceRecord.objects.visible_to(user)) == {theirs, *EvidenceRecord.objects.filter(group=group)}
    membership = Membership.objects.get(user_id=user.pk, group=other)
    membership.role = Role.COORDINATOR
    membership.save()
    assert roles_by_group(user)[other.pk] == Role.COORDINATOR


def test_a_second_factor_required_and_then_set_up_is_read_again(held):
    user, group, record = held
    group.requires_two_factor = True
    group.save()
    assert list(EvidenceRecord.objects.visible_to(user)) == []

    add_second_factor(User.objects.get(pk=user.pk))
    assert list(EvidenceRecord.objects.visible_to(user)) == [record]

    Authenticator.objects.filter(user_id=user.pk).delete()  # a queryset delete sends each row's signal too
    assert list(EvidenceRecord.objects.visible_to(user)) == []


@pytest.mark.django_db(transaction=True)
def test_a_copy_read_while_another_thread_changed_memberships_is_read_again_after_its_commit():
    # Another request (a thread of the same process) reads the old rows while the change is not yet committed,
    # and so keeps them under the new count: the commit counts again.
    membership = MembershipFactory(role=Role.VOLUNTEER)
    record = EvidenceRecordFactory(group=membership.group)
    elsewhere = User.objects.get(pk=membership.user.pk)
    read_meanwhile = threading.Event()

    def read_in_another_thread():
        try:
            assert list(EvidenceRecord.objects.visible_to(elsewhere)) == [record]
        finally:
            from django.db import connection

            connection.close()
            read_meanwhile.set()

    with transaction.atomic():
        Membership.objects.get(pk=membership.pk).delete()
        thread = threading.Thread(target=read_in_another_thread)
        thread.start()
        read_meanwhile.wait(10)
        thread.join(10)

    assert list(EvidenceRecord.objects.visible_to(elsewhere)) == []

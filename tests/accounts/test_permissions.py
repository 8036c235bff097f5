import pytest

from accounts.models import Role
from accounts.permissions import Action, can
from tests.factories import GroupFactory, MembershipFactory, UserFactory

# The rules as the product describes them, written out by hand so that a change to the table in
# accounts/permissions.py has to be made here too, on purpose.
EXPECTED = {
    Action.VIEW: {"coordinator", "campaigner", "volunteer", "viewer"},
    Action.LOG_EVIDENCE: {"coordinator", "campaigner", "volunteer"},
    Action.VERIFY_EVIDENCE: {"coordinator", "campaigner", "volunteer"},
    Action.LOG_INTERACTION: {"coordinator", "campaigner", "volunteer"},
    Action.MANAGE_CAMPAIGNS: {"coordinator", "campaigner"},
    Action.SHARE_EVIDENCE: {"coordinator"},
    Action.DELETE_EVIDENCE: {"coordinator"},
    Action.GENERATE_PACKS: {"coordinator"},
    Action.MANAGE_MEMBERS: {"coordinator"},
    Action.EDIT_DIRECTORY: {"coordinator"},
    Action.CHECK_WORKER: {"coordinator"},
    Action.VIEW_AUDIT: {"coordinator"},
    Action.PUBLISH: {"coordinator"},
    Action.COMMENT: {"volunteer", "campaigner", "coordinator"},
    Action.MODERATE_COMMENTS: {"coordinator"},
}


def test_it_lists_every_action():
    assert set(EXPECTED) == set(Action)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize("action", list(Action))
def test_it_allows_exactly_the_expected_actions(role, action):
    membership = MembershipFactory(role=role)
    assert can(membership.user, action, membership.group) == (role in EXPECTED[action])


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(Action))
def test_it_allows_nothing_in_a_group_the_user_is_not_in(action):
    membership = MembershipFactory(role=Role.COORDINATOR)
    assert not can(membership.user, action, GroupFactory())


@pytest.mark.django_db
def test_it_uses_the_role_of_each_group_separately():
    user = UserFactory()
    alpha, beta = GroupFactory(), GroupFactory()
    MembershipFactory(user=user, group=alpha, role=Role.COORDINATOR)
    MembershipFactory(user=user, group=beta, role=Role.VIEWER)
    assert can(user, Action.MANAGE_MEMBERS, alpha)
    assert not can(user, Action.MANAGE_MEMBERS, beta)
    assert can(user, Action.VIEW, beta)


@pytest.mark.django_db
def test_it_allows_nothing_to_a_deactivated_user():
    membership = MembershipFactory(role=Role.COORDINATOR, user__is_active=False)
    assert not can(membership.user, Action.VIEW, membership.group)

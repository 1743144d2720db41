from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.access import can_submit_application, roles_of
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request loads it (no per-object memo)."""
    return get_user_model().objects.get(pk=user.pk)


def test_roles_are_remembered_between_requests_and_forgotten_when_membership_changes(
    alice, django_assert_num_queries
):
    assert roles_of(fresh(alice)) == {"applicant"}
    user = fresh(alice)
    with django_assert_num_queries(0):
        assert can_submit_application(user)

    alice.groups.remove(Group.objects.get(name=Role.APPLICANT))
    assert not can_submit_application(fresh(alice))

    Group.objects.get_or_create(name=Role.AUDITOR)[0].user_set.add(alice)
    assert roles_of(fresh(alice)) == {"auditor"}

    alice.groups.clear()
    assert roles_of(fresh(alice)) == frozenset()


def test_deleting_a_group_forgets_its_members_roles(alice):
    group = Group.objects.create(name="temporary")
    group.user_set.add(alice)
    assert "temporary" in roles_of(fresh(alice))
    group.delete()
    assert "temporary" not in roles_of(fresh(alice))

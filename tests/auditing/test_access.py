"""Who may and who may not: the access functions the review pages ask."""

from __future__ import annotations

import pytest

from accounts.access import (
    can_download_export,
    can_export_labels,
    can_give_second_opinion,
    can_review_application,
    can_search_trail,
    can_see_pii,
    can_work_review_queue,
)
from accounts.roles import Role

pytestmark = pytest.mark.django_db

ROLES = list(Role)


@pytest.fixture
def people(make_user):
    return {role: make_user(f"user_{role}", role) for role in ROLES}


@pytest.mark.parametrize(
    ("check", "allowed"),
    [
        (can_work_review_queue, {Role.AUDITOR, Role.AUDITOR_LEAD}),
        (can_search_trail, {Role.AUDITOR_LEAD, Role.ADMIN}),
        (can_export_labels, {Role.ANALYST, Role.ADMIN}),
        (can_see_pii, {Role.AGENT, Role.CLERK, Role.AUDITOR_LEAD, Role.ADMIN}),
    ],
)
def test_each_role_may_or_may_not(people, check, allowed):
    for role, user in people.items():
        assert check(user) is (role in allowed), role


def test_anonymous_and_inactive_users_may_nothing(people):
    from django.contrib.auth.models import AnonymousUser

    lead = people[Role.AUDITOR_LEAD]
    lead.is_active = False
    for user in (AnonymousUser(), lead):
        assert not can_work_review_queue(user) and not can_search_trail(user)
        assert not can_export_labels(user) and not can_see_pii(user)


def test_segregation_of_duties_and_four_eyes(people, make_user):
    auditor = people[Role.AUDITOR]
    other = make_user("other_auditor", Role.AUDITOR)
    assert can_review_application(auditor, submitted_by_id=None, applicant_user_id=None)
    assert not can_review_application(auditor, submitted_by_id=auditor.pk, applicant_user_id=None)
    assert not can_review_application(auditor, submitted_by_id=None, applicant_user_id=auditor.pk)
    assert not can_review_application(people[Role.CLERK], submitted_by_id=None, applicant_user_id=None)
    assert can_give_second_opinion(
        other, proposed_by_id=auditor.pk, submitted_by_id=None, applicant_user_id=None
    )
    assert not can_give_second_opinion(
        auditor, proposed_by_id=auditor.pk, submitted_by_id=None, applicant_user_id=None
    )
    assert not can_give_second_opinion(
        other, proposed_by_id=auditor.pk, submitted_by_id=other.pk, applicant_user_id=None
    )


def test_exports_are_downloaded_by_who_asked_for_them_or_an_admin(people, make_user):
    analyst, admin = people[Role.ANALYST], people[Role.ADMIN]
    colleague = make_user("colleague", Role.ANALYST)
    assert can_download_export(analyst, requested_by_id=analyst.pk)
    assert not can_download_export(colleague, requested_by_id=analyst.pk)
    assert can_download_export(admin, requested_by_id=analyst.pk)
    assert not can_download_export(people[Role.AUDITOR_LEAD], requested_by_id=analyst.pk)

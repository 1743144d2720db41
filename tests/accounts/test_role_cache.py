"""Roles are read once per request and never kept between requests (issue 8, defect 9):
a role removed in one process applies at the next request in every other process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from accounts.access import can_submit_application, roles_of
from tests.conftest import token_client

ROOT = Path(__file__).resolve().parents[2]


def fresh(user):
    """The user as the next request loads it."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.django_db
def test_roles_are_read_once_per_request_and_again_at_the_next(alice, django_assert_num_queries):
    user = fresh(alice)
    with django_assert_num_queries(1):
        assert roles_of(user) == {"applicant"}
        assert can_submit_application(user)  # the same request: memoised on the user object
    next_request = fresh(alice)
    with django_assert_num_queries(1):
        assert roles_of(next_request) == {"applicant"}  # the next request reads them again


@pytest.mark.django_db
def test_a_group_change_applies_at_the_next_request(alice):
    from django.contrib.auth.models import Group

    assert roles_of(fresh(alice)) == {"applicant"}
    Group.objects.get_or_create(name="auditor")[0].user_set.add(alice)
    assert roles_of(fresh(alice)) == {"applicant", "auditor"}
    alice.groups.clear()
    assert roles_of(fresh(alice)) == frozenset()


def _in_another_process(code: str) -> None:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
    }
    subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_a_role_removed_in_another_process_applies_at_the_next_request(carol, answers):
    client = token_client(carol)

    def submit(key: str) -> int:
        return client.post(
            "/api/v1/applications/",
            {"answers": {**answers, "national_id": f"ROL{key:0>7}"}},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"role-{key}",
        ).status_code

    assert submit("1") == 202  # an agent keys applications in
    _in_another_process(
        "from django.contrib.auth.models import Group, User\n"
        "User.objects.get(username='carol').groups.remove(Group.objects.get(name='agent'))"
    )
    assert submit("2") == 403

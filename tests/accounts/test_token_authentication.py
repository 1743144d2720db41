"""The API's token authentication reads the token, its user and the user's roles in one query
(#16), and refuses what DRF's own look-up refuses, with the same words."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.access import can_submit_application, roles_of
from accounts.authentication import SecondFactorAwareTokenAuthentication
from accounts.roles import Role
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def authenticate(user: Any) -> tuple[Any, Any]:
    """What the API's authentication makes of the user's token."""
    key = Token.objects.get_or_create(user=user)[0].key
    return SecondFactorAwareTokenAuthentication().authenticate_credentials(key)


def test_token_user_and_roles_come_in_one_query(make_user, django_assert_num_queries):
    lead = make_user("lena", Role.AUDITOR, Role.AUDITOR_LEAD)
    key = Token.objects.get_or_create(user=lead)[0].key
    with django_assert_num_queries(1):
        user, token = SecondFactorAwareTokenAuthentication().authenticate_credentials(key)
        assert roles_of(user) == {"auditor", "auditor_lead"}
    assert user.pk == lead.pk and user.username == "lena" and user.is_active
    assert token.user_id == lead.pk and token.created is not None


def test_an_account_without_a_role_has_none(make_user, django_assert_num_queries):
    nobody = make_user("nora")
    user, _ = authenticate(nobody)
    with django_assert_num_queries(0):
        assert roles_of(user) == frozenset()
        assert not can_submit_application(user)


def test_a_superuser_is_an_admin_whatever_their_groups(make_user):
    root = make_user("rita", Role.ADMIN)
    root.groups.clear()
    user, _ = authenticate(root)
    assert roles_of(user) == {"admin"}


def test_roles_are_read_again_at_the_next_request(alice, carol, answers):
    client = token_client(carol)

    def submit(key: str) -> int:
        return client.post(
            "/api/v1/applications/",
            {"answers": {**answers, "national_id": f"TOK{key:0>7}"}},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"token-roles-{key}",
        ).status_code

    assert submit("1") == 202
    carol.groups.remove(Group.objects.get(name=Role.AGENT))
    assert submit("2") == 403


def test_an_unknown_token_is_refused_as_drf_refuses_it():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token no-such-token")
    response = client.get("/api/v1/applications/")
    assert response.status_code == 401
    assert "Invalid token." in response.content.decode()


def test_an_inactive_accounts_token_is_refused(alice):
    client = token_client(alice)
    alice.is_active = False
    alice.save()
    response = client.get("/api/v1/applications/")
    assert response.status_code == 401
    assert "User inactive or deleted." in response.content.decode()

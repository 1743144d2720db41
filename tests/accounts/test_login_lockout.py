"""Brute force is limited on every login path (issue 8, defect 5): after LOGIN_FAILURE_LIMIT
wrong passwords for one username from one address, even the right password is refused until
the cool-off has passed; the client address comes from trusted-proxy settings only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

RIGHT = "pw-for-tests"


def web_login(client: Client, username: str, password: str, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def admin_login(client: Client, username: str, password: str, **extra):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, **extra)


def token_login(client: APIClient, username: str, password: str, **extra):
    cache.clear()  # the token throttle (20/minute) is not what this test is about
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", **extra
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_web_login_refuses_the_right_password_after_50_wrong_ones(alice, settings):
    assert settings.LOGIN_FAILURE_LIMIT == 10 and settings.LOGIN_COOLOFF_MINUTES == 15
    client = Client()
    for attempt in range(50):
        response = web_login(client, "alice", f"wrong-{attempt}")
        assert response.status_code == (200 if attempt < 9 else 429), attempt
    response = web_login(client, "alice", RIGHT)
    assert response.status_code == 429
    assert not logged_in(client)
    assert b"Too many failed login attempts. Try again in 15 minutes." in response.content
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60


def test_the_lockout_is_per_username_and_address_and_ends_after_the_cool_off(alice, bob):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for attempt in range(10):
        web_login(attacker, "alice", f"wrong-{attempt}")
    assert web_login(attacker, "alice", RIGHT).status_code == 429
    # Someone else from that address, and alice from her own, still log in.
    assert web_login(Client(REMOTE_ADDR="203.0.113.7"), "bob", RIGHT).status_code == 302
    assert web_login(Client(REMOTE_ADDR="198.51.100.2"), "alice", RIGHT).status_code == 302
    # A forged X-Forwarded-For does not make the attacker someone else.
    assert web_login(attacker, "alice", RIGHT, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = web_login(attacker, "alice", RIGHT)
    assert response.status_code == 302 and logged_in(attacker)


def test_the_admin_login_is_limited_too(make_user):
    from accounts.roles import Role

    make_user("root", Role.ADMIN)
    client = Client()
    for attempt in range(50):
        admin_login(client, "root", f"wrong-{attempt}")
    response = admin_login(client, "root", RIGHT)
    assert response.status_code == 429 and not logged_in(client)
    assert b"Try again in 15 minutes" in response.content


def test_the_api_token_endpoint_is_limited_with_a_problem_body(carol):
    client = APIClient()
    for attempt in range(50):
        response = token_login(client, "carol", f"wrong-{attempt}")
        assert response.status_code == (400 if attempt < 9 else 429), attempt
    response = token_login(client, "carol", RIGHT)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/too-many-login-attempts") and "token" not in body
    assert body["detail"] == "Too many failed login attempts. Try again in 15 minutes."
    assert 14 * 60 < body["retry_after_seconds"] == int(response["Retry-After"]) <= 15 * 60
    # From another address the right password still gets a token.
    other = token_login(APIClient(REMOTE_ADDR="198.51.100.2"), "carol", RIGHT)
    assert other.status_code == 200 and other.json()["token"]


def test_a_success_before_the_limit_starts_the_count_again(alice):
    client = Client()
    for attempt in range(9):
        web_login(client, "alice", f"wrong-{attempt}")
    assert web_login(client, "alice", RIGHT).status_code == 302
    client.logout()
    for attempt in range(9):
        web_login(client, "alice", f"wrong-again-{attempt}")
    assert web_login(client, "alice", RIGHT).status_code == 302


def test_the_limit_and_cool_off_come_from_settings(alice, settings):
    """LOGIN_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES set these two (config/settings/accounts.py)."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)  # what LOGIN_COOLOFF_MINUTES=1 sets
    client = Client()
    for attempt in range(3):
        web_login(client, "alice", f"wrong-{attempt}")
    response = web_login(client, "alice", RIGHT)
    assert response.status_code == 429 and b"Try again in 1 minute." in response.content


def test_the_applicants_email_login_is_locked_out_by_the_same_rule(settings):
    """django-allauth's login (by email) passes the same backends; allauth's own rate limits
    are switched off here to show the lockout holds without them."""
    from allauth.account.models import EmailAddress

    from accounts.roles import Role
    from accounts.services import user_create_with_roles

    settings.ACCOUNT_RATE_LIMITS = False
    user = user_create_with_roles(
        username="frank", password=RIGHT, roles=[Role.APPLICANT], email="frank@example.com"
    )
    EmailAddress.objects.create(user=user, email="frank@example.com", verified=True, primary=True)
    client = Client()

    def login(password: str):
        return client.post("/apply/account/login/", {"login": "frank@example.com", "password": password})

    for attempt in range(50):
        login(f"wrong-{attempt}")
    response = login(RIGHT)
    assert response.status_code == 429 and not logged_in(client)
    assert AccessAttempt.objects.filter(username="frank@example.com").exists()
    assert web_login(Client(REMOTE_ADDR="198.51.100.2"), "frank", RIGHT).status_code == 302


def test_a_forged_x_forwarded_for_does_not_escape_the_password_reset_limit():
    """allauth's password reset is rate limited per address (20 a minute); the address comes
    from the same trusted-proxy setting (ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT)."""
    cache.clear()
    client = Client()
    statuses = [
        client.post(
            "/apply/account/password/reset/",
            {"email": f"someone{n}@example.com"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(22)
    ]
    assert statuses[0] == 302 and statuses[-1] == 429
    cache.clear()

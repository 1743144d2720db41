"""Nothing a client types into a staff page's address gives a 500 or is silently ignored:
every page's query parameters go through a Django form, and a refused value is a visible
message (issue 15: `/review/quality/?days=99999999999` was an OverflowError, garbage queue
filters were dropped without a word)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.roles import Role
from tests.accounts.test_role_matrix import url_patterns

pytestmark = pytest.mark.django_db

# Values that broke or fooled pages: too large for a date or an integer column, not numbers,
# negative, not finite, markup, an impossible date.
GARBAGE = {
    "days": "99999999999",
    "before": "99999999999999999999999",
    "after": "-1",
    "page": "1e999",
    "tier": "extreme",
    "channel": "<script>alert(1)</script>",
    "model_version": "99999999999999999999",
    "older_than_hours": "1e300",
    "since": "2026-13-45",
    "until": "not-a-date",
    "application": "'; drop table",
    "status": "nope",
    "q": "%ZZ" * 50,
    "duplicates": "maybe",
}

NOT_PAGES = ("admin/", "api/", "hooks/", "static/", "__")


@pytest.fixture
def everyone_staff(make_user):
    """One account holding every staff role, so each staff page opens."""
    user = make_user(
        "staff-all",
        Role.AUDITOR,
        Role.AUDITOR_LEAD,
        Role.APPROVER,
        Role.ANALYST,
        Role.ADMIN,
        Role.AGENT,
        Role.MAIL_SUPERVISOR,
    )
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def staff_pages() -> list[str]:
    routes = []
    for pattern in url_patterns():
        route = pattern.route
        if any(mark in route for mark in "<(^$\\") or route.startswith(NOT_PAGES):
            continue
        routes.append("/" + route)
    return sorted(set(routes))


def test_every_page_without_an_id_survives_garbage_parameters(everyone_staff):
    pages = staff_pages()
    assert {"/review/", "/review/quality/", "/review/trail/", "/models/rescoring/"} <= set(pages)
    failures = {}
    for url in pages:
        response = everyone_staff.get(url, GARBAGE)
        if response.status_code == 500:
            failures[url] = response.status_code
    assert not failures


@pytest.mark.parametrize(
    ("url", "params", "message"),
    [
        ("/review/quality/", {"days": "99999999999"}, "at most 3650 days"),
        ("/review/quality/", {"days": "thirty"}, "whole number of days"),
        ("/review/", {"tier": "extreme"}, "These filters were not applied"),
        ("/review/", {"older_than_hours": "1e300"}, "These filters were not applied"),
        ("/review/", {"model_version": "abc"}, "These filters were not applied"),
        ("/review/trail/", {"since": "2026-13-45"}, "Enter a valid date"),
        ("/review/trail/", {"application": "nope"}, "Enter a valid UUID"),
        ("/review/trail/", {"before": "x"}, "That page of the trail does not exist"),
        ("/monitoring/", {"days": "99999999999"}, "The period is 30, 90 or 365 days"),
        ("/monitoring/", {"channel": "pigeon"}, "pigeon is not a channel"),
    ],
)
def test_a_refused_parameter_is_a_visible_message(everyone_staff, url, params, message):
    response = everyone_staff.get(url, params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_garbage_queue_filters_claim_nothing(everyone_staff):
    response = everyone_staff.post("/review/next", {"q": "tier=extreme"}, follow=True)
    page = response.content.decode()
    assert "nothing was claimed" in page and "These filters were not applied" in page

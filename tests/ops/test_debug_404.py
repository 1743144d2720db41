"""With DEBUG on (`make run`), a 404 is still the branded page inside the app's layout, not
Django's technical page; a missing slash is still a redirect, and the API keeps problem+json."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_an_address_nothing_matches_is_the_branded_page_with_debug_on(debug_on, alice):
    client = Client()
    client.force_login(alice)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<header class="top">' in page and "Nothing here" in page and 'id="home-link"' in page
    assert "URLconf" not in page and "Using the URLconf" not in page


def test_a_view_that_raises_not_found_is_the_branded_page_with_debug_on(debug_on, erin):
    client = Client()
    client.force_login(erin)
    response = client.get("/models/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Nothing here" in page and "Raised by" not in page


def test_a_missing_slash_still_redirects_and_the_api_keeps_problem_json(debug_on, alice):
    client = Client()
    client.force_login(alice)
    assert client.get("/apply").status_code == 301
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"

"""A 403 in a real browser: the app's layout, the reason, and a way back that works."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_403_page_says_why_and_leads_back(browser_as, live_server, alice):
    page = browser_as("alice")  # logs in and asks for /review/, which an applicant may not open
    assert page.locator("#error-title").inner_text() == "You cannot open this page"
    assert "your role does not allow this page" in page.locator("#error-reason").inner_text().lower()
    assert page.locator("header.top .brand").is_visible()  # inside the app's layout
    page.locator("#home-link").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").first.inner_text() == "Applicant risk scoring"

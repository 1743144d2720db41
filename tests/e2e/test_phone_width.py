"""The review queue on a phone-width screen (375 px): everything fits, nothing scrolls
sideways, and each item still shows its tier, amount and an Open button."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 375


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_review_queue_fits_a_phone_without_horizontal_scrolling(
    browser_as, routed, answers, risky, grace
):
    routed(risky)
    routed({**answers, "requested_amount": 2000})
    page = browser_as("grace")  # an auditor lead: the longest navigation of the auditors
    page.set_viewport_size({"width": WIDTH, "height": 800})
    page.reload()
    assert page.locator("#queue-table tbody tr").count() == 2
    assert overflow(page) <= 0, f"the queue is {overflow(page)} px wider than a {WIDTH} px screen"
    first = page.locator("#queue-table tbody tr").first
    assert first.locator("button.open").is_visible()
    box = first.locator("button.open").bounding_box()
    assert box["x"] + box["width"] <= WIDTH
    page.goto(page.url.split("/review/")[0] + "/review/trail/")
    assert overflow(page) <= 0, f"the trail is {overflow(page)} px wider than a {WIDTH} px screen"

"""An auditor in a real browser: works three items with the keyboard, overrides one with a
reason; a second auditor cannot claim an item already claimed."""

from __future__ import annotations

import re

import pytest

from applicants.models import Status
from auditing.models import Review, ReviewItem

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIERS = ("low", "medium", "high")


def test_an_auditor_works_three_items_with_the_keyboard(
    browser_as, routed, answers, risky, dave, live_server
):
    items = [routed(risky), routed(answers), routed({**answers, "requested_amount": 2000})]
    page = browser_as("dave")
    assert page.inner_text("#waiting-count") == "3"

    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/review/items/\d+/"))
    for _ in range(2):
        current = page.url
        assert "You hold this item" in page.inner_text("#claim-bar")
        page.keyboard.press("c")
        page.wait_for_url(lambda url, current=current: url != current)

    # The third: override it to another tier (never high → low, which needs four eyes).
    model_tier = page.inner_text("#model-tier")
    target = "medium" if model_tier != "medium" else "high"
    page.keyboard.press("o")
    page.keyboard.press(str(TIERS.index(target) + 1))
    page.keyboard.press("r")
    page.keyboard.press("r")
    assert page.eval_on_selector("#reason", "el => el.value") == "affordability"
    page.keyboard.press("t")
    page.keyboard.type("rent is paid by a partner")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{live_server.url}/review/")
    assert "Nothing left for you to review" in page.inner_text("main")

    reviews = list(Review.objects.order_by("created_at"))
    assert [r.application_id for r in reviews] == [i.application_id for i in items]
    assert [r.outcome for r in reviews] == ["confirmed", "confirmed", "overridden"]
    override = reviews[-1]
    assert override.final_tier == target and override.reason_code == "affordability"
    assert override.note == "rent is paid by a partner" and override.auditor == dave
    statuses = [i.application.__class__.objects.get(pk=i.application_id).status for i in items]
    assert statuses == [Status.CONFIRMED, Status.CONFIRMED, Status.OVERRIDDEN]


def test_a_second_auditor_cannot_claim_an_item_already_claimed(
    browser_as, routed, answers, dave, frank, live_server
):
    item = routed(answers)
    first = browser_as("dave")
    first.keyboard.press("n")
    first.wait_for_url(f"{live_server.url}/review/items/{item.pk}/")

    second = browser_as("frank")
    assert "dave" in second.inner_text(f'tr[data-item="{item.pk}"]')
    second.goto(f"{live_server.url}/review/items/{item.pk}/")
    assert "dave is working on this item" in second.inner_text("#claim-bar")
    assert second.query_selector("#claim-form") is None
    assert second.query_selector("#confirm-form") is None
    second.keyboard.press("Escape")
    second.wait_for_url(f"{live_server.url}/review/")
    second.keyboard.press("n")
    second.wait_for_url(f"{live_server.url}/review/")
    assert "Nothing left for you to review" in second.inner_text("main")
    assert ReviewItem.objects.get(pk=item.pk).claimed_by == dave

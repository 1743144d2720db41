"""A mail application on the auditor's review page names the staff who keyed it as people
(full name, else username), in the page header as in the provenance, never as `user:<id>`.
Real PostgreSQL, the real queue and page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from channels_ingest.mail import services
from tests.auditing.review_helpers import sent_to_review
from tests.channels_ingest.mail.conftest import paper_form
from tests.channels_ingest.mail.test_services import key_both

pytestmark = pytest.mark.django_db


def named(user: Any, first: str, last: str) -> Any:
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


def review_page(item_id: Any, auditor: Any) -> str:
    review = sent_to_review(item_id)
    client = Client()
    client.force_login(auditor)
    response = client.get(f"/review/items/{review.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def keyed_by(page: str) -> str:
    found = re.search(r'<strong id="keyed-by">(.*?)</strong>', page, re.S)
    assert found, "the header says who keyed the application"
    return found.group(1).strip()


def test_the_review_page_names_the_resolver_and_both_clerks_by_their_names(
    scanned_item: Any, people: dict[str, Any], active_model: Any
) -> None:
    named(people["clerk_a"], "Ann", "Archer")
    named(people["clerk_b"], "Bob", "Baker")
    named(people["supervisor"], "Sue", "Stone")
    form = paper_form()
    item = key_both(scanned_item, people, form, {**form, "postcode": "EX9 9ZZ"})
    services.item_resolve(item=item, supervisor=people["supervisor"], choices={"postcode": ("first", "")})
    item.refresh_from_db()

    page = review_page(item.application_id, people["auditor"])
    assert keyed_by(page) == "Sue Stone"  # the resolver completed (submitted) it
    assert "Ann Archer + Bob Baker" in page  # the provenance names both clerks
    assert "resolved by Sue Stone" in page
    assert not re.search(r"user:\d+", page)
    # (The audit trail at the foot of the page keeps the account names it recorded.)


def test_a_clerk_without_a_full_name_is_shown_by_username(
    scanned_item: Any, people: dict[str, Any], active_model: Any
) -> None:
    form = paper_form()
    item = key_both(scanned_item, people, form, form)  # agree: the second clerk submits
    page = review_page(item.application_id, people["auditor"])
    assert keyed_by(page) == "mail_clerk_b"

"""The pages: access through the central functions, the review flow, masking and unmasking,
the audit trail search and export, staff logins in the trail."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from auditing.models import ReviewItem
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("url", "allowed", "refused"),
    [
        ("auditing:queue", ("dave", "grace"), ("alice", "carol", "erin", "heidi")),
        ("auditing:trail", ("grace",), ("dave", "alice", "heidi")),
        ("auditing:quality", ("grace",), ("dave", "heidi")),
        ("auditing:exports", ("heidi",), ("dave", "grace", "alice", "erin")),
    ],
)
def test_pages_ask_the_access_functions(request, url, allowed, refused):
    assert Client().get(reverse(url)).status_code == 302  # to the login page
    for name in allowed:
        assert client_for(request.getfixturevalue(name)).get(reverse(url)).status_code == 200, name
    for name in refused:
        assert client_for(request.getfixturevalue(name)).get(reverse(url)).status_code == 403, name


def test_label_quality_refuses_a_bad_number_of_days_with_a_message(grace):
    client = client_for(grace)
    for days, message in (("99999999999", "at most 3650"), ("-5", "at least 1"), ("x", "whole number")):
        response = client.get(reverse("auditing:quality"), {"days": days})
        assert response.status_code == 400, days
        assert (
            message in response.content.decode() and "Showing the last 30 days" in response.content.decode()
        )
    assert client.get(reverse("auditing:quality"), {"days": "30"}).status_code == 200


def test_the_queue_page_counts_what_waits_and_lists_it_by_priority(routed, answers, risky, dave):
    small = routed({**answers, "requested_amount": 2000})
    large = routed(risky)
    ReviewItem.objects.filter(pk=small.pk).update(blind=True)
    page = client_for(dave).get(reverse("auditing:queue")).content.decode()
    assert 'id="waiting-count">2<' in page and "oldest" in page
    assert page.index(f'data-item="{large.pk}"') < page.index(f'data-item="{small.pk}"')
    assert "blind" in page
    filtered = client_for(dave).get(reverse("auditing:queue"), {"channel": "mail"}).content.decode()
    assert 'id="waiting-count">0<' in filtered


def test_an_auditor_works_items_one_after_another(routed, answers, risky, dave):
    first, second = routed(risky), routed({**answers, "requested_amount": 2000})
    client = client_for(dave)
    response = client.post(reverse("auditing:claim-next"))
    assert response.status_code == 302 and response["Location"] == reverse("auditing:item", args=[first.pk])
    page = client.get(response["Location"]).content.decode()
    assert "You hold this item" in page and 'id="model-tier"' in page
    assert "Jane Q. Example" not in page and "J••• Q• E••••••" in page
    assert "jane@example.com" not in page and "(masked)" in page

    refused = client.post(
        reverse("auditing:review", args=[first.pk]), {"final_tier": "medium", "reason_code": ""}
    )
    assert refused.status_code == 409 and "Pick a reason" in refused.content.decode()

    done = client.post(reverse("auditing:review", args=[first.pk]), {"final_tier": first.model_tier})
    assert done.status_code == 302 and done["Location"] == reverse("auditing:item", args=[second.pk])
    done = client.post(reverse("auditing:review", args=[second.pk]), {"final_tier": second.model_tier})
    assert done.status_code == 302 and done["Location"] == reverse("auditing:queue")
    assert "Nothing left for you to review" in client.get(done["Location"]).content.decode()


def test_a_second_auditor_sees_who_holds_an_item_and_cannot_claim_it(routed, answers, dave, frank):
    item = routed(answers)
    client_for(dave).post(reverse("auditing:claim", args=[item.pk]))
    other = client_for(frank)
    response = other.post(reverse("auditing:claim", args=[item.pk]), follow=True)
    assert "dave is working on this item" in response.content.decode()
    assert ReviewItem.objects.get(pk=item.pk).claimed_by.username == "dave"
    assert other.post(reverse("auditing:renew", args=[item.pk])).status_code == 409
    renewed = client_for(dave).post(reverse("auditing:renew", args=[item.pk]))
    assert renewed.status_code == 200 and renewed.json()["expires_at"]


def test_personal_data_is_masked_and_unmasking_is_audited(routed, answers, dave, grace):
    item = routed(answers)
    assert client_for(dave).post(reverse("auditing:unmask", args=[item.pk])).status_code == 403
    lead = client_for(grace)
    masked = lead.get(reverse("auditing:item", args=[item.pk])).content.decode()
    assert "Jane Q. Example" not in masked and "Show personal data" in masked
    assert not TrailEntry.objects.filter(action="pii.unmasked").exists()
    shown = lead.post(reverse("auditing:unmask", args=[item.pk])).content.decode()
    assert "Jane Q. Example" in shown and "jane@example.com" in shown
    entry = TrailEntry.objects.get(action="pii.unmasked")
    assert entry.actor == grace and entry.object_id == str(item.application_id)
    assert "full_name" in entry.after["fields"]


def test_the_trail_is_searched_by_application_and_exported_with_a_fingerprint(routed, answers, grace):
    item = routed(answers)
    lead = client_for(grace)
    page = lead.get(reverse("auditing:trail"), {"application": str(item.application_id)})
    assert page.status_code == 200 and "in_review" in page.content.decode()
    assert (
        lead.get(reverse("auditing:trail"), {"since": "2026-02-02", "until": "2026-01-01"}).status_code == 400
    )
    export = lead.get(reverse("auditing:trail-export"), {"application": str(item.application_id)})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert rows and {r["object_id"] for r in rows} == {str(item.application_id)}
    recorded = TrailEntry.objects.get(action="trail.exported")
    assert recorded.actor == grace and recorded.after["rows"] == len(rows)
    assert recorded.after["filters"] == {"application": str(item.application_id)}
    assert recorded.after["fingerprint"] == export["X-Export-Fingerprint"]


def test_staff_logins_are_in_the_trail_and_applicants_are_not(dave, alice):
    for user in (dave, alice):
        assert (
            Client()
            .post(reverse("login"), {"username": user.username, "password": "pw-for-tests"})
            .status_code
            == 302
        )
    Client().post(reverse("login"), {"username": "dave", "password": "wrong"})
    logins = TrailEntry.objects.filter(object_type="user", action__startswith="login").order_by("id")
    assert [(e.action, e.object_id) for e in logins] == [
        ("login", str(dave.pk)),
        ("login.failed", str(dave.pk)),
    ]
    assert logins[0].actor == dave and logins[0].after["ip"] == "127.0.0.1"

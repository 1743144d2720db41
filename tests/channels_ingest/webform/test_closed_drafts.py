"""A draft that takes no more answers, opened by its owner: an expired one is a page saying
so with a way to start again (410, not a 404); a sent one leads to its application's status,
saying it was sent. Another applicant still gets a 404 for either."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from applicants.models import Application, Draft, DraftStatus
from tests.channels_ingest.webform.test_pages import fill_all, logged_in, start

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def urls(draft: Draft) -> list[str]:
    return [
        f"/apply/drafts/{draft.pk}/",
        f"/apply/drafts/{draft.pk}/steps/identity/",
        f"/apply/drafts/{draft.pk}/review/",
    ]


def test_an_expired_draft_says_so_and_offers_to_start_again(alice, bob):
    client = logged_in(alice)
    draft = start(client)
    client.post(f"/apply/drafts/{draft.pk}/steps/identity/", {"full_name": "Jane Example", "action": "save"})
    Draft.objects.filter(pk=draft.pk).update(expires_at=LONG_AGO)

    for url in urls(draft):
        page = client.get(url)
        assert page.status_code == 410, url
        text = page.content.decode()
        assert "<h1>This application has expired</h1>" in text
        assert "kept for 30 days after they were last saved" in text
        assert 'action="/apply/new/"' in text and "Start a new application" in text
        assert 'href="/apply/"' in text
    # Answers sent to it are refused the same way, and nothing is written.
    posted = client.post(
        f"/apply/drafts/{draft.pk}/steps/identity/", {"full_name": "Changed", "action": "next"}
    )
    assert posted.status_code == 410
    assert client.post(f"/apply/drafts/{draft.pk}/review/", {"consent": "yes"}).status_code == 410
    assert Draft.objects.get(pk=draft.pk).answers == {"full_name": "Jane Example"}
    assert Application.objects.count() == 0
    # With htmx, an answer checked inline sends the browser to that page.
    inline = client.post(
        f"/apply/drafts/{draft.pk}/answers/full_name/", {"full_name": "Changed"}, HTTP_HX_REQUEST="true"
    )
    assert inline.status_code == 200 and inline["HX-Redirect"] == f"/apply/drafts/{draft.pk}/"

    # The way forward works: a new draft.
    again = client.post("/apply/new/")
    assert again.status_code == 302 and Draft.objects.filter(owner_user=alice).count() == 2

    other = logged_in(bob)
    for url in urls(draft):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/apply/drafts/{draft.pk}/answers/full_name/", {"full_name": "B"}).status_code == 404


def test_a_sent_draft_leads_to_its_status_saying_it_was_sent(alice, bob):
    client = logged_in(alice)
    draft = start(client)
    fill_all(client, draft)
    client.post(f"/apply/drafts/{draft.pk}/review/", {"consent": "yes"})
    application = Application.objects.get()

    for url in urls(draft):
        response = client.get(url)
        assert (
            response.status_code == 302 and response["Location"] == f"/apply/applications/{application.pk}/"
        )
    page = client.get(f"/apply/drafts/{draft.pk}/steps/identity/", follow=True).content.decode()
    assert "You sent this application on" in page and "it can no longer be changed" in page
    inline = client.post(
        f"/apply/drafts/{draft.pk}/answers/full_name/", {"full_name": "Changed"}, HTTP_HX_REQUEST="true"
    )
    assert inline["HX-Redirect"] == f"/apply/drafts/{draft.pk}/"

    other = logged_in(bob)
    for url in urls(draft):
        assert other.get(url).status_code == 404, url


def test_a_sent_draft_whose_application_is_gone_says_it_was_sent(alice):
    """An application erased on request leaves its draft marked sent, without the link."""
    client = logged_in(alice)
    draft = start(client)
    Draft.objects.filter(pk=draft.pk).update(status=DraftStatus.SUBMITTED, submitted_at=LONG_AGO)
    page = client.get(f"/apply/drafts/{draft.pk}/")
    assert page.status_code == 410
    text = page.content.decode()
    assert "<h1>This application was already sent</h1>" in text and "on 1 January 2020" in text
    assert "Start a new application" not in text and 'href="/apply/"' in text


def test_expired_and_closed_pages_need_the_owner_logged_in(alice):
    draft = start(logged_in(alice))
    Draft.objects.filter(pk=draft.pk).update(expires_at=LONG_AGO)
    response = Client().get(f"/apply/drafts/{draft.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/apply/account/login/")

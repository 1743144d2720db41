"""The erasure page: administrators request an erasure and follow it; nobody else gets in
(the role matrix covers every role), and an identity number typed there is never shown back."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.roles import Role
from applicants.models import Application, Channel
from applicants.services import application_submit
from privacy.models import ErasureRequest, ErasureStatus

pytestmark = pytest.mark.django_db
URL = "/privacy/erasures/"


@pytest.fixture
def admin_client(make_user):
    client = Client()
    client.force_login(make_user("root", Role.ADMIN))
    return client


def test_an_administrator_erases_a_person_from_the_page(admin_client, answers):
    application = application_submit(
        answers={**answers, "national_id": "PG-424242-P"}, channel=Channel.API
    ).application
    page = admin_client.get(URL)
    assert page.status_code == 200 and b"erasure-form" in page.content
    done = admin_client.post(
        URL, {"action": "erase", "application_id": str(application.pk), "reference": "T-1", "confirm": "on"}
    )
    assert done.status_code == 302
    request = ErasureRequest.objects.get()
    assert request.application_ids == [str(application.pk)]
    assert request.status == ErasureStatus.DONE  # no sinks configured: nothing to follow
    assert Application.objects.get(pk=application.pk).pii == {}
    listed = admin_client.get(URL)
    assert str(request.pk).encode() in listed.content and b"T-1" in listed.content
    assert admin_client.post(URL, {"action": "refresh", "request": str(request.pk)}).status_code == 302


def test_mistakes_are_400_with_the_reason_and_the_number_is_not_echoed(admin_client):
    empty = admin_client.post(URL, {"action": "erase"})
    assert empty.status_code == 400 and b"cannot be undone" in empty.content
    both = admin_client.post(
        URL,
        {
            "application_id": "8c3f1e1c-7d0e-4f53-9a44-0c1d2e3f4a5b",
            "national_id": "QQ-777777-Q",
            "confirm": "on",
        },
    )
    assert both.status_code == 400 and b"one of the two" in both.content
    assert b"777777" not in both.content
    named = admin_client.post(URL, {"national_id": "QQ-777777-Q", "reference": "Jane Doe", "confirm": "on"})
    assert named.status_code == 400 and b"never a name" in named.content
    missing = admin_client.post(
        URL, {"application_id": "8c3f1e1c-7d0e-4f53-9a44-0c1d2e3f4a5b", "confirm": "on"}
    )
    assert missing.status_code == 400 and b"there is no application" in missing.content
    assert admin_client.post(URL, {"action": "refresh", "request": "nope"}).status_code == 404
    assert not ErasureRequest.objects.exists()

"""An account sees what it submitted, never what an identity number it typed happens to match.

The attack these tests replay: bob submits alice's national ID (in another letter case) and
must then see none of her applications, earlier or later, and must not change her stored
details; nor may the answer tell him that the ID applied recently."""

from __future__ import annotations

from typing import Any

import pytest

from applicants.models import Applicant, Application
from tests.conftest import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"


def post(client: Any, answers: dict[str, Any], key: str) -> Any:
    return client.post(URL, {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_typing_someone_elses_national_id_shows_none_of_their_applications(alice, bob, answers):
    alice_before = post(token_client(alice), answers, "a-1").json()
    bobs_answers = {
        **answers,
        "national_id": answers["national_id"].lower(),
        "full_name": "Bob Attacker",
        "email": "bob@evil.example",
        "phone": "+44 7700 900999",
    }
    bob_submit = post(token_client(bob), bobs_answers, "b-1")
    assert bob_submit.status_code == 202
    alice_after = post(token_client(alice), answers, "a-2").json()

    bob_client = token_client(bob)
    listed = {a["id"] for a in bob_client.get(URL).json()["results"]}
    assert listed == {bob_submit.json()["id"]}
    for theirs in (alice_before, alice_after):
        assert bob_client.get(theirs["link"]).status_code == 404
    alice_listed = {a["id"] for a in token_client(alice).get(URL).json()["results"]}
    assert alice_listed == {alice_before["id"], alice_after["id"]}


def test_a_person_found_by_identity_keeps_their_stored_details(alice, bob, answers):
    post(token_client(alice), answers, "a-1")
    post(token_client(bob), {**answers, "full_name": "Bob Attacker", "email": "bob@evil.example"}, "b-1")
    person = Applicant.objects.get()
    assert person.pii["full_name"] == answers["full_name"]
    assert person.pii["email"] == answers["email"]
    # Each application keeps exactly what was typed on it, for staff to compare.
    assert {a.pii["email"] for a in Application.objects.all()} == {answers["email"], "bob@evil.example"}


def test_the_duplicate_flag_is_for_staff_not_applicants(alice, bob, carol, answers):
    post(token_client(alice), answers, "a-1")
    submitted = post(token_client(bob), answers, "b-1").json()
    assert "possible_duplicate" not in submitted
    detail = token_client(bob).get(submitted["link"]).json()
    assert "possible_duplicate" not in detail
    staff_view = token_client(carol).get(submitted["link"]).json()
    assert staff_view["possible_duplicate"] is True


def test_staff_keying_for_a_caller_gives_the_caller_no_access(alice, carol, answers):
    """An agent's application for a caller whose ID matches alice's is not alice's to read
    until a verified step links it to her account."""
    post(token_client(alice), answers, "a-1")
    keyed = post(token_client(carol), answers, "c-1").json()
    assert token_client(alice).get(keyed["link"]).status_code == 404
    assert Application.objects.get(pk=keyed["id"]).owner_id is None

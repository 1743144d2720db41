"""Keying a phone application in a call (sections, one-field checks, the duplicate warning,
keyed provenance by the agent, verbal consent, submission through the draft path, owner
never the agent), carrying on a web draft, and the voice bot's hand-off queue (oldest first,
low-confidence answers, leases)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from applicants.drafts import draft_answer_many, draft_start
from applicants.models import Application, Channel, Draft
from applicants.provenance import Capture
from applicants.services import application_submit
from channels_ingest.phone.handoffs import HandoffTaken, handoff_claim, handoff_create
from channels_ingest.phone.models import Call, Handoff, HandoffState
from channels_ingest.phone.selectors import handoff_queue
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db

SECTIONS = {
    "identity": {"full_name": "Paul Phone", "date_of_birth": "02/03/1980", "national_id": "PP-100200-Z"},
    "contact": {
        "email": "paul@example.com",
        "phone": "+44 20 7000 1234",
        "address": "2 Call Street, Ringtown",
        "postcode": "RT1 2AB",
    },
    "employment": {"employment_status": "employed_full_time", "employer": "Dial Ltd", "years_employed": "4"},
    "finances": {"annual_income": "48,000", "monthly_housing_cost": "900", "monthly_debt_payments": "100"},
    "credit": {"existing_credit_lines": "2", "delinquencies_2y": "0", "credit_history_years": "9"},
    "loan": {"requested_amount": "5,000", "term_months": "24", "loan_purpose": "car"},
}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_call(client) -> Call:
    response = client.post("/agent/calls/")
    call = Call.objects.latest("started_at")
    assert response["Location"] == f"/agent/calls/{call.pk}/key/identity/"
    return call


def key_all(client, call, sections=SECTIONS):
    for section, data in sections.items():
        response = client.post(f"/agent/calls/{call.pk}/key/{section}/", {**data, "action": "next"})
        assert response.status_code == 302, (section, response.content[:2000])


def test_an_agent_keys_and_submits_a_phone_application(carol):
    client = logged_in(carol)
    call = new_call(client)
    page = client.get(f"/agent/calls/{call.pk}/key/identity/")
    assert page.status_code == 200
    assert b'data-shortcut="next"' in page.content and b"phone/agent.js" in page.content
    assert b"<script>" not in page.content and b" style=" not in page.content
    key_all(client, call)
    review = client.get(f"/agent/calls/{call.pk}/review/")
    assert b"Paul Phone" in review.content

    refused = client.post(f"/agent/calls/{call.pk}/review/", {"consent": "yes"})
    assert refused.status_code == 422 and b"Confirm that the caller gave their consent" in refused.content
    assert not Application.objects.exists()

    done = client.post(f"/agent/calls/{call.pk}/review/", {"consent": "yes", "attest": "yes"})
    assert done["Location"] == f"/agent/calls/{call.pk}/done/"
    application = Application.objects.get()
    assert application.channel == Channel.PHONE_AGENT
    assert application.submitted_by == carol and application.owner is None
    assert {v[-1]["method"] for v in application.provenance.values()} == {"keyed"}
    assert {v[-1]["by"] for v in application.provenance.values()} == {f"user:{carol.pk}"}
    consent = TrailEntry.objects.get(action="phone.consent_attested")
    assert consent.object_id == str(application.pk) and consent.after["consent"] == "verbal"
    status = client.get(f"/agent/calls/{call.pk}/done/")
    assert b"Received" in status.content and str(application.pk).encode() in status.content
    # Submitting again (a second key press) gives the same application.
    again = client.post(f"/agent/calls/{call.pk}/review/", {"consent": "yes", "attest": "yes"})
    assert again.status_code == 302 and Application.objects.count() == 1
    today = client.get("/agent/")
    assert str(application.pk)[:8].encode() in today.content


def test_a_bad_answer_is_refused_with_its_message_and_nothing_moves_on(carol):
    client = logged_in(carol)
    call = new_call(client)
    response = client.post(
        f"/agent/calls/{call.pk}/key/identity/",
        {**SECTIONS["identity"], "date_of_birth": "31/02/1980", "action": "next"},
    )
    assert response.status_code == 422
    assert b"aria-invalid" in response.content
    checked = client.post(f"/agent/calls/{call.pk}/answers/national_id/", {"national_id": "!"})
    assert checked.status_code == 200 and b"error-message" in checked.content
    assert b'hx-post="/agent/calls/' in checked.content


def test_the_duplicate_warning_comes_as_soon_as_the_identity_is_keyed(carol, answers):
    application_submit(answers=answers, channel=Channel.API, idempotency_key=str(uuid.uuid4()))
    client = logged_in(carol)
    call = new_call(client)
    checked = client.post(
        f"/agent/calls/{call.pk}/answers/national_id/", {"national_id": answers["national_id"].lower()}
    )
    assert b'id="duplicate-warning" hx-swap-oob="true"' in checked.content
    assert b"Possible duplicate" in checked.content
    other = client.post(f"/agent/calls/{call.pk}/answers/national_id/", {"national_id": "QQ-555555-Q"})
    assert b"Possible duplicate" not in other.content


def test_a_web_draft_is_carried_on_after_the_check_and_stays_its_applicants(carol, alice):
    draft = draft_start(channel=Channel.WEB, owner_user=alice, first_section="identity")
    typed = Capture.by_user(alice, channel=Channel.WEB)
    draft_answer_many(draft, {**SECTIONS["identity"], **SECTIONS["contact"]}, typed)
    client = logged_in(carol)
    client.post("/agent/calls/", {"candidate": f"draft:{draft.pk}"})
    call = Call.objects.get()
    assert client.post(f"/agent/calls/{call.pk}/draft/", {"draft": str(draft.pk)}).status_code == 302
    assert Call.objects.get().draft_id is None  # not before the identity check
    client.post(f"/agent/calls/{call.pk}/verify/", {"date_of_birth": "1980-03-02", "postcode": "RT1 2AB"})
    listed = client.get(f"/agent/calls/{call.pk}/")
    assert b"Continue this application" in listed.content
    response = client.post(f"/agent/calls/{call.pk}/draft/", {"draft": str(draft.pk)})
    assert response["Location"] == f"/agent/calls/{call.pk}/key/identity/"
    key_all(
        client,
        Call.objects.get(),
        {k: v for k, v in SECTIONS.items() if k not in ("identity", "contact")}
        | {"identity": SECTIONS["identity"], "contact": {**SECTIONS["contact"], "phone": "+44 20 7000 9999"}},
    )
    client.post(f"/agent/calls/{call.pk}/review/", {"consent": "yes", "attest": "yes"})
    application = Application.objects.get()
    assert application.owner == alice and application.submitted_by == carol
    assert application.channel == Channel.PHONE_AGENT
    assert application.provenance["full_name"][-1]["method"] == "typed"  # left alone by the agent
    assert application.provenance["phone"][-1]["method"] == "keyed"  # corrected by the agent
    assert [v["method"] for v in application.provenance["phone"]] == ["typed", "keyed"]


def make_handoff(ref="c1", **overrides):
    answers = {
        "full_name": ("Vera Voice", 0.97),
        "date_of_birth": ("1975-05-06", 0.93),
        "national_id": ("VV-300400-X", 0.55),
        "postcode": ("VO1 1CE", 0.62),
    }
    handoff, results = handoff_create(
        conversation_ref=ref, answers={**answers, **overrides}, reason="caller asked for a person"
    )
    assert all(r.ok for r in results.values())
    return handoff


def test_hand_offs_wait_oldest_first_with_their_low_confidence_answers(carol):
    first, second = make_handoff("a"), make_handoff("b")
    Handoff.objects.filter(pk=second.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert [h.pk for h in handoff_queue()] == [second.pk, first.pk]
    page = logged_in(carol).get("/agent/handoffs/")
    assert page.content.count(b"2 low confidence") == 2
    draft = Draft.objects.get(pk=first.draft_id)
    assert draft.provenance["national_id"][-1] | {"at": None} == {
        "value": "VV-300400-X",
        "channel": "voice",
        "method": "speech",
        "by": "conversation:a",
        "at": None,
        "confidence": 0.55,
    }


def test_two_agents_never_take_the_same_call_and_an_expired_lease_gives_it_back(carol, make_user, settings):
    other = make_user("olga", Role.AGENT)
    handoff = make_handoff()
    call = handoff_claim(handoff_id=handoff.pk, agent=carol)
    with pytest.raises(HandoffTaken):
        handoff_claim(handoff_id=handoff.pk, agent=other)
    assert handoff_claim(handoff_id=handoff.pk, agent=carol).pk == call.pk  # renewing one's own
    later = timezone.now() + dt.timedelta(seconds=settings.PHONE_HANDOFF_LEASE_SECONDS + 1)
    taken = handoff_claim(handoff_id=handoff.pk, agent=other, now=later)
    assert taken.agent == other
    # The first agent's keying now fails: their hold ran out and olga has the call.
    client = logged_in(carol)
    response = client.post(
        f"/agent/calls/{call.pk}/key/identity/", {"full_name": "X Y", "action": "next"}, follow=True
    )
    assert b"another agent has it now" in response.content
    assert Draft.objects.get(pk=handoff.draft_id).answers["full_name"] == "Vera Voice"


def test_an_agent_corrects_a_low_confidence_answer_and_submits(carol):
    handoff = make_handoff()
    client = logged_in(carol)
    response = client.post(f"/agent/handoffs/{handoff.pk}/take/")
    call = Call.objects.get()
    assert response["Location"] == f"/agent/calls/{call.pk}/key/identity/"
    page = client.get(response["Location"])
    assert b"low-confidence" in page.content and b"55% sure" in page.content
    assert b"97% sure" in page.content
    sections = {
        **SECTIONS,
        "identity": {"full_name": "Vera Voice", "date_of_birth": "06/05/1975", "national_id": "VV-300401-X"},
        "contact": {**SECTIONS["contact"], "postcode": "VO1 1CE"},
    }
    key_all(client, call, sections)
    client.post(f"/agent/calls/{call.pk}/review/", {"consent": "yes", "attest": "yes"})
    application = Application.objects.get()
    history = application.provenance
    assert [v["method"] for v in history["national_id"]] == ["speech", "keyed"]  # corrected
    assert [v["method"] for v in history["postcode"]] == ["speech", "keyed"]  # confirmed
    assert [v["method"] for v in history["full_name"]] == ["speech"]  # sure enough: untouched
    assert application.pii["national_id"] == "VV-300401-X"
    assert Handoff.objects.get().state == HandoffState.DONE
    assert b"No calls waiting" in client.get("/agent/handoffs/").content


def test_the_demo_leaves_hand_offs_waiting_once(settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("demo_handoffs", "--if-empty")
    call_command("demo_handoffs", "--if-empty")
    waiting = list(handoff_queue())
    assert len(waiting) == 3
    assert all(len(h.draft.answers) >= 3 for h in waiting)
    methods = {v[-1]["method"] for h in waiting for v in h.draft.provenance.values()}
    assert methods == {"speech"}


def test_a_held_hand_off_names_the_colleague_not_their_username(carol, make_user):
    olga = make_user("olga", Role.AGENT)
    olga.first_name, olga.last_name = "Olga", "Operator"
    olga.save(update_fields=["first_name", "last_name"])
    handoff_claim(handoff_id=make_handoff().pk, agent=olga)
    page = logged_in(carol).get("/agent/handoffs/").content.decode()
    assert "with Olga Operator until" in page and "with olga until" not in page

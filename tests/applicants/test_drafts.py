"""Drafts and the one-field service: every field type read as people type it, cross-field
rules as soon as their fields are present, provenance versioned on correction, expiry, and
a draft submitted twice giving one application."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applicants.drafts import (
    DraftClosed,
    UnknownField,
    draft_answer,
    draft_answer_many,
    draft_start,
    draft_submit,
    drafts_purge_expired,
)
from applicants.models import Application, Channel, Draft, DraftOwnerKind, DraftStatus
from applicants.provenance import Capture, Method, ProvenanceError, summary
from applicants.tasks import purge_expired_drafts
from applicants.validation import ApplicationInvalid
from tests.conftest import CAR_SCHEMA, token_client

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def draft(alice):
    return draft_start(channel=Channel.WEB, owner_user=alice)


@pytest.fixture
def typed(alice):
    return Capture.by_user(alice, channel=Channel.WEB)


def answer(draft, field, raw, capture):
    return draft_answer(draft, field, raw, capture, today=TODAY)


@pytest.mark.parametrize(
    ("field", "raw", "clean"),
    [
        ("full_name", "  Jane   Q.  Example ", "Jane Q. Example"),  # string
        ("date_of_birth", "23/04/1986", "1986-04-23"),  # date as written in the locale
        ("date_of_birth", "1986-04-23", "1986-04-23"),
        ("date_of_birth", "23 April 1986", "1986-04-23"),
        ("email", "Jane@Example.COM", "jane@example.com"),  # email
        ("phone", "+44 20 7946 0000", "+442079460000"),  # phone
        ("existing_credit_lines", "3", 3),  # integer
        ("annual_income", "£54,000", 54000.0),  # number with currency sign and grouping
        ("annual_income", "54 000.50 GBP", 54000.5),
        ("employment_status", "Employed full-time", "employed_full_time"),  # choice by label
        ("term_months", "36", 36),  # integer choice
        ("consent", "yes", True),  # boolean
    ],
)
def test_an_answer_is_read_as_people_type_it_and_kept_clean(draft, typed, field, raw, clean):
    result = answer(draft, field, raw, typed)
    assert result.ok and result.saved, result.error
    assert result.value == clean
    assert Draft.objects.get(pk=draft.pk).answers[field] == clean


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("full_name", "J", "Full name must be at least 2 characters."),
        ("date_of_birth", "31/02/1990", "Date of birth is not a real date"),
        ("date_of_birth", "yesterday", "Date of birth must be a date, for example 23/04/1986."),
        ("date_of_birth", "23/04/2030", "Date of birth cannot be in the future."),
        ("date_of_birth", "01/01/2015", "The applicant must be at least 18 years old."),
        (
            "national_id",
            "A!",
            "National ID number is not in the expected format "
            "(6 to 20 letters and digits; spaces and dashes are ignored).",
        ),
        ("email", "jane@", "Email address is not a valid email address."),
        ("phone", "12", "Phone number is not a valid phone number."),
        ("existing_credit_lines", "2.5", "Open credit lines must be a whole number."),
        ("annual_income", "lots", "Annual income must be a number."),
        ("requested_amount", "100", "Amount requested must be at least 500."),
        ("employment_status", "astronaut", "Employment status must be one of"),
        ("consent", "no", "must be given to proceed"),
        ("full_name", "   ", "Full name is required."),
    ],
)
def test_a_bad_answer_gets_a_specific_message_and_is_not_kept(draft, typed, field, raw, message):
    result = answer(draft, field, raw, typed)
    assert not result.ok and not result.saved
    assert message in result.error
    assert field not in Draft.objects.get(pk=draft.pk).answers


def test_a_yes_or_no_question_of_another_schema_takes_a_no(settings, alice, typed):
    """A boolean that need not be true (the car-insurance claim's police report): "No" is an
    answer like "Yes", kept as False; anything else is refused in words."""
    settings.APPLICATION_SCHEMA = CAR_SCHEMA
    car_draft = draft_start(channel=Channel.WEB, owner_user=alice)
    assert answer(car_draft, "police_report", "No", typed).value is False
    assert answer(car_draft, "police_report", "yes", typed).value is True
    refused = answer(car_draft, "police_report", "maybe", typed)
    assert refused.error == "Police report filed must be yes or no."
    stored = Draft.objects.get(pk=car_draft.pk)
    assert stored.answers == {"police_report": True}
    assert [v["value"] for v in stored.provenance["police_report"]] == [False, True]


def test_a_bad_correction_keeps_the_earlier_good_answer(draft, typed):
    answer(draft, "annual_income", "54000", typed)
    result = answer(draft, "annual_income", "fifty", typed)
    assert result.error == "Annual income must be a number."
    assert Draft.objects.get(pk=draft.pk).answers["annual_income"] == 54000.0


def test_an_unknown_field_is_refused(draft, typed):
    with pytest.raises(UnknownField):
        answer(draft, "favourite_colour", "blue", typed)


def test_a_cross_field_rule_runs_as_soon_as_its_fields_are_present(draft, typed):
    # Alone, a debt payment cannot be judged against income.
    assert answer(draft, "monthly_debt_payments", "3000", typed).ok
    # With income present, the rule names the debt field: reported there, income stands.
    result = answer(draft, "annual_income", "30000", typed)
    assert result.ok and result.saved
    assert result.rule_errors == {
        "monthly_debt_payments": ["Monthly debt payments cannot exceed monthly income."]
    }
    # Answering the named field again with a value that breaks the rule is refused...
    refused = answer(draft, "monthly_debt_payments", "2600", typed)
    assert refused.error == "Monthly debt payments cannot exceed monthly income."
    # ...and one that keeps it is accepted, clearing the rule's complaint.
    fixed = answer(draft, "monthly_debt_payments", "400", typed)
    assert fixed.ok and fixed.rule_errors == {}


def test_answers_given_together_are_judged_together(draft, typed):
    results = draft_answer_many(
        draft,
        {"annual_income": "12,000", "monthly_housing_cost": "1500", "monthly_debt_payments": "100"},
        typed,
        today=TODAY,
        section="finances",
    )
    assert results["monthly_housing_cost"].error == "Monthly housing cost cannot exceed monthly income."
    assert results["annual_income"].ok and results["monthly_debt_payments"].ok
    stored = Draft.objects.get(pk=draft.pk)
    assert stored.current_section == "finances"
    assert "monthly_housing_cost" not in stored.answers


def test_provenance_records_every_version_of_a_corrected_answer(draft, alice, carol):
    typed = Capture.by_user(alice, channel=Channel.WEB)
    answer(draft, "annual_income", "30,000", typed)
    answer(draft, "annual_income", "30000", typed)  # the same again: not a new version
    spoken = Capture(channel=Channel.VOICE, method=Method.SPEECH, by="conversation:c-17", confidence=0.62)
    answer(draft, "annual_income", "54000", spoken)
    keyed = Capture.by_user(carol, channel=Channel.PHONE_AGENT)
    answer(draft, "annual_income", "54000", keyed)  # confirmed by an agent: a new capture

    history = Draft.objects.get(pk=draft.pk).provenance["annual_income"]
    assert [v["value"] for v in history] == [30000.0, 54000.0, 54000.0]
    assert [v["method"] for v in history] == ["typed", "speech", "keyed"]
    assert [v["channel"] for v in history] == ["web", "voice", "phone_agent"]
    assert [v["by"] for v in history] == [f"user:{alice.pk}", "conversation:c-17", f"user:{carol.pk}"]
    assert history[1]["confidence"] == 0.62 and "confidence" not in history[0]
    assert all(dt.datetime.fromisoformat(v["at"]) for v in history)


def test_clearing_an_optional_answer_is_a_version_too(draft, typed):
    answer(draft, "employer", "Example Ltd", typed)
    result = answer(draft, "employer", "", typed)
    assert result.ok and result.value is None
    stored = Draft.objects.get(pk=draft.pk)
    assert "employer" not in stored.answers
    assert [v["value"] for v in stored.provenance["employer"]] == ["Example Ltd", None]


def test_a_capture_must_name_a_known_channel_and_method():
    with pytest.raises(ProvenanceError):
        Capture(channel="web", method="telepathy")
    with pytest.raises(ProvenanceError):
        Capture(channel="pigeon", method="typed")
    with pytest.raises(ProvenanceError):
        Capture(channel="voice", method="speech", confidence=1.5)


def test_draft_answers_are_encrypted_at_rest(draft, typed):
    answer(draft, "full_name", "Jane Q. Example", typed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers, provenance FROM applicants_draft WHERE id = %s", [draft.pk])
        stored_answers, stored_provenance = cursor.fetchone()
    assert "Jane" not in stored_answers and "Jane" not in stored_provenance


def test_a_draft_belongs_to_an_account_or_to_another_owner_by_reference(alice):
    with pytest.raises(ValueError, match="needs the user"):
        draft_start(channel=Channel.WEB)
    with pytest.raises(ValueError, match="needs owner_ref"):
        draft_start(channel=Channel.CHATBOT, owner_kind=DraftOwnerKind.CONVERSATION)
    chat = draft_start(
        channel=Channel.CHATBOT, owner_kind=DraftOwnerKind.CONVERSATION, owner_ref="conversation:c-1"
    )
    assert chat.owner_user is None and chat.owner_ref == "conversation:c-1"


# --- expiry -------------------------------------------------------------------------------------


def test_an_expired_draft_takes_no_answers_and_is_purged(draft, typed, alice, settings):
    fresh = draft_start(channel=Channel.WEB, owner_user=alice)
    Draft.objects.filter(pk=draft.pk).update(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    draft.refresh_from_db()
    with pytest.raises(DraftClosed, match="expired"):
        answer(draft, "full_name", "Jane Example", typed)
    with pytest.raises(DraftClosed, match="expired"):
        draft_submit(draft=draft, actor=alice, applicant_user=alice)
    assert purge_expired_drafts() == 1
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert Draft.objects.filter(pk=fresh.pk).exists()


def test_every_answer_pushes_the_expiry_back(draft, typed, settings):
    settings.DRAFT_TTL_DAYS = 2
    Draft.objects.filter(pk=draft.pk).update(expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    answer(draft, "full_name", "Jane Example", typed)
    stored = Draft.objects.get(pk=draft.pk)
    assert stored.expires_at < dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    drafts_purge_expired(now=stored.expires_at - dt.timedelta(seconds=1))
    assert Draft.objects.filter(pk=draft.pk).exists()  # two days on, not yet
    drafts_purge_expired(now=stored.expires_at + dt.timedelta(seconds=1))
    assert not Draft.objects.filter(pk=draft.pk).exists()


# --- submission ---------------------------------------------------------------------------------


def fill(draft, answers, capture):
    results = draft_answer_many(draft, {k: str(v) for k, v in answers.items()}, capture)
    assert all(r.ok for r in results.values()), {k: r.error for k, r in results.items() if not r.ok}


def test_a_draft_submitted_twice_gives_one_application_with_its_provenance(draft, alice, answers, typed):
    fill(draft, {**answers, "annual_income": 40000}, typed)
    answer(draft, "annual_income", "54000", typed)  # corrected before submitting
    first = draft_submit(draft=draft, actor=alice, applicant_user=alice)
    again = draft_submit(draft=Draft.objects.get(pk=draft.pk), actor=alice, applicant_user=alice)
    assert first.created and not again.created
    assert again.application.pk == first.application.pk
    assert Application.objects.count() == 1

    application = first.application
    assert application.owner == alice and application.channel == "web"
    assert application.idempotency_key == str(draft.pk)
    income = application.provenance["annual_income"]
    assert [v["method"] for v in income] == ["typed", "typed"]
    assert income[0]["value"] == 40000.0 and "value" not in income[1]  # current value: answers
    # No personal value travels in the provenance, not even an earlier one.
    assert all("value" not in v for v in application.provenance["full_name"])
    assert set(application.provenance) == set(answers)
    assert summary(application.provenance)["corrected"] == ["annual_income"]

    stored = Draft.objects.get(pk=draft.pk)
    assert stored.status == DraftStatus.SUBMITTED and stored.application == application
    assert stored.answers == {} and stored.provenance == {}
    with pytest.raises(DraftClosed, match="already been submitted"):
        answer(stored, "full_name", "Someone Else", typed)


def test_submitting_an_incomplete_draft_saves_nothing(draft, alice, answers, typed):
    fill(draft, {k: v for k, v in answers.items() if k != "phone"}, typed)
    with pytest.raises(ApplicationInvalid) as problem:
        draft_submit(draft=draft, actor=alice, applicant_user=alice)
    assert problem.value.errors == {"phone": ["Phone number is required."]}
    assert Application.objects.count() == 0
    stored = Draft.objects.get(pk=draft.pk)
    assert stored.status == DraftStatus.OPEN and stored.answers["full_name"]


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_make_one_application(alice, answers):
    draft = draft_start(channel=Channel.WEB, owner_user=alice)
    fill(draft, answers, Capture.by_user(alice, channel=Channel.WEB))
    results, barrier = [], threading.Barrier(2)

    def submit() -> None:
        try:
            barrier.wait()
            results.append(
                draft_submit(draft=Draft.objects.get(pk=draft.pk), actor=alice, applicant_user=alice)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    assert len({r.application.pk for r in results}) == 1
    assert sorted(r.created for r in results) == [False, True]
    assert Application.objects.count() == 1


def test_an_api_submission_records_api_provenance(alice, answers):
    response = token_client(alice).post(
        "/api/v1/applications/", {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="prov-1"
    )
    assert response.status_code == 202
    provenance = Application.objects.get(pk=response.json()["id"]).provenance
    assert set(provenance) == set(answers)
    assert {v[0]["method"] for v in provenance.values()} == {"api"}
    assert {v[0]["by"] for v in provenance.values()} == {f"user:{alice.pk}"}


def test_a_refused_or_repeated_answer_writes_nothing(draft, typed, django_assert_num_queries):
    answer(draft, "annual_income", "54000", typed)
    # A refused answer needs no lock and no transaction: the draft in hand has its answers.
    with django_assert_num_queries(0):
        result = answer(draft, "annual_income", "lots", typed)
    assert result.error and draft.answers["annual_income"] == 54000
    with django_assert_num_queries(3):  # savepoint, the locked read, release: no UPDATE
        answer(draft, "annual_income", "54,000", typed)
    # The lock is taken again as soon as one answer of several is good.
    with CaptureQueriesContext(connection) as queries:
        draft_answer_many(draft, {"annual_income": "lots", "monthly_housing_cost": "900"}, typed)
    on_drafts = [q["sql"].split()[0] for q in queries.captured_queries if '"applicants_draft"' in q["sql"]]
    assert on_drafts == ["SELECT", "UPDATE"] and "FOR UPDATE" in queries.captured_queries[1]["sql"]

"""Finding a caller through keyed hashes (phone, name, identity number, reference), the
identity check before anything is shown, and who may use the agent screen."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from accounts.roles import Role
from applicants.drafts import draft_answer_many, draft_start
from applicants.models import Channel
from applicants.provenance import Capture
from applicants.services import application_submit
from channels_ingest.phone.keys import name_words, phone_digits
from channels_ingest.phone.models import Call, CallerKey
from channels_ingest.phone.selectors import caller_search
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submit(answers, **changes):
    return application_submit(
        answers={**answers, **changes}, channel=Channel.API, idempotency_key=str(uuid.uuid4())
    ).application


def test_values_are_normalised_before_hashing(settings):
    assert phone_digits("+44 20 7946 0000") == phone_digits("020 7946 0000") == "079460000"
    assert phone_digits("12345") == ""
    assert name_words("  José  O'Brien-Smith ") == ["brien", "jose", "smith"]


def test_a_submission_is_indexed_by_hashes_never_values(answers):
    application = submit(answers)
    keys = list(CallerKey.objects.filter(applicant=application.applicant).values_list("key", flat=True))
    assert len(keys) == 4  # phone, two name words ("q" is too short to index), national ID
    assert all(len(k) == 64 for k in keys)
    joined = " ".join(keys).lower()
    for value in ("jane", "example", "7946", "ab123456c"):
        assert value not in joined


@pytest.mark.parametrize(
    "query,why",
    [
        ("020 7946 0000", "phone number"),
        ("+44 (0)20 7946-0000", "phone number"),
        ("jane example", "name"),
        ("EXAMPLE  Jane", "name"),
        ("ab 123456 c", "national ID"),
    ],
)
def test_the_caller_is_found_by_phone_name_or_identity(answers, query, why):
    application = submit(answers)
    submit(answers, full_name="John Other", national_id="ZZ-999999-Z", phone="+44 161 000 1111")
    found = caller_search(query)
    assert [c.id for c in found] == [application.applicant_id]
    assert why in found[0].matched and found[0].applications == 1


def test_a_name_matches_only_when_every_word_does(answers):
    submit(answers)
    assert caller_search("jane nobody") == []


def test_the_caller_is_found_by_application_reference_full_or_first_eight(answers):
    application = submit(answers)
    for query in (str(application.pk), str(application.pk)[:8].upper()):
        assert [c.id for c in caller_search(query)] == [application.applicant_id]
    assert caller_search("deadbeef") == []


def test_a_draft_begun_on_the_web_is_found_and_a_corrected_phone_moves_its_key(alice, answers):
    draft = draft_start(channel=Channel.WEB, owner_user=alice, first_section="identity")
    capture = Capture.by_user(alice, channel=Channel.WEB)
    draft_answer_many(draft, {"full_name": "Wanda Web", "phone": "+44 20 1111 2222"}, capture)
    assert [(c.kind, c.id) for c in caller_search("wanda web")] == [("draft", draft.pk)]
    draft_answer_many(draft, {"phone": "+44 20 3333 4444"}, capture)
    assert caller_search("020 1111 2222") == []
    assert [c.id for c in caller_search("020 3333 4444")] == [draft.pk]


def test_an_answer_that_is_not_indexed_leaves_the_index_alone(alice, django_assert_num_queries):
    """The one-field service's cost: an income answer is a lock, an update and no index write."""
    draft = draft_start(channel=Channel.WEB, owner_user=alice, first_section="identity")
    capture = Capture.by_user(alice, channel=Channel.WEB)
    draft_answer_many(draft, {"full_name": "Wanda Web"}, capture)
    with django_assert_num_queries(4):  # BEGIN, SELECT ... FOR UPDATE, UPDATE, COMMIT
        draft_answer_many(draft, {"annual_income": "54000"}, capture)
    assert [(c.kind, c.id) for c in caller_search("wanda web")] == [("draft", draft.pk)]


def test_a_draft_of_a_known_person_folds_into_them(alice, answers):
    application = submit(answers)
    draft = draft_start(channel=Channel.WEB, owner_user=alice, first_section="identity")
    draft_answer_many(
        draft,
        {"full_name": "Jane Q. Example", "national_id": answers["national_id"]},
        Capture.by_user(alice, channel=Channel.WEB),
    )
    found = caller_search("jane example")
    assert [(c.kind, c.id, c.drafts) for c in found] == [("applicant", application.applicant_id, 1)]


def test_search_shows_nothing_personal_and_records_appear_only_after_the_check(carol, answers):
    application = submit(answers)
    client = logged_in(carol)
    page = client.get("/agent/", {"q": "020 7946 0000"})
    assert page.status_code == 200
    assert b"1 possible caller" in page.content
    for value in (b"Jane", b"EX1", b"1986", str(application.pk).encode()):
        assert value not in page.content

    response = client.post("/agent/calls/", {"candidate": f"applicant:{application.applicant_id}"})
    call = Call.objects.get()
    assert response["Location"] == f"/agent/calls/{call.pk}/verify/"
    # Before the check the caller page sends back to the check.
    assert client.get(f"/agent/calls/{call.pk}/")["Location"] == f"/agent/calls/{call.pk}/verify/"

    wrong = client.post(
        f"/agent/calls/{call.pk}/verify/", {"date_of_birth": "23/04/1986", "postcode": "XX1 1XX"}
    )
    assert wrong.status_code == 422 and b"do not match" in wrong.content
    assert str(application.pk).encode() not in wrong.content

    right = client.post(
        f"/agent/calls/{call.pk}/verify/", {"date_of_birth": "23/04/1986", "postcode": "ex12mp"}
    )
    assert right["Location"] == f"/agent/calls/{call.pk}/"
    records = client.get(f"/agent/calls/{call.pk}/")
    assert str(application.pk).encode() in records.content
    checks = list(
        TrailEntry.objects.filter(action="phone.identity_check")
        .order_by("id")
        .values_list("after", flat=True)
    )
    assert [c["passed"] for c in checks] == [False, True]
    assert "EX1" not in str(checks) and "1986" not in str(checks)


def test_too_many_failed_checks_lock_the_call(carol, answers, settings):
    settings.PHONE_IDENTITY_ATTEMPTS = 2
    application = submit(answers)
    client = logged_in(carol)
    client.post("/agent/calls/", {"candidate": f"applicant:{application.applicant_id}"})
    call = Call.objects.get()
    for _ in range(2):
        client.post(f"/agent/calls/{call.pk}/verify/", {"date_of_birth": "01/01/1970", "postcode": "X"})
    locked = client.post(
        f"/agent/calls/{call.pk}/verify/", {"date_of_birth": "23/04/1986", "postcode": "EX1 2MP"}
    )
    assert locked.status_code == 422 and b"Too many failed checks" in locked.content
    call.refresh_from_db()
    assert call.verified_at is None


def test_a_made_up_candidate_is_refused_with_a_message(carol):
    client = logged_in(carol)
    for candidate in (f"applicant:{uuid.uuid4()}", "applicant:not-a-uuid", "person:1"):
        response = client.post("/agent/calls/", {"candidate": candidate}, follow=True)
        assert response.status_code == 200
        assert b"search again" in response.content or b"Choose a caller" in response.content
    assert not Call.objects.exists()


def test_another_agents_call_is_a_404(carol, make_user, answers):
    other = make_user("olga", Role.AGENT)
    application = submit(answers)
    logged_in(carol).post("/agent/calls/", {"candidate": f"applicant:{application.applicant_id}"})
    call = Call.objects.get()
    client = logged_in(other)
    assert client.get(f"/agent/calls/{call.pk}/verify/").status_code == 404
    assert (
        client.post(
            f"/agent/calls/{call.pk}/verify/", {"date_of_birth": "23/04/1986", "postcode": "EX1 2MP"}
        ).status_code
        == 404
    )


def test_only_agents_use_the_screen(alice, dave):
    for user in (alice, dave):
        assert logged_in(user).get("/agent/").status_code == 403
    assert Client().get("/agent/").status_code == 302


def test_the_rebuild_command_indexes_people_that_arrived_in_bulk(answers):
    from django.core.management import call_command

    application = submit(answers)
    CallerKey.objects.all().delete()  # as after a bulk load that skipped the receiver
    assert caller_search("jane example") == []
    call_command("phone_index_rebuild")
    call_command("phone_index_rebuild")  # idempotent
    assert [c.id for c in caller_search("jane example")] == [application.applicant_id]
    assert CallerKey.objects.count() == 4


def test_erasing_a_person_takes_their_keys_with_them(answers):
    from applicants.models import Applicant, Application

    application = submit(answers)
    Application.objects.filter(pk=application.pk).delete()
    Applicant.objects.filter(pk=application.applicant_id).delete()
    assert not CallerKey.objects.exists()

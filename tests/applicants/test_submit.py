from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from applicants.crypto import identity_hash
from applicants.models import Applicant, Application, Channel, Status
from applicants.services import IdempotencyConflict, application_submit
from applicants.validation import ApplicationInvalid
from outbox.models import OutboxMessage, OutboxStatus, Topic
from trail.selectors import trail_for_object

pytestmark = pytest.mark.django_db


def submit(answers: dict[str, Any], actor: Any, key: str | None = "key-1") -> Any:
    return application_submit(
        answers=answers, channel=Channel.API, actor=actor, applicant_user=actor, idempotency_key=key
    )


def test_a_submission_stores_the_application_its_history_and_its_scoring_request(alice, answers):
    submission = submit(answers, alice)
    application = submission.application
    assert submission.created and application.status == Status.RECEIVED
    assert application.all_answers["full_name"] == "Jane Q. Example"
    assert "full_name" not in application.answers  # personal answers live encrypted
    assert [e.after["status"] for e in trail_for_object("application", application.pk)] == ["received"]
    request = OutboxMessage.objects.get(topic=Topic.SCORING, key=str(application.pk))
    assert request.status == OutboxStatus.PENDING


def test_the_same_key_from_the_same_client_returns_the_original(alice, answers):
    first = submit(answers, alice)
    again = submit(answers, alice)
    assert not again.created and again.application.pk == first.application.pk
    assert Application.objects.count() == 1


def test_the_same_key_from_another_client_is_another_application(alice, bob, answers):
    submit(answers, alice)
    submit(answers, bob)
    assert Application.objects.count() == 2


def test_a_reused_key_with_different_answers_is_refused(alice, answers):
    submit(answers, alice)
    answers["requested_amount"] = 9000
    with pytest.raises(IdempotencyConflict):
        submit(answers, alice)
    assert Application.objects.count() == 1


def test_invalid_answers_leave_nothing_behind(alice, answers):
    answers["annual_income"] = -5
    with pytest.raises(ApplicationInvalid):
        submit(answers, alice)
    assert not Application.objects.exists()
    assert not Applicant.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_second_application_from_the_same_person_is_flagged(alice, carol, answers):
    first = submit(answers, alice).application
    answers["national_id"] = "ab 123456 c"  # same person, typed differently by an agent
    second = application_submit(
        answers=answers, channel=Channel.PHONE_AGENT, actor=carol, idempotency_key="other"
    ).application
    assert second.possible_duplicate and second.duplicate_of_id == first.pk
    assert second.applicant_id == first.applicant_id
    assert not first.possible_duplicate


def test_applications_outside_the_duplicate_window_are_not_flagged(alice, answers, settings):
    settings.DUPLICATE_WINDOW_DAYS = 0
    submit(answers, alice, key="a")
    assert not submit(answers, alice, key="b").application.possible_duplicate


def test_personal_data_is_not_readable_in_the_database(alice, answers):
    application = submit(answers, alice).application
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT answers::text, pii FROM applicants_application WHERE id = %s", [application.pk]
        )
        answers_text, pii_column = cursor.fetchone()
        cursor.execute("SELECT pii, identity_hash FROM applicants_applicant")
        applicant_pii, stored_hash = cursor.fetchone()
    raw = answers_text + pii_column + applicant_pii + stored_hash
    for secret in (
        "Jane",
        "AB-123456-C",
        "AB123456C",
        "jane@example.com",
        "1986-04-23",
        "Example Street",
        "7946",
    ):
        assert secret not in raw
    assert stored_hash == identity_hash("AB-123456-C")
    assert Applicant.objects.get().pii["email"] == "jane@example.com"


def test_encrypted_fields_cannot_be_searched(alice, answers):
    submit(answers, alice)
    with pytest.raises(TypeError, match="cannot be searched"):
        # The lookup goes in as a dict: django-stubs' mypy plugin resolves keyword lookups
        # itself, calls the field's get_lookup and crashes on the TypeError this test expects.
        list(Applicant.objects.filter(**{"pii__contains": "Jane"}))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_with_one_key_make_one_application(alice, answers):
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(submit(answers, alice, key="race"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    assert len({r.application.pk for r in results}) == 1
    assert sorted(r.created for r in results) == [False, True]
    assert Application.objects.count() == 1
    assert OutboxMessage.objects.count() == 1

"""On PostgreSQL a submission writes its application, trail entry and scoring request in one
statement (applicants/submission_sql.py): the rows must be those the ORM wrote."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applicants.models import Applicant, Application, Channel, Status
from applicants.services import application_submit
from channels_ingest.phone.models import CallerKey
from outbox.models import OutboxMessage, OutboxStatus, Topic
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


def submit(answers: dict[str, Any], actor: Any, key: str = "key-1") -> Any:
    return application_submit(
        answers=answers, channel=Channel.API, actor=actor, applicant_user=actor, idempotency_key=key
    )


def test_the_application_row_is_the_instance_returned(alice, answers):
    application = submit(answers, alice).application
    stored = Application.objects.get(pk=application.pk)
    for field in Application._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(application, field.attname), field.name
    assert stored.status == Status.RECEIVED and stored.submitted_by_id == alice.pk == stored.owner_id
    assert stored.created_at is not None and not application._state.adding


def test_its_trail_entry_and_scoring_request_are_written_as_before(alice, answers):
    application = submit(answers, alice).application
    entry = TrailEntry.objects.get(object_type="application", object_id=str(application.pk))
    assert (entry.action, entry.actor_id, entry.actor_label) == ("application.transition", alice.pk, "alice")
    assert (entry.before, entry.after) == ({}, {"status": "received", "channel": "api"})
    assert entry.note == "submitted via api" and entry.seq is None and entry.hash == ""
    message = OutboxMessage.objects.get(key=str(application.pk))
    assert (message.topic, message.payload, message.status) == (Topic.SCORING, {}, OutboxStatus.PENDING)
    assert message.attempts == 0 and message.created_at is not None and message.next_attempt_at is None


def test_the_person_and_the_application_keep_the_same_personal_answers(alice, answers):
    application = submit(answers, alice).application
    stored = Application.objects.get(pk=application.pk)
    assert stored.pii == Applicant.objects.get().pii == application.pii
    assert stored.pii["email"] == "jane@example.com"


def test_the_caller_index_still_follows_a_submission(alice, answers):
    application = submit(answers, alice).application
    assert CallerKey.objects.filter(applicant_id=application.applicant_id).count() >= 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's")
def test_the_three_rows_go_in_one_statement(alice, answers):
    with CaptureQueriesContext(connection) as queries:
        submit(answers, alice)
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    # The person, then the application with its trail entry and request, then the caller keys.
    assert len(inserts) == 3
    assert all(table in inserts[1] for table in ("applicants_application", "trail_trailentry", "outbox_"))

"""Erasure (right to be forgotten) against the real PostgreSQL, dynalite and the warehouse
database: the person's data leaves the database at once and the sinks' copies follow through
the outbox; decisions' non-personal facts, the trail and later exports stay right."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.roles import Role
from applicants.crypto import identity_hash, pseudonym
from applicants.models import Applicant, Application, Channel, Draft
from applicants.services import application_submit
from auditing.labels import LabelFilters
from auditing.models import ReviewItem
from auditing.services.exports import labels_write
from outbox.models import OutboxMessage, OutboxStatus
from outbox.services import outbox_resend, sink_topic
from privacy.matching import PersonalValues
from privacy.models import ErasureRequest, ErasureStatus
from privacy.services.erasure import ErasureRefused, erasure_follow_up, erasure_request
from sinks.dynamodb import DynamoDBSink
from sinks.dynamodb_table import query_by_applicant
from sinks.services import sink_drain
from tests.privacy.helpers import OTTO, ZELDA, reviewed_with_a_note, submit_scored
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user: Any) -> Any:
    return make_user("root", Role.ADMIN)


def _everything_in_the_database(*, but: tuple = ()) -> str:
    """Every row of every model as JSON text, encrypted columns decrypted."""
    rows = []
    for model in apps.get_models():
        if model in but or not model._meta.managed:
            continue
        rows += [json.dumps(row, default=str) for row in model._default_manager.values()]
    return "\n".join(rows)


def _drain_both() -> None:
    for sink in ("dynamodb", "warehouse"):
        sink_drain(sink_name=sink)


def test_an_erasure_empties_the_database_and_rewrites_both_sinks(
    sinks_on, active_model, answers, alice, dave, admin, settings, tmp_path
):
    settings.REVIEW_BLIND_SHARE = 0.0
    first = submit_scored(answers, ZELDA, owner=alice)
    second = submit_scored(answers, ZELDA, owner=alice)
    control = submit_scored(answers, OTTO)
    review = reviewed_with_a_note(
        first, dave, "Called Zelda Quartermaine on +44 20 7946 0123; income confirmed."
    )
    Draft.objects.create(
        schema_name="consumer_credit",
        channel=Channel.WEB,
        owner_kind="user",
        owner_user=alice,
        answers={**answers, **ZELDA},
        application=second,
        provenance={"full_name": [{"value": ZELDA["full_name"]}]},
        status="submitted",
        expires_at=second.created_at,
    )
    _drain_both()
    old_person = first.applicant_id
    assert second.applicant_id == old_person
    assert [i["application_id"] for i in query_by_applicant(str(old_person))]
    decisions_before = {
        d.pk: (d.tier, d.prob_high, d.model_version_id, d.reasons)
        for d in first.decisions.all() | second.decisions.all()
    }
    assert all(d.protected_groups for d in first.decisions.all() | second.decisions.all())
    zelda = PersonalValues([ZELDA])
    assert zelda.found_in(_everything_in_the_database())  # the check can see her

    # Asked by identity number, typed differently from how she typed it.
    request = erasure_request(actor=admin, national_id="zq 998877x", reference="DPO-2026/41")

    erased = {str(first.pk), str(second.pk)}
    assert set(request.application_ids) == erased and request.people == 1
    assert request.status == ErasureStatus.SINKS_PENDING
    assert not Applicant.objects.filter(pk=old_person).exists()
    assert not Applicant.objects.filter(identity_hash=identity_hash(ZELDA["national_id"])).exists()
    assert request.tombstone_applicant_id is not None
    tombstone = Applicant.objects.get(pk=request.tombstone_applicant_id)
    assert tombstone.pii == {} and tombstone.identity_hash.startswith("erased-")
    for application in Application.objects.filter(pk__in=erased):
        assert application.applicant_id == tombstone.pk and application.pii == {}
        assert "employer" not in application.answers and application.owner is None
        assert application.submitted_by is None and application.idempotency_scope == "erased"
        assert f"user:{alice.pk}" not in json.dumps(application.provenance)
        assert application.provenance["annual_income"][0]["method"] == "api"
        assert application.answers["annual_income"] == answers["annual_income"]  # a feature stays
    assert ReviewItem.objects.get(application=first).applicant_user is None
    review.refresh_from_db()
    assert "[erased]" in review.note and "income confirmed" in review.note
    # Decisions keep their non-personal facts for audit.
    after = Application.objects.filter(pk__in=erased)
    assert {
        d.pk: (d.tier, d.prob_high, d.model_version_id, d.reasons) for a in after for d in a.decisions.all()
    } == decisions_before
    # Nothing of hers is left in any table but the append-only trail, where a note she was
    # quoted in is counted (never rewritten: the chain would break).
    assert not zelda.found_in(_everything_in_the_database(but=(TrailEntry,)))
    assert request.changes["trail_entries_quoting_personal_values"] == 1
    assert request.changes["review_notes_scrubbed"] == 1
    assert request.changes["related_encrypted_rows"] == 2  # the draft's answers and provenance
    # Her age band was formed from her date of birth: gone with it.
    assert request.changes["decision_groups_cleared"] == 2
    assert not any(d.protected_groups for a in after for d in a.decisions.all())
    assert Draft.objects.get(application=second).answers == {}
    entry = TrailEntry.objects.get(action="personal_data.erased", object_id=str(request.pk))
    assert entry.actor == admin and set(entry.after["applications"]) == erased
    assert entry.after["reference"] == "DPO-2026/41"
    assert not zelda.found_in(json.dumps([entry.before, entry.after]) + entry.note)
    # Someone else's application is untouched.
    control.refresh_from_db()
    assert control.pii["full_name"] == "Otto Control" and control.answers["employer"] == "Control Works"

    out = StringIO()
    call_command("erase_personal_data", "--status", str(request.pk), "--drain", stdout=out)
    assert "Done and verified" in out.getvalue() and not zelda.found_in(out.getvalue())
    request.refresh_from_db()
    assert request.status == ErasureStatus.DONE
    assert request.sinks["dynamodb"]["verified"] and request.sinks["warehouse"]["verified"]
    items = DynamoDBSink().get_items(erased)
    assert {item["applicant_id"] for item in items.values()} == {str(tombstone.pk)}
    assert query_by_applicant(str(old_person)) == []
    assert {
        row[0]
        for row in sinks_on.warehouse(
            "SELECT applicant_id FROM fact_decision WHERE application_id = ANY(%s)", [list(erased)]
        )
    } == {str(tombstone.pk)}
    assert not sinks_on.warehouse("SELECT 1 FROM fact_decision WHERE applicant_id = %s", [str(old_person)])

    # A late re-drive of an old delivery writes nothing of hers back.
    decision_id = first.decisions.get(is_current=True).pk
    for sink in ("dynamodb", "warehouse"):
        outbox_resend(
            topic=sink_topic(sink), items=[(str(first.pk), {"event": "decision", "decision_id": decision_id})]
        )
    _drain_both()
    assert DynamoDBSink().get_items([str(first.pk)])[str(first.pk)]["applicant_id"] == str(tombstone.pk)
    assert not sinks_on.warehouse("SELECT 1 FROM fact_decision WHERE applicant_id = %s", [str(old_person)])

    # Later exports carry nothing of hers, and cannot be joined to earlier ones.
    result = labels_write(filters=LabelFilters(), format="csv", path=tmp_path / "labels.csv")
    text = Path(result.path).read_text()
    assert not zelda.found_in(text)
    rows = {row["review_id"]: row for row in csv.DictReader(StringIO(text))}
    row = rows[str(review.pk)]
    assert row["applicant_ref"] == pseudonym(f"applicant:{tombstone.pk}")
    assert row["applicant_ref"] != pseudonym(f"applicant:{old_person}")
    assert row["answer_employer"] == "" and row["final_tier"] == review.final_tier

    # Asking again is harmless: the same request comes back.
    again = erasure_request(actor=admin, application_id=second.pk)
    assert again.pk == request.pk and ErasureRequest.objects.count() == 1


def test_a_sink_that_is_down_is_retried_until_the_erasure_is_verified(
    sinks_on, active_model, answers, admin, settings
):
    application = submit_scored(answers, ZELDA)
    _drain_both()
    request = erasure_request(actor=admin, application_id=application.pk)
    reachable = settings.DYNAMODB_ENDPOINT_URL
    from ops.dynalite import free_port

    settings.DYNAMODB_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.DYNAMODB_TIMEOUT_SECONDS = 0.5
    result = sink_drain(sink_name="dynamodb")
    assert result.retrying and not result.delivered
    sink_drain(sink_name="warehouse")
    request = erasure_follow_up(request.pk)
    assert request.status == ErasureStatus.SINKS_PENDING
    assert request.sinks["warehouse"]["verified"] and not request.sinks["dynamodb"]["verified"]
    message = OutboxMessage.objects.get(topic="sink:dynamodb", payload__erasure=str(request.pk))
    assert message.status == OutboxStatus.PENDING and message.attempts == 1

    settings.DYNAMODB_ENDPOINT_URL = reachable
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=None)  # backoff over
    sink_drain(sink_name="dynamodb")
    request = erasure_follow_up(request.pk)
    assert request.status == ErasureStatus.DONE
    item = DynamoDBSink().get_items([str(application.pk)])[str(application.pk)]
    assert item["applicant_id"] == str(request.tombstone_applicant_id)


def test_an_identity_nobody_holds_is_recorded_without_the_number(admin):
    out = StringIO()
    call_command("erase_personal_data", "--national-id", "NB-000000-Z", "--by", "root", stdout=out)
    assert "no personal data is held" in out.getvalue()
    request = ErasureRequest.objects.get()
    assert request.status == ErasureStatus.DONE and request.application_ids == []
    stored = json.dumps(list(ErasureRequest.objects.values()), default=str)
    entry = TrailEntry.objects.get(action="personal_data.erased")
    assert "000000" not in stored + json.dumps(entry.after)


def test_only_an_administrator_may_erase_and_bad_requests_are_clear(alice, dave, admin, answers):
    with pytest.raises(PermissionDenied):
        erasure_request(actor=dave, national_id="ZQ998877X")
    with pytest.raises(ErasureRefused, match="either an application id or an identity number"):
        erasure_request(actor=admin)
    with pytest.raises(ErasureRefused, match="a UUID"):
        erasure_request(actor=admin, application_id="----")
    with pytest.raises(ErasureRefused, match="ticket number"):
        erasure_request(actor=admin, national_id="ZQ998877X", reference="Zelda Quartermaine")
    with pytest.raises(CommandError, match="--by"):
        call_command("erase_personal_data", "--application", "8c3f1e1c-7d0e-4f53-9a44-0c1d2e3f4a5b")
    with pytest.raises(CommandError, match="there is no application"):
        call_command(
            "erase_personal_data", "--application", "8c3f1e1c-7d0e-4f53-9a44-0c1d2e3f4a5b", "--by", "root"
        )
    with pytest.raises(CommandError, match="only an administrator"):
        call_command("erase_personal_data", "--national-id", "ZQ998877X", "--by", "dave")
    with pytest.raises(CommandError, match="no erasure request"):
        call_command("erase_personal_data", "--status", "nope")
    assert not ErasureRequest.objects.exists()


def test_a_dead_letter_needs_attention_and_a_redrive_finishes_the_erasure(
    sinks_on, active_model, answers, admin, settings
):
    application = submit_scored(answers, ZELDA)
    _drain_both()
    request = erasure_request(actor=admin, application_id=application.pk)
    reachable = settings.DYNAMODB_ENDPOINT_URL
    from ops.dynalite import free_port

    settings.DYNAMODB_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.DYNAMODB_TIMEOUT_SECONDS = 0.5
    settings.OUTBOX_MAX_ATTEMPTS = 1  # the first failure is final
    _drain_both()
    request = erasure_follow_up(request.pk)
    assert request.status == ErasureStatus.ATTENTION
    assert "dynamodb: 1 messages are dead letters" in request.last_error

    settings.DYNAMODB_ENDPOINT_URL = reachable
    out = StringIO()
    call_command("erase_personal_data", "--redrive", str(request.pk), "--drain", stdout=out)
    assert "Done and verified" in out.getvalue()
    # Delivered messages are purged in time; a request checked after that still verifies.
    OutboxMessage.objects.filter(payload__erasure=str(request.pk)).delete()
    ErasureRequest.objects.filter(pk=request.pk).update(status=ErasureStatus.SINKS_PENDING)
    assert erasure_follow_up(request.pk).status == ErasureStatus.DONE


@pytest.mark.django_db(transaction=True)
def test_a_submission_in_flight_during_an_erasure_is_erased_too(answers, make_user):
    import threading
    import time

    from django.db import connection, transaction

    admin = make_user("root", Role.ADMIN)
    first = application_submit(answers={**answers, **ZELDA}, channel=Channel.API).application
    outcome: dict[str, Any] = {}

    def erase() -> None:
        try:
            outcome["request"] = erasure_request(actor=admin, national_id=ZELDA["national_id"])
        except BaseException as exc:  # reported by the main thread
            outcome["error"] = exc
        finally:
            connection.close()

    with transaction.atomic():
        # Her second application is being stored (its transaction holds her person record)
        # when the erasure starts: the erasure waits for it, then erases it with the first.
        second = application_submit(answers={**answers, **ZELDA}, channel=Channel.API).application
        eraser = threading.Thread(target=erase)
        eraser.start()
        time.sleep(0.5)
        assert eraser.is_alive()
    eraser.join(timeout=30)
    assert "error" not in outcome, outcome.get("error")
    request = outcome["request"]
    assert set(request.application_ids) == {str(first.pk), str(second.pk)}
    assert all(a.pii == {} for a in Application.objects.filter(pk__in=[first.pk, second.pk]))
    assert not Applicant.objects.filter(identity_hash=identity_hash(ZELDA["national_id"])).exists()
    # Applying again afterwards is a new person: nothing links back.
    third = application_submit(answers={**answers, **ZELDA}, channel=Channel.API).application
    assert third.applicant_id != request.tombstone_applicant_id and not third.possible_duplicate

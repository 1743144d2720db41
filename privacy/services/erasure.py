"""Erasure (the right to be forgotten): a person's personal data removed from the database at
once, and from the sinks' copies through the outbox, while each decision's non-personal
facts stay for audit. docs/privacy.md says what goes, what stays and why.

The database part happens in the transaction that records the request, so from its commit
on the database holds nothing personal about the person:
- their person record (identity hash, encrypted details) is deleted; their applications move
  to a new tombstone record (a random id, an `erased-…` identity hash that no identity
  number can produce), so nothing links them to the person or to the old person id that
  other systems, logs or earlier exports may hold;
- each application's encrypted answers are emptied, free-text answers that are not model
  features are dropped (text can name a person) with their earlier versions, and the
  idempotency scope (it may hold a phone number) and the answers' fingerprint go;
- the account links (owner, submitter when that was the applicant, and the applicant's
  account as the capturer in the answers' provenance) are cut;
- every other encrypted column tied to these applications (drafts) is emptied;
- review notes lose any of the person's values (they may quote the applicant);
- the trail records the erasure: who, when, which applications, counts — no values.

The sinks hold no personal values, but they do hold the old person id. Every decision of
the erased applications is owed to every sink again (outbox "decision" events): the sinks
build what they write from the database at delivery time, so they overwrite their copies
with the tombstone id, and any later or repeated delivery writes the tombstone too, never
the old data. A sink that is down is retried with backoff like any delivery; the request
is done once every message is delivered and a read-back finds no stale link.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.access import can_erase_personal_data
from accounts.types import User
from applicants.crypto import identity_hash
from applicants.models import Applicant, Application
from applicants.schema import get_schema
from auditing.models import Review, ReviewItem
from channels_ingest.conversation.erasure import conversations_erase
from outbox.models import OutboxMessage, OutboxStatus
from outbox.registry import ERASURE_OWED, outbox_emit
from outbox.services import outbox_fan_out, outbox_requeue, publish_drains
from privacy.matching import PersonalValues
from privacy.models import ErasureRequest, ErasureStatus, SubjectKind
from privacy.services.rotation import encrypted_columns
from scoring.models import Decision
from trail.models import TrailEntry
from trail.services import trail_record

logger = logging.getLogger(__name__)

TOMBSTONE_PREFIX = "erased-"
ERASED_SCOPE = "erased"
REFERENCE = re.compile(r"[A-Za-z0-9._:#/-]{1,64}")


class ErasureRefused(Exception):
    """The request cannot be carried out; the message says why (never with a personal value)."""


def is_tombstone(applicant: Applicant) -> bool:
    return (applicant.identity_hash or "").startswith(TOMBSTONE_PREFIX)


# --- the request -------------------------------------------------------------------------------


def erasure_request(
    *, actor: User, application_id: Any = None, national_id: str | None = None, reference: str = ""
) -> ErasureRequest:
    """Erase the person behind an application id, or behind an identity number (found by its
    keyed hash; the number itself is never stored or logged). Every application of that
    person is erased, not only the one named.

    Idempotent: naming an application already erased returns its request (with its sinks
    re-checked); an identity number nobody holds any more is recorded as a request that found
    nothing, since after an erasure the platform cannot tell it ever saw that person."""
    if not can_erase_personal_data(actor):
        raise PermissionDenied("only an administrator may erase personal data")
    if (application_id is None) == (not national_id):
        raise ErasureRefused("name either an application id or an identity number, not both")
    reference = (reference or "").strip()
    if reference and not REFERENCE.fullmatch(reference):
        raise ErasureRefused(
            "the reference is a ticket number: up to 64 letters, digits and . _ : # / - (never a name)"
        )
    with transaction.atomic():
        if application_id is not None:
            kind, people = SubjectKind.APPLICATION, _person_of_application(application_id)
            if people and is_tombstone(people[0]):
                earlier = ErasureRequest.objects.filter(tombstone_applicant_id=people[0].pk).first()
                if earlier is not None:
                    outbox_emit(ERASURE_OWED, request_id=earlier.pk)
                    return earlier
        else:
            kind = SubjectKind.IDENTITY
            people = list(
                Applicant.objects.select_for_update().filter(identity_hash=identity_hash(str(national_id)))
            )
        request = ErasureRequest.objects.create(
            requested_by=actor,
            requested_by_label=actor.get_username(),
            subject_kind=kind,
            reference=reference,
        )
        if people:
            _erase_in_database(request, people)
        owed = _owe_sinks(request)
        if not owed:
            request.status, request.finished_at = ErasureStatus.DONE, timezone.now()
        request.save()
        trail_record(
            action="personal_data.erased",
            object_type="erasure",
            object_id=request.pk,
            actor=actor,
            after={
                "subject": kind,
                "applications": request.application_ids,
                "people": request.people,
                "changes": request.changes,
                "sink_messages": owed,
                **({"reference": reference} if reference else {}),
            },
        )
    if owed:
        outbox_emit(ERASURE_OWED, request_id=request.pk)
    logger.info(
        "erasure %s: %d applications of %d people erased in the database; %d sink messages owed",
        request.pk,
        len(request.application_ids),
        request.people,
        owed,
    )
    return request


def _person_of_application(application_id: Any) -> list[Applicant]:
    try:
        pk = uuid.UUID(str(application_id))
    except ValueError as exc:
        raise ErasureRefused("an application id is a UUID") from exc
    for _ in range(2):  # a concurrent erasure may move the application while we wait
        applicant_id = Application.objects.filter(pk=pk).values_list("applicant_id", flat=True).first()
        if applicant_id is None:
            raise ErasureRefused(f"there is no application {pk}")
        people = list(Applicant.objects.select_for_update().filter(pk=applicant_id))
        if people:
            return people
    return []


def _free_text_fields() -> set[str]:
    """Answers kept in clear that are free text and not model features: text can name a
    person, and no decision depends on it."""
    return {f.name for f in get_schema().fields if not f.pii and not f.feature and f.type == "string"}


def _erase_in_database(request: ErasureRequest, people: list[Applicant]) -> None:
    """Inside the request's transaction, with the person rows locked (a submission by the
    same person waits, then lands on a new person record)."""
    person_ids = [p.pk for p in people]
    applications = list(
        Application.objects.select_for_update().filter(applicant_id__in=person_ids).order_by("created_at")
    )
    ids = [a.pk for a in applications]
    values = PersonalValues([p.pii for p in people] + [a.pii for a in applications])
    free_text = _free_text_fields()
    tombstone = Applicant.objects.create(identity_hash=f"{TOMBSTONE_PREFIX}{uuid.uuid4().hex}", pii={})
    now = timezone.now()
    owners = {a.owner_id for a in applications} - {None}
    for application in applications:
        Application.objects.filter(pk=application.pk).update(
            applicant=tombstone,
            pii={},
            answers={k: v for k, v in application.answers.items() if k not in free_text},
            provenance=_provenance_without_person(
                application.provenance, free_text, {f"user:{pk}" for pk in owners}
            ),
            owner=None,
            submitted_by=(None if application.submitted_by_id in owners else application.submitted_by_id),
            idempotency_scope=ERASED_SCOPE,
            idempotency_key=None,
            request_fingerprint="",
            failure_reason=values.scrub(application.failure_reason),
            updated_at=now,
        )
    changes = {"applications": len(ids), "related_encrypted_rows": _empty_related(ids)}
    changes.update(conversations_erase(ids))  # drafts, phone-number hash, links (kept: the transcript)
    # A decision's protected groups (an age band) were formed from the personal answers.
    changes["decision_groups_cleared"] = (
        Decision.objects.filter(application_id__in=ids)
        .exclude(protected_groups={})
        .update(protected_groups={})
    )
    ReviewItem.objects.filter(application_id__in=ids).update(applicant_user=None)
    ReviewItem.objects.filter(application_id__in=ids, submitted_by_id__in=owners).update(submitted_by=None)
    changes["review_notes_scrubbed"] = _scrub_review_notes(ids, values)
    # The trail is append-only and hash-chained: entries are never rewritten. The platform
    # writes no personal value into it; a note a person typed might, so they are counted.
    changes["trail_entries_quoting_personal_values"] = _trail_entries_quoting(ids, values)
    Applicant.objects.filter(pk__in=person_ids).delete()
    request.application_ids = [str(pk) for pk in ids]
    request.tombstone_applicant_id = tombstone.pk
    request.people = len(people)
    request.changes = changes


def _provenance_without_person(provenance: dict, free_text: set[str], accounts: set[str]) -> dict:
    """Earlier versions lose the values of free-text fields, and every version forgets who
    captured it when that was the person's own account (it would name them)."""

    def version_kept(name: str, version: dict) -> dict:
        kept = {k: v for k, v in version.items() if not (k == "value" and name in free_text)}
        if kept.get("by") in accounts:
            kept["by"] = ""
        return kept

    return {
        name: [version_kept(name, version) for version in history]
        for name, history in (provenance or {}).items()
    }


def _empty_related(application_ids: list[Any]) -> int:
    """Every other encrypted column on a row tied to these applications (drafts today; a new
    model with an EncryptedJSONField and a link to Application is covered automatically)."""
    emptied = 0
    for column in encrypted_columns():
        if column.model in (Application, Applicant):
            continue
        links = [
            f
            for f in column.model._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and f.related_model is Application
        ]
        for link in links:
            emptied += column.model._default_manager.filter(**{f"{link.name}__in": application_ids}).update(
                **{column.field.name: column.field.get_default()}
            )
    return emptied


def _scrub_review_notes(application_ids: list[Any], values: PersonalValues) -> int:
    scrubbed = 0
    reviews = Review.objects.filter(application_id__in=application_ids).exclude(note="", second_note="")
    for review in reviews:
        note, second = values.scrub(review.note), values.scrub(review.second_note)
        if (note, second) != (review.note, review.second_note):
            Review.objects.filter(pk=review.pk).update(note=note, second_note=second)
            scrubbed += 1
    return scrubbed


def _trail_entries_quoting(application_ids: list[Any], values: PersonalValues) -> int:
    if not values:
        return 0
    entries = TrailEntry.objects.filter(
        object_type="application", object_id__in=[str(i) for i in application_ids]
    )
    return sum(
        1
        for before, after, note in entries.values_list("before", "after", "note").iterator()
        if values.found_in(json.dumps([before, after], default=str) + "\n" + note)
    )


def _owe_sinks(request: ErasureRequest) -> int:
    """Every decision of the erased applications, owed again to every sink (see the module's
    doc). Returns how many outbox messages that is."""
    if not request.application_ids or not settings.SINKS:
        request.sinks = {}
        return 0
    decisions = Decision.objects.filter(application_id__in=request.application_ids).order_by("id")
    items = [
        (str(app), {"decision_id": pk, "erasure": str(request.pk)})
        for pk, app in decisions.values_list("id", "application_id")
    ]
    owed = outbox_fan_out(event="decision", items=items)
    request.sinks = {sink: {"messages": len(items)} for sink in settings.SINKS} if owed else {}
    return owed


# --- following the sinks -----------------------------------------------------------------------


def _erasure_messages(request: ErasureRequest) -> models.QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        topic__startswith="sink:", key__in=request.application_ids, payload__erasure=str(request.pk)
    )


def erasure_follow_up(request_id: Any) -> ErasureRequest:
    """Bring a request's status up to date: how many of its sink messages are delivered or
    dead, and, once all are delivered, a read-back of every sink finding no stale link."""
    request = ErasureRequest.objects.get(pk=request_id)
    if request.status == ErasureStatus.DONE:
        return request
    sinks: dict[str, dict[str, Any]] = {}
    problems = []
    rows = _erasure_messages(request).values_list("topic", "status", "last_error")
    for topic, status, error in rows:
        entry = sinks.setdefault(
            topic.removeprefix("sink:"), {"messages": 0, "delivered": 0, "dead": 0, "verified": False}
        )
        entry["messages"] += 1
        entry["delivered"] += status == OutboxStatus.DELIVERED
        if status == OutboxStatus.DEAD:
            entry["dead"] += 1
            entry["problem"] = error[:500]
    for name, owed in (request.sinks or {}).items():
        if name not in sinks:  # delivered, then purged from the outbox (OUTBOX_RETENTION_DAYS)
            sinks[name] = {
                "messages": owed.get("messages", 0),
                "delivered": owed.get("messages", 0),
                "dead": 0,
                "verified": False,
            }
    for name, entry in sinks.items():
        if entry["dead"]:
            problems.append(f"{name}: {entry['dead']} messages are dead letters: {entry['problem']}")
        elif entry["delivered"] == entry["messages"]:
            try:
                stale = _stale_links(name, request)
            except Exception as exc:  # the sink is unreachable right now: read back later
                entry["problem"] = f"read-back failed: {type(exc).__name__}"
                continue
            entry["verified"] = not stale
            if stale:
                entry["problem"] = f"{len(stale)} records still link elsewhere"
                problems.append(f"{name}: {entry['problem']}")
    now = timezone.now()
    done = bool(sinks) and all(entry["verified"] for entry in sinks.values())
    status = (
        ErasureStatus.DONE if done else ErasureStatus.ATTENTION if problems else ErasureStatus.SINKS_PENDING
    )
    ErasureRequest.objects.filter(pk=request.pk).exclude(status=ErasureStatus.DONE).update(
        sinks=sinks,
        status=status,
        last_error="\n".join(problems)[:4000],
        checks=models.F("checks") + 1,
        checked_at=now,
        finished_at=now if done else None,
    )
    request.refresh_from_db()
    return request


def _stale_links(sink: str, request: ErasureRequest) -> list[str]:
    """Application ids whose copy in the sink still names another person than the tombstone."""
    tombstone = str(request.tombstone_applicant_id)
    if sink == "dynamodb":
        from sinks.dynamodb import dynamodb_stale_applicant_links

        return dynamodb_stale_applicant_links(request.application_ids, tombstone)
    if sink == "warehouse":
        from sinks.warehouse.erasure import warehouse_stale_applicant_links

        return warehouse_stale_applicant_links(request.application_ids, tombstone)
    return []


def erasure_redrive(request_id: Any) -> ErasureRequest:
    """An operator fixed a sink: send its dead erasure messages again, and owe the sinks the
    decisions again if a read-back found a stale link."""
    request = ErasureRequest.objects.get(pk=request_id)
    if request.status == ErasureStatus.DONE:
        return request
    with transaction.atomic():
        dead = list(_erasure_messages(request).filter(status=OutboxStatus.DEAD).values_list("id", flat=True))
        outbox_requeue(ids=dead)
        stale = any(
            entry.get("problem") and not entry.get("dead") for entry in (request.sinks or {}).values()
        )
        if stale:
            _owe_sinks(request)
            ErasureRequest.objects.filter(pk=request.pk).update(sinks=request.sinks)
        ErasureRequest.objects.filter(pk=request.pk).update(status=ErasureStatus.SINKS_PENDING, last_error="")
        if dead:
            topics = set(OutboxMessage.objects.filter(id__in=dead).values_list("topic", flat=True))
            sinks = [t.removeprefix("sink:") for t in topics]
            transaction.on_commit(lambda: publish_drains(sinks))
    return erasure_follow_up(request.pk)


def open_erasures() -> Iterable[Any]:
    return ErasureRequest.objects.filter(
        Q(status=ErasureStatus.SINKS_PENDING) | Q(status=ErasureStatus.ATTENTION)
    ).values_list("pk", flat=True)

"""Writes of the agent screen: calls, the identity check, keying and submitting a phone
application. Answers go through the one-field service (applicants.drafts) and submission
through the draft submission path, like every channel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from applicants.drafts import draft_start, draft_submit
from applicants.models import Applicant, Channel, Draft, DraftOwnerKind
from applicants.provenance import Capture, Method
from applicants.services import Submission
from channels_ingest.phone.identity import comparable, identity_fields
from channels_ingest.phone.models import Call
from channels_ingest.phone.selectors import caller_drafts
from trail.services import trail_record

IDENTITY_CHECK = "phone.identity_check"
CONSENT = "phone.consent_attested"


class CallRefused(Exception):
    """The call cannot do this (not verified, locked, closed); the message says why."""


def call_start(*, agent: Any, candidate: str = "") -> Call:
    """A call with the caller the search found ("applicant:<id>" or "draft:<id>"), or with
    nobody on record (a new caller)."""
    kind, _, pk = candidate.partition(":")
    call = Call(agent=agent)
    try:
        if kind == "applicant":
            call.applicant = Applicant.objects.get(pk=pk)
        elif kind == "draft":
            call.found_draft = Draft.objects.get(pk=pk, status="open")
        elif candidate:
            raise CallRefused("Choose a caller from the search results.")
    except (Applicant.DoesNotExist, Draft.DoesNotExist, ValueError, ValidationError) as exc:
        raise CallRefused("That caller is no longer on record; search again.") from exc
    call.save()
    return call


def _records_on_file(call: Call) -> list[Mapping[str, Any]]:
    """The caller's answers on record to compare with: the person as first seen, or the draft
    found. Never a later application: anyone who types the identity number adds one under
    this person, with their own date of birth and postcode (a moved caller is checked some
    other way)."""
    if call.applicant is not None:
        return [call.applicant.pii or {}]
    if call.found_draft is not None:
        return [call.found_draft.answers or {}]
    return []


def _failed_checks_of_subject_today(call: Call) -> int:
    """Failed checks against the same person (or draft) over all calls of the last day: the
    per-call limit alone lets a caller guess again by calling again."""
    subject = (
        {"applicant_id": call.applicant_id}
        if call.applicant_id
        else ({"found_draft_id": call.found_draft_id} if call.found_draft_id else None)
    )
    if subject is None:
        return 0
    since = timezone.now() - dt.timedelta(days=1)
    return Call.objects.filter(**subject, started_at__gte=since).aggregate(n=Sum("failed_checks"))["n"] or 0


def call_verify(*, call: Call, stated: Mapping[str, Any]) -> bool:
    """Compare what the caller stated with their record, server-side; every attempt is in the
    trail (never the values). After PHONE_IDENTITY_ATTEMPTS failures the call is locked."""
    fields = identity_fields()
    if not fields:
        raise CallRefused("The application schema has none of the identity check fields.")
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        if locked.verified_at:
            return True
        if locked.failed_checks >= settings.PHONE_IDENTITY_ATTEMPTS:
            raise CallRefused("Too many failed checks on this call: the caller's records stay hidden.")
        if _failed_checks_of_subject_today(locked) >= settings.PHONE_IDENTITY_ATTEMPTS:
            raise CallRefused(
                "Too many failed checks for this caller today, over several calls: "
                "the records stay hidden. Check their identity another way."
            )
        records = _records_on_file(locked)
        passed = bool(records) and all(
            (said := comparable(spec, stated.get(spec.name))) is not None
            and any(comparable(spec, r.get(spec.name)) == said for r in records)
            for spec in fields
        )
        if passed:
            locked.verified_at = timezone.now()
        else:
            locked.failed_checks += 1
        locked.save(update_fields=["verified_at", "failed_checks"])
        trail_record(
            action=IDENTITY_CHECK,
            object_type="phone_call",
            object_id=locked.pk,
            actor=locked.agent,
            after={
                "passed": passed,
                "fields": [f.name for f in fields],
                "attempt": locked.failed_checks + int(passed),
            },
            note=f"caller {'verified' if passed else 'not verified'} by the agent",
        )
    call.verified_at, call.failed_checks = locked.verified_at, locked.failed_checks
    return passed


def call_draft_new(*, call: Call, first_section: str) -> Draft:
    """A new phone application for this call (owned by the call, not by the agent)."""
    if call.application_id or call.handoff_id:
        raise CallRefused("This call already has its application.")
    draft = draft_start(
        channel=Channel.PHONE_AGENT,
        owner_kind=DraftOwnerKind.CALL,
        owner_ref=call.owner_ref,
        first_section=first_section,
    )
    Call.objects.filter(pk=call.pk).update(draft=draft)
    call.draft = draft
    return draft


def call_draft_continue(*, call: Call, draft_id: Any) -> Draft:
    """Carry on with one of the verified caller's drafts (one begun on the web included)."""
    draft = next((d for d in caller_drafts(call) if str(d.pk) == str(draft_id)), None)
    if draft is None:
        raise CallRefused("That draft is not this verified caller's.")
    Call.objects.filter(pk=call.pk).update(draft=draft)
    call.draft = draft
    return draft


def call_capture(call: Call) -> Capture:
    """Every answer keyed in a call: channel phone_agent, `keyed`, by this agent."""
    return Capture(channel=Channel.PHONE_AGENT, method=Method.KEYED, by=f"user:{call.agent_id}")


def call_submit(*, call: Call, consent_attested: bool) -> Submission:
    """Record the agent's attestation that the caller consented verbally, then submit the
    draft through the draft submission path as a phone application. A draft begun on the
    web stays its account's (that account owns the application); otherwise nobody owns it:
    keying for someone never makes it the agent's."""
    if not consent_attested:
        raise CallRefused("Confirm that the caller gave their consent before submitting.")
    if call.application is not None:  # submitted already (a double key press, a second tab)
        return Submission(application=call.application, created=False)
    draft = call.draft
    if draft is None:
        raise CallRefused("This call has no application to submit.")
    with transaction.atomic():
        if draft.channel != Channel.PHONE_AGENT:
            Draft.objects.filter(pk=draft.pk).update(channel=Channel.PHONE_AGENT)
            draft.channel = Channel.PHONE_AGENT
        owner = draft.owner_user if draft.owner_kind == DraftOwnerKind.USER else None
        submission = draft_submit(draft=draft, actor=call.agent, applicant_user=owner)
        now = timezone.now()
        Call.objects.filter(pk=call.pk).update(application=submission.application, consent_attested_at=now)
        trail_record(
            action=CONSENT,
            object_type="application",
            object_id=submission.application.pk,
            actor=call.agent,
            after={"consent": "verbal", "call": str(call.pk)},
            note="the caller gave consent verbally; the agent attests it",
        )
        if call.handoff_id:
            from channels_ingest.phone.handoffs import handoff_complete

            handoff_complete(handoff_id=call.handoff_id, agent=call.agent)
    call.application, call.consent_attested_at = submission.application, now
    return submission

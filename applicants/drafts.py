"""Drafts: partly answered applications, and the one-field service every channel uses.

    draft_start ─► draft_answer / draft_answer_many (per answer, with its provenance) ─►
    draft_submit ─► application_submit (the draft's id is the idempotency key)

An answer is read the way people write it (applicants.reading), then coerced and checked by
the schema's own rules (applicants.validation); cross-field rules are judged as soon as all
their fields are answered, and again at submission. Every accepted change is a new version
in the draft's provenance; an answer that fails keeps the earlier one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from applicants.models import Draft, DraftOwnerKind, DraftStatus
from applicants.provenance import Capture, for_application, same_capture
from applicants.reading import Unreadable, read_answer
from applicants.schema import ApplicationSchema, get_schema
from applicants.services import Submission, application_submit
from applicants.validation import FieldInvalid, broken_rules, clean_field

if TYPE_CHECKING:
    from accounts.types import Actor, User

# Idempotency keys of draft submissions live in their own scope: a draft's id is unique
# whoever submits it (the applicant, or an agent finishing it for them).
DRAFT_SCOPE = "draft"


class DraftClosed(Exception):
    """The draft was submitted or has expired; it takes no more answers."""


class UnknownField(Exception):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"{name!r} is not a field of the application")


@dataclass(frozen=True)
class AnswerResult:
    """What became of one answer. `error` is empty when it was accepted (`value` is then the
    clean value, None for a cleared optional answer). `rule_errors` are the cross-field
    rules broken by the draft's answers as they now stand, by the field each names."""

    field: str
    value: Any
    error: str = ""
    saved: bool = False
    rule_errors: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error


def draft_expiry(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(days=settings.DRAFT_TTL_DAYS)


def draft_start(
    *,
    channel: str,
    owner_user: User | None = None,
    owner_kind: str = DraftOwnerKind.USER,
    owner_ref: str = "",
    first_section: str = "",
) -> Draft:
    """A new, empty draft for an account (owner_user) or another owner (kind and ref)."""
    if owner_kind == DraftOwnerKind.USER and not getattr(owner_user, "pk", None):
        raise ValueError("a draft owned by a user needs the user")
    if owner_kind != DraftOwnerKind.USER and not owner_ref:
        raise ValueError(f"a draft owned by a {owner_kind} needs owner_ref")
    return Draft.objects.create(
        schema_name=get_schema().name,
        channel=channel,
        owner_kind=owner_kind,
        owner_user=owner_user if owner_kind == DraftOwnerKind.USER else None,
        owner_ref=owner_ref,
        current_section=first_section,
        expires_at=draft_expiry(),
    )


def draft_answer(
    draft: Draft, field: str, raw_value: Any, provenance: Capture, *, today: dt.date | None = None
) -> AnswerResult:
    """Read, coerce and check one answer; keep it (a new version) if it is good."""
    return draft_answer_many(draft, {field: raw_value}, provenance, today=today)[field]


def draft_answer_many(
    draft: Draft,
    raw_answers: Mapping[str, Any],
    provenance: Capture,
    *,
    today: dt.date | None = None,
    section: str | None = None,
) -> dict[str, AnswerResult]:
    """Several answers captured together (one form step, one clerk's screen), judged as one:
    cross-field rules see all of them. Saves once; `section` records where the owner is."""
    schema = get_schema()
    for name in raw_answers:
        if name not in schema.by_name:
            raise UnknownField(str(name))
    # Reading and checking the answers needs no database: done before any lock is taken.
    staged, errors, cleared = _stage(schema, raw_answers, today)
    if not staged and not cleared and section in (None, draft.current_section):
        return _refused(schema, draft, raw_answers, errors)

    queryset = Draft.objects.select_for_update()
    if not connection.in_atomic_block and connection.vendor == "postgresql":
        # A draft's answer is work in progress: a database crash may lose the last fraction
        # of a second of answers (retyped on resume), never corrupt anything; not waiting for
        # the WAL flush halves the one-field service's time. Set by the locking read itself
        # (set_config(..., is_local => true) is SET LOCAL), which saves a round trip.
        queryset = queryset.annotate(
            _async_commit=RawSQL("set_config('synchronous_commit', 'off', true)", ())
        )
    with transaction.atomic():
        locked = queryset.get(pk=draft.pk)
        _check_open(locked)
        answers = dict(locked.answers or {})
        versions = {name: list(history) for name, history in (locked.provenance or {}).items()}

        # A rule that names a field answered now refuses that answer; a rule that names
        # another field is reported against that field (its answer stands until submission).
        candidate = {k: v for k, v in {**answers, **staged}.items() if k not in cleared}
        for name, messages in broken_rules(schema, candidate).items():
            if name in staged:
                errors[name] = messages[0]
                del staged[name]

        for name in cleared:
            if name in answers:
                answers.pop(name)
                versions.setdefault(name, []).append(provenance.version(None))
        for name, value in staged.items():
            history = versions.setdefault(name, [])
            if not history or name not in answers or not same_capture(history[-1], value, provenance):
                history.append(provenance.version(value))
            answers[name] = value

        # Nothing accepted and nothing cleared (a refused answer, a step sent again unchanged):
        # no write. Otherwise one, which also pushes the expiry back.
        changed = versions != locked.provenance
        update = ["answers", "provenance", "expires_at", "updated_at"] if changed else []
        if changed:
            locked.answers, locked.provenance = answers, versions
            locked.expires_at = draft_expiry()
        if section is not None and section != locked.current_section:
            locked.current_section = section
            update += ["current_section", "updated_at"]
        if update:
            locked.save(update_fields=sorted(set(update)))
    draft.answers, draft.provenance = locked.answers, locked.provenance
    draft.expires_at, draft.current_section = locked.expires_at, locked.current_section

    rule_errors = broken_rules(schema, answers)
    return {
        name: AnswerResult(
            field=name,
            value=answers.get(name) if name not in errors else None,
            error=errors.get(name, ""),
            saved=name in staged or (name in cleared and name not in errors),
            rule_errors=rule_errors,
        )
        for name in raw_answers
    }


def _refused(
    schema: ApplicationSchema, draft: Draft, raw_answers: Mapping[str, Any], errors: dict[str, str]
) -> dict[str, AnswerResult]:
    """Every answer refused on its own: nothing to write, so no lock and no transaction; the
    draft as it stands only says which cross-field rules its answers break."""
    _check_open(draft)
    answers = draft.answers or {}  # (one read of the answers if the caller deferred them)
    rule_errors = broken_rules(schema, answers)
    return {
        name: AnswerResult(field=name, value=None, error=errors[name], rule_errors=rule_errors)
        for name in raw_answers
    }


def _stage(
    schema: ApplicationSchema, raw_answers: Mapping[str, Any], today: dt.date | None
) -> tuple[dict[str, Any], dict[str, str], set[str]]:
    """Clean values of the good answers, messages for the bad, and the blanked fields."""
    staged: dict[str, Any] = {}
    errors: dict[str, str] = {}
    cleared: set[str] = set()
    for name, raw in raw_answers.items():
        spec = schema.by_name[name]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            cleared.add(name)  # a blanked answer is removed, and a required one is missing
            if spec.required:
                errors[name] = f"{spec.label} is required."
            continue
        try:
            staged[name] = clean_field(spec, read_answer(spec, raw), today=today)
        except (Unreadable, FieldInvalid) as exc:
            errors[name] = str(exc)
    return staged, errors, cleared


def draft_set_section(*, draft: Draft, section: str) -> None:
    """Remember where the owner is without answering anything (they moved back or on)."""
    Draft.objects.filter(pk=draft.pk, status=DraftStatus.OPEN).update(
        current_section=section, updated_at=timezone.now()
    )
    draft.current_section = section


def draft_submit(*, draft: Draft, actor: Actor, applicant_user: Actor = None) -> Submission:
    """Submit the draft through the one ingestion service. Submitting it again (a double
    click, a retry, a second tab) returns the same application. Raises ApplicationInvalid
    with every problem (nothing is saved), or DraftClosed when it has expired."""
    schema = get_schema()
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        submitted = locked.application  # (None without a query when there is none)
        if submitted is not None:
            return Submission(application=submitted, created=False)
        _check_open(locked)
        # Answers to fields the schema no longer has (it changed meanwhile) are left behind.
        answers = {k: v for k, v in (locked.answers or {}).items() if k in schema.by_name}
        submission = application_submit(
            answers=answers,
            channel=locked.channel,
            actor=actor,
            idempotency_key=str(locked.pk),
            idempotency_scope=DRAFT_SCOPE,
            applicant_user=applicant_user,
            provenance=for_application(
                locked.provenance or {}, pii_fields=schema.pii_fields, answered=answers
            ),
        )
        # The application now holds the answers; the draft keeps only the link to it.
        locked.application = submission.application
        locked.status = DraftStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.answers, locked.provenance = {}, {}
        locked.save(
            update_fields=["application", "status", "submitted_at", "answers", "provenance", "updated_at"]
        )
    draft.application, draft.status = locked.application, locked.status
    draft.answers, draft.provenance = {}, {}
    return submission


def drafts_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete drafts past their expiry, answers and all (submitted ones hold none; their
    applications stay). Returns how many went."""
    deleted, _ = Draft.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


def is_expired(draft: Draft, now: dt.datetime | None = None) -> bool:
    return draft.status == DraftStatus.OPEN and draft.expires_at <= (now or timezone.now())


def _check_open(draft: Draft) -> None:
    if draft.status != DraftStatus.OPEN:
        raise DraftClosed("This application has already been submitted.")
    if is_expired(draft):
        raise DraftClosed("This draft has expired; please start a new application.")

"""Mail entry's writes: open a batch, take a form's scan, key it twice blind, compare, resolve,
submit.

    batch_open ─► scan_upload ─► pass_start / pass_save / pass_finish (clerk A, then clerk B)
        ─► both finished: compare clean values field by field
              all agree ─► submit (draft_submit: the final draft's id is the idempotency key)
              any differ ─► MISMATCH ─► item_resolve (a supervisor who keyed neither) ─► submit

Every value goes through the one-field service (applicants.drafts.draft_answer_many), so the
clerks' typing is read and cleaned exactly as the web form's; the comparison is of clean
values (text also without case and spacing differences). The submitted answers carry the
provenance `double_keyed`, naming both clerks (and the resolver for a resolved field).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.access import can_key_pass, can_resolve_mail_item, can_supervise_mail
from applicants.drafts import AnswerResult, draft_answer, draft_answer_many, draft_start, draft_submit
from applicants.models import Channel, Draft, DraftOwnerKind
from applicants.provenance import Capture, Method
from applicants.schema import get_schema
from applicants.validation import validate_answers
from channels_ingest.mail.errors import MailRefused
from channels_ingest.mail.models import (
    Choice,
    FieldResolution,
    ItemState,
    KeyingPass,
    MailBatch,
    MailItem,
)
from channels_ingest.mail.scans import scan_kind, scan_read, scan_upload
from trail.services import trail_record

MAX_FORMS_PER_BATCH = 500
# Scans live in channels_ingest.mail.scans; named here too, with the refusal, for callers.
__all__ = ["MailRefused", "scan_kind", "scan_read", "scan_upload"]


# --- batches -------------------------------------------------------------------------------------


def batch_open(*, number: str, received_on: dt.date, forms_count: int, actor: Any) -> MailBatch:
    """A batch of paper forms received together, with one item per form."""
    if not can_supervise_mail(actor):
        raise MailRefused("Only a mail supervisor opens batches.")
    number = (number or "").strip()
    if not number:
        raise MailRefused("Give the batch number written on the batch.")
    if not 1 <= forms_count <= MAX_FORMS_PER_BATCH:
        raise MailRefused(f"A batch holds between 1 and {MAX_FORMS_PER_BATCH} forms.")
    if received_on > timezone.localdate():
        raise MailRefused("The date received cannot be in the future.")
    try:
        with transaction.atomic():
            batch = MailBatch.objects.create(
                number=number, received_on=received_on, forms_count=forms_count, opened_by=actor
            )
            MailItem.objects.bulk_create(MailItem(batch=batch, sequence=n) for n in range(1, forms_count + 1))
            trail_record(
                action="mail.batch_opened",
                object_type="mail_batch",
                object_id=batch.pk,
                actor=actor,
                after={"number": number, "forms": forms_count, "received_on": received_on.isoformat()},
            )
    except IntegrityError as exc:
        raise MailRefused(f"Batch {number} is already open.") from exc
    return batch


# --- keying passes -------------------------------------------------------------------------------


def _capture(clerk: Any) -> Capture:
    return Capture(channel=Channel.MAIL, method=Method.KEYED, by=f"user:{clerk.pk}")


def pass_start(*, item: MailItem, clerk: Any) -> KeyingPass:
    """Take a pass of a form (the first free one), or return the clerk's own open pass. The
    same clerk never keys both passes of one form."""
    with transaction.atomic():
        locked = MailItem.objects.select_for_update().get(pk=item.pk)
        passes = list(locked.passes.all())
        mine = next((p for p in passes if p.clerk_id == clerk.pk), None)
        if mine is not None:
            if mine.is_finished:
                raise MailRefused(
                    "You keyed this form already; its other pass must be keyed by "
                    "another clerk (blind double keying)."
                )
            return mine
        if locked.state != ItemState.KEYING:
            raise MailRefused("This form is not waiting for keying.")
        if len(passes) >= 2:
            raise MailRefused("Both passes of this form are taken by other clerks.")
        other = passes[0].clerk_id if passes else None
        if not can_key_pass(clerk, other_pass_clerk_id=other):
            raise MailRefused("You cannot key this form.")
        draft = draft_start(
            channel=Channel.MAIL, owner_kind=DraftOwnerKind.MAIL_BATCH, owner_ref=f"batch:{locked.batch_id}"
        )
        keying = KeyingPass.objects.create(item=locked, number=len(passes) + 1, clerk=clerk, draft=draft)
    return keying


def pass_save(*, keying: KeyingPass, clerk: Any, raw: Mapping[str, Any]) -> dict[str, str]:
    """Keep what the clerk keyed (good answers saved; refused ones keep their earlier value).
    Returns the messages by field."""
    _check_own_open_pass(keying, clerk)
    draft = keying.draft
    assert draft is not None  # an open pass has its draft
    results = draft_answer_many(draft, dict(raw), _capture(clerk))
    return _errors(results)


def pass_answer(*, keying: KeyingPass, clerk: Any, name: str, raw: Any) -> AnswerResult:
    """One answer as the clerk types it, checked and kept in their own pass's draft (the
    live check beside each field): nothing of the other pass is read."""
    _check_own_open_pass(keying, clerk)
    draft = keying.draft
    if draft is None:
        raise MailRefused("This pass expired unfinished (drafts live DRAFT_TTL_DAYS).")
    return draft_answer(draft, name, raw, _capture(clerk))


def pass_finish(*, keying: KeyingPass, clerk: Any, raw: Mapping[str, Any]) -> dict[str, str]:
    """Save and close the pass if the form is complete and valid; otherwise the messages by
    field (nothing closed). When both passes are closed, the form is compared."""
    errors = pass_save(keying=keying, clerk=clerk, raw=raw)
    if errors:
        return errors
    draft = Draft.objects.filter(pk=keying.draft_id).first() if keying.draft_id is not None else None
    if draft is None:
        raise MailRefused("This pass expired unfinished (drafts live DRAFT_TTL_DAYS).")
    try:
        validate_answers(get_schema(), draft.answers)
    except Exception as exc:  # ApplicationInvalid: whatever is missing or breaks a rule
        problems = getattr(exc, "errors", None)
        if problems is None:
            raise
        return {name: messages[0] for name, messages in problems.items()}
    with transaction.atomic():
        item = MailItem.objects.select_for_update().get(pk=keying.item_id)
        _check_still_keying(item)
        done = KeyingPass.objects.filter(pk=keying.pk, finished_at__isnull=True).update(
            finished_at=timezone.now()
        )
        if done:
            trail_record(
                action="mail.pass_finished",
                object_type="mail_item",
                object_id=item.pk,
                actor=clerk,
                after={"pass": keying.number},
            )
        passes = list(item.passes.select_related("draft", "clerk"))
        if any(p.draft is None for p in passes):
            raise MailRefused(
                "The other pass of this form expired before it was compared; "
                "a supervisor must have the form keyed again."
            )
        if len(passes) == 2 and all(p.is_finished for p in passes) and item.compared_at is None:
            _compare(item, passes, actor=clerk)
    return {}


def _check_own_open_pass(keying: KeyingPass, clerk: Any) -> None:
    if keying.clerk_id != clerk.pk:
        raise MailRefused("This pass is another clerk's.")
    if keying.finished_at is not None:
        raise MailRefused("You finished this pass; it can no longer change.")
    item = MailItem.objects.select_related("batch").get(pk=keying.item_id)
    _check_still_keying(item)


def _check_still_keying(item: MailItem) -> None:
    """A form marked unreadable (or voided) is keyed no further, so never submitted."""
    if item.state in (ItemState.UNREADABLE, ItemState.VOID):
        raise MailRefused(f"Form {item} is {item.get_state_display().lower()}; its keying is on hold.")


def _errors(results: Mapping[str, AnswerResult]) -> dict[str, str]:
    errors = {name: r.error for name, r in results.items() if r.error}
    rule_errors = next(iter(results.values())).rule_errors if results else {}
    for name, texts in rule_errors.items():
        errors.setdefault(name, texts[0])
    return errors


# --- comparing and resolving ---------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def normalised(value: Any) -> Any:
    """A clean value as compared: text without case or spacing differences (numbers and
    dates are already clean: "54,000" and "54000" are both 54000)."""
    if isinstance(value, str):
        return _SPACES.sub(" ", value).strip().casefold()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def differing_fields(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[str]:
    """Fields (in the schema's order) whose clean values differ after normalising."""
    return [
        f.name for f in get_schema().fields if normalised(first.get(f.name)) != normalised(second.get(f.name))
    ]


def _joint_by(passes: list[KeyingPass]) -> str:
    return "+".join(f"user:{p.clerk_id}" for p in sorted(passes, key=lambda p: p.number))


def _compare(item: MailItem, passes: list[KeyingPass], *, actor: Any) -> None:
    """Inside the caller's transaction, the item locked: compare, then submit or wait."""
    first, second = sorted(passes, key=lambda p: p.number)
    assert first.draft is not None and second.draft is not None  # both passes just closed
    a, b = dict(first.draft.answers or {}), dict(second.draft.answers or {})
    differing = differing_fields(a, b)
    compared = len(set(a) | set(b))
    for keying in passes:
        keying.fields_compared, keying.fields_mismatched = compared, len(differing)
        keying.save(update_fields=["fields_compared", "fields_mismatched"])
    final = draft_start(
        channel=Channel.MAIL, owner_kind=DraftOwnerKind.MAIL_BATCH, owner_ref=f"batch:{item.batch_id}"
    )
    agreed = {name: value for name, value in a.items() if name not in differing}
    capture = Capture(channel=Channel.MAIL, method=Method.DOUBLE_KEYED, by=_joint_by(passes))
    if agreed:
        draft_answer_many(final, agreed, capture)
    item.final_draft, item.compared_at = final, timezone.now()
    item.state = ItemState.MISMATCH if differing else ItemState.KEYING
    item.save(update_fields=["final_draft", "compared_at", "state"])
    trail_record(
        action="mail.compared",
        object_type="mail_item",
        object_id=item.pk,
        actor=actor,
        after={"fields": compared, "differing": differing},
    )
    if not differing:
        _submit(item, actor=actor)


def comparison(item: MailItem) -> list[dict[str, Any]]:
    """For the supervisor's screen: every field with both clerks' values and whether they
    differ (and how a resolved one was settled)."""
    passes = sorted(item.passes.select_related("draft"), key=lambda p: p.number)
    a = dict(passes[0].draft.answers or {}) if passes and passes[0].draft else {}
    b = dict(passes[1].draft.answers or {}) if len(passes) > 1 and passes[1].draft else {}
    resolved = {r.field: r for r in item.resolutions.all()}
    differing = set(differing_fields(a, b))
    return [
        {
            "field": f,
            "first": a.get(f.name),
            "second": b.get(f.name),
            "differs": f.name in differing,
            "resolution": resolved.get(f.name),
        }
        for f in get_schema().fields
        if f.name in differing or f.name in a or f.name in b
    ]


def item_resolve(
    *, item: MailItem, supervisor: Any, choices: Mapping[str, tuple[str, Any]]
) -> dict[str, str]:
    """The supervisor's decision on each differing field: `choices[field] = (choice, other)`
    with choice first / second / other (then `other` is the value read from the scan, checked
    by the one-field service). All or nothing: any message and nothing is recorded. When
    every difference is resolved, the form is submitted."""
    with transaction.atomic():
        locked = MailItem.objects.select_for_update().get(pk=item.pk)
        passes = sorted(locked.passes.select_related("draft"), key=lambda p: p.number)
        if not can_resolve_mail_item(supervisor, clerk_ids=[p.clerk_id for p in passes]):
            raise MailRefused(
                "You keyed this form, or are not a mail supervisor: another "
                "supervisor resolves it (segregation of duties)."
            )
        if locked.state != ItemState.MISMATCH:
            raise MailRefused("This form has no differences waiting to be resolved.")
        assert passes[0].draft is not None and passes[1].draft is not None  # kept until resolved
        a, b = dict(passes[0].draft.answers or {}), dict(passes[1].draft.answers or {})
        differing = differing_fields(a, b)
        errors: dict[str, str] = {}
        raw: dict[str, Any] = {}
        for name in differing:
            choice, other = choices.get(name, ("", None))
            if choice == Choice.FIRST:
                raw[name] = a.get(name)
            elif choice == Choice.SECOND:
                raw[name] = b.get(name)
            elif choice == Choice.OTHER:
                raw[name] = other
            else:
                errors[name] = "Choose which value is on the form."
        if errors:
            return errors
        by = f"{_joint_by(passes)};resolved_by:user:{supervisor.pk}"
        capture = Capture(channel=Channel.MAIL, method=Method.DOUBLE_KEYED, by=by)
        assert locked.final_draft_id is not None  # made with the item
        final = Draft.objects.get(pk=locked.final_draft_id)
        sid = transaction.savepoint()
        results = draft_answer_many(final, raw, capture)
        errors = {n: r.error for n, r in results.items() if r.error}
        if errors:
            transaction.savepoint_rollback(sid)
            return errors
        transaction.savepoint_commit(sid)
        for name in differing:
            choice = choices[name][0]
            FieldResolution.objects.create(
                item=locked,
                field=name,
                choice=choice,
                value={"value": final.answers.get(name)},
                resolved_by=supervisor,
            )
            trail_record(
                action="mail.field_resolved",
                object_type="mail_item",
                object_id=locked.pk,
                actor=supervisor,
                after={"field": name, "choice": choice},
            )
        _submit(locked, actor=supervisor)
    return {}


def _submit(item: MailItem, *, actor: Any) -> None:
    """Submit the final draft through the one ingestion service (idempotent by its id; both
    passes were complete and valid, so the answers are too)."""
    assert item.final_draft_id is not None  # made with the item
    final = Draft.objects.get(pk=item.final_draft_id)
    submission = draft_submit(draft=final, actor=actor, applicant_user=None)
    item.application = submission.application
    item.state, item.submitted_at = ItemState.SUBMITTED, timezone.now()
    item.save(update_fields=["application", "state", "submitted_at"])
    trail_record(
        action="mail.submitted",
        object_type="mail_item",
        object_id=item.pk,
        actor=actor,
        after={"application": str(submission.application.pk)},
    )

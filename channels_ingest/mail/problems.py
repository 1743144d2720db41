"""A paper form that cannot be keyed: a clerk marks it unreadable or incomplete, with the
reason; a mail supervisor then voids it (nothing is ever submitted from it) or sends it back
to keying (e.g. after finding the missing page, or judging it readable after all).

    KEYING ─ item_mark_unreadable (a clerk, with a reason) ─► UNREADABLE
    UNREADABLE ─ item_void (a supervisor) ─► VOID (final)
    UNREADABLE ─ item_send_back (a supervisor) ─► KEYING (the passes as they were)

While a form is UNREADABLE or VOID, its passes can neither be saved nor finished, so it is
never compared nor submitted (services.pass_save / pass_finish check the item's state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.access import can_key_mail, can_supervise_mail
from channels_ingest.mail.models import ItemState, MailItem
from channels_ingest.mail.services import MailRefused
from trail.services import trail_record

if TYPE_CHECKING:
    from accounts.types import User

REASON_MAX = 500


def _reason(text: str, *, what: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise MailRefused(f"Say {what}.")
    if len(text) > REASON_MAX:
        raise MailRefused(f"Keep it under {REASON_MAX} characters (this is {len(text)}).")
    return text


def item_mark_unreadable(*, item: MailItem, clerk: User, reason: str) -> MailItem:
    """A clerk who may key this form (it is being keyed, and they hold or could take one of
    its passes) says it cannot be keyed, and why. Their open pass stays as it is."""
    if not can_key_mail(clerk):
        raise MailRefused("Forms are marked unreadable by mail clerks.")
    reason = _reason(reason, what="what is unreadable or missing on the form")
    with transaction.atomic():
        locked = MailItem.objects.select_for_update().get(pk=item.pk)
        if locked.state != ItemState.KEYING:
            raise MailRefused(f"Form {locked} is not being keyed ({locked.get_state_display().lower()}).")
        passes = list(locked.passes.all())
        mine = next((p for p in passes if p.clerk_id == clerk.pk), None)
        if mine is not None and mine.is_finished:
            raise MailRefused("You finished your pass of this form; a supervisor can still void it.")
        if mine is None and len(passes) >= 2:
            raise MailRefused("This form is keyed by two other clerks.")
        locked.state, locked.problem = ItemState.UNREADABLE, reason
        locked.problem_by, locked.problem_at = clerk, timezone.now()
        locked.save(update_fields=["state", "problem", "problem_by", "problem_at"])
        trail_record(
            action="mail.marked_unreadable",
            object_type="mail_item",
            object_id=locked.pk,
            actor=clerk,
            after={"reason": reason},
        )
    return locked


def _decide(item: MailItem, supervisor: User, note: str, *, to: ItemState, action: str) -> MailItem:
    if not can_supervise_mail(supervisor):
        raise MailRefused("A mail supervisor decides what happens to an unreadable form.")
    with transaction.atomic():
        locked = MailItem.objects.select_for_update().get(pk=item.pk)
        if locked.state != ItemState.UNREADABLE:
            raise MailRefused(
                f"Form {locked} is not marked unreadable ({locked.get_state_display().lower()})."
            )
        locked.state = to
        locked.save(update_fields=["state"])
        trail_record(
            action=action,
            object_type="mail_item",
            object_id=locked.pk,
            actor=supervisor,
            before={"reason": locked.problem},
            after={"note": note},
        )
    return locked


def item_void(*, item: MailItem, supervisor: User, note: str) -> MailItem:
    """The form is not keyed at all (returned to the sender, say): final, nothing submitted."""
    note = _reason(note, what="why the form is voided (e.g. returned to the applicant)")
    return _decide(item, supervisor, note, to=ItemState.VOID, action="mail.voided")


def item_send_back(*, item: MailItem, supervisor: User, note: str = "") -> MailItem:
    """Back to keying, the clerks' passes as they were (the note says what to do)."""
    note = " ".join((note or "").split())[:REASON_MAX]
    return _decide(item, supervisor, note, to=ItemState.KEYING, action="mail.sent_back")

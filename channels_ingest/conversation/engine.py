"""The dialog engine behind the web chat, SMS and voice: one turn in, the replies out.

Driven by the schema: each field's `prompt` in section order, skipping what is known. Every
answer goes through the one-field service (applicants.drafts.draft_answer_many) with its
provenance; a refused answer is asked again with the service's own message. Commands work at
any point (back, help, start over, summary, agent, stop), corrections by field name, and
questions are answered from the FAQ without losing the place. Before sending, the summary is
read back for a yes.

State lives in the database: the conversation row (locked for the turn, so two messages at
once are taken one after the other) and its encrypted draft. Nothing personal is logged or
kept in the transcript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.types import User
from applicants.drafts import DraftClosed, draft_answer_many, draft_submit
from applicants.models import Draft
from applicants.provenance import Method
from applicants.schema import NUMERIC_TYPES, ApplicationSchema, Field, get_schema
from applicants.validation import ApplicationInvalid
from channels_ingest.conversation import texts
from channels_ingest.conversation.asking import Asking
from channels_ingest.conversation.models import Conversation, InboundMessage, Mode, Turn, TurnKind
from channels_ingest.conversation.parsing import (
    ZERO_WORDS,
    is_skip,
    normalise,
    parse_yes_no,
    raw_for_field,
)
from channels_ingest.conversation.redaction import redact
from channels_ingest.conversation.replies import Reply, TurnInput
from channels_ingest.conversation.understanding import Reading, understand
from channels_ingest.conversation.vocabulary import FieldWords, words_for

__all__ = ["Reply", "TurnInput", "conversation_for", "conversation_opening", "conversation_turn"]


# Who submits a conversation's application: (actor, applicant_user), or a message saying why
# it cannot be sent yet (an anonymous web chat must first log in).
Submitter = Callable[[Conversation], "tuple[Any, Any] | str"]


def conversation_for(*, transport: str, key: str, user: User | None = None) -> Conversation:
    """The conversation of this sender (created on the first message)."""
    conversation, _ = Conversation.objects.get_or_create(
        transport=transport, key=key, defaults={"user": user}
    )
    return conversation


def conversation_turn(
    conversation: Conversation, said: TurnInput, *, submitter: Submitter | None = None
) -> Reply:
    """Take one message and answer it. The conversation row is locked for the whole turn."""
    with transaction.atomic():
        locked = _locked(conversation.pk)
        if said.message_sid and not _first_delivery(locked, said.message_sid):
            return Reply(messages=[], kind="duplicate", duplicate=True)
        turn = _Turn(locked, said, submitter or _anonymous_submitter)
        reply = turn.run()
        if reply.kind in DURABLE_REPLIES:
            _commit_durably()
        locked.turns += 1
        locked.save()
        Turn.objects.create(
            conversation=locked,
            kind=turn.kind,
            fields_accepted=turn.accepted,
            fields_refused=turn.refused,
            said=turn.redacted,
            reply_kind=reply.kind,
            method=said.method,
            confidence=said.confidence,
        )
    _copy_state(locked, conversation)
    return reply


def conversation_opening(conversation: Conversation) -> Reply:
    """What the conversation says first (or on coming back): the question now pending."""
    with transaction.atomic():
        locked = _locked(conversation.pk)
        turn = _Turn(locked, TurnInput(text=""), _anonymous_submitter)
        reply = turn.opening()
        locked.save()
    _copy_state(locked, conversation)
    return reply


# Turns whose outcome must survive a database crash once the person is told: an application
# sent, a hand-off queued. Every other turn is work in progress, like a draft's answer.
DURABLE_REPLIES = frozenset({"submitted", "handoff"})


def _locked(pk: Any) -> Conversation:
    """The conversation locked for the turn. The turn's transaction does not wait for the WAL
    flush at commit (set by the locking read itself, as the one-field service does for a
    draft's answer): a crash may lose the last fraction of a second of a conversation, which
    the person simply says again, never corrupt it. The draft is read after the lock, not
    joined to it: a row waited for is read again as the other turn left it, but a joined draft
    would come back as it was before (PostgreSQL re-checks only the locked row)."""
    queryset = Conversation.objects.select_for_update()
    if connection.vendor == "postgresql":
        queryset = queryset.annotate(
            _async_commit=RawSQL("set_config('synchronous_commit', 'off', true)", ())
        )
    conversation = queryset.get(pk=pk)
    if conversation.draft_id:
        # The draft as a stand-in whose columns load only when read: a turn that saves an
        # answer gets them from the one-field service's own locked read (it hands back the
        # answers and provenance), so the encrypted draft is not read and decrypted twice.
        conversation.draft = Draft.from_db(connection.alias, ["id"], [conversation.draft_id])
    return conversation


def _commit_durably() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('synchronous_commit', 'on', true)")


def _copy_state(source: Conversation, target: Conversation) -> None:
    """The caller's object sees the turn's outcome without reading the row again."""
    if source is target:
        return
    for field in Conversation._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.fields_cache = dict(source._state.fields_cache)


def _first_delivery(conversation: Conversation, sid: str) -> bool:
    try:
        with transaction.atomic():
            InboundMessage.objects.create(sid=sid[:64], conversation=conversation)
    except IntegrityError:
        return False
    return True


def _anonymous_submitter(conversation: Conversation) -> tuple[Any, Any]:
    return None, None


class _Turn(Asking):
    """One turn's work on a locked conversation."""

    def __init__(self, conversation: Conversation, said: TurnInput, submitter: Submitter):
        self.c = conversation
        self.said = said
        self.submitter = submitter
        self.schema: ApplicationSchema = get_schema()
        self.words: dict[str, FieldWords] = words_for(self.schema)
        self.kind = TurnKind.UNREAD
        self.accepted: list[str] = []
        self.refused: list[str] = []
        self.redacted = ""

    # --- the flow ----------------------------------------------------------------------------

    def opening(self) -> Reply:
        if self.c.mode == Mode.SUBMITTED:
            return self._after_submission()
        if self.c.mode == Mode.STOPPED:
            self.c.mode = Mode.ASKING
        if self.c.mode == Mode.CONFIRMING:
            return self._confirm_question([])
        intro = [texts.WELCOME_BACK] if self._answers() else [texts.WELCOME.format(title=self.schema.title)]
        return self._ask_next(intro)

    def run(self) -> Reply:
        text = self.said.text.strip()
        if self.c.mode == Mode.SUBMITTED:
            self.kind = TurnKind.QUESTION
            return self._faq_or_status(text)
        if self.c.mode == Mode.STOPPED:
            self.c.mode = Mode.ASKING
            if not text:
                return self._ask_next([texts.WELCOME_BACK])
        if not text:
            return self._ask_next([])
        if self.c.mode == Mode.ASKING and self.c.turns == 0 and not self.c.pending_field:
            return self._first_contact(text)
        pending = self._pending()
        reading = understand(text, self.schema, self.words, pending=pending.name if pending else "")
        if reading.kind == "command":
            self.kind, self.redacted = TurnKind.COMMAND, reading.command
            return getattr(self, f"_cmd_{reading.command}")()
        if self.c.unconfirmed:
            return self._heard_right(text, reading, pending)
        if self.c.mode == Mode.CONFIRMING:
            return self._confirming(text, reading)
        if reading.kind == "correction":
            self.kind = TurnKind.CORRECTION
            return self._correct(reading)
        if reading.kind == "question":
            self.kind, self.redacted = TurnKind.QUESTION, redact(text)
            return self._faq(text)
        return self._answer(reading, pending, text)

    def _first_contact(self, text: str) -> Reply:
        """The first message of someone not yet greeted ("hi, I'd like a loan"): it answers
        no question yet, unless it names its values ("I earn 45k and want 10k")."""
        reading = understand(text, self.schema, self.words, pending="")
        welcome = texts.WELCOME.format(title=self.schema.title)
        if reading.kind == "command" and reading.command != "help":
            self.kind, self.redacted = TurnKind.COMMAND, reading.command
            return getattr(self, f"_cmd_{reading.command}")()
        lead = [welcome]
        if reading.kind == "question":
            self.kind, self.redacted = TurnKind.QUESTION, redact(text)
            lead = [self._faq_text(text), welcome]
        elif reading.kind == "answer" and reading.answers:
            self.kind = TurnKind.ANSWER
            errors = self._save(reading.answers)
            lead += [texts.NOT_ACCEPTED.format(error=e) for e in errors.values()]
        return self._ask_next(lead)

    def _answer(self, reading: Reading, pending: Field | None, text: str) -> Reply:
        self.kind = TurnKind.ANSWER
        if (
            pending is not None
            and pending.name in reading.answers
            and not pending.required
            and is_skip(reading.answers[pending.name])
        ):
            self.c.skipped = sorted({*self.c.skipped, pending.name})
            return self._ask_next([texts.SKIPPED])
        if (
            pending is not None
            and pending.required
            and is_skip(text)
            and not (pending.type in NUMERIC_TYPES and normalise(text) in ZERO_WORDS)
        ):
            return self._ask_next([texts.REQUIRED], reask=True)
        if self._unsure(reading):
            self.c.unconfirmed = {"answers": reading.answers, "confidence": self.said.confidence}
            heard = "; ".join(reading.answers.values())
            return Reply(
                messages=[texts.HEARD.format(heard=heard)],
                kind="confirm_heard",
                field=pending.name if pending else "",
            )
        errors = self._save(reading.answers)
        if errors and pending is not None and pending.name in errors and len(reading.answers) == 1:
            from channels_ingest.conversation.faq import faq_match

            match = faq_match(text)  # not an answer, but a question said without a "?"
            if match and match.score >= 90:
                self.kind, self.redacted = TurnKind.QUESTION, redact(text)
                return self._ask_next([match.answer], kind="faq")
        lead = []
        if len(self.accepted) > 1:
            lead.append(
                texts.GOT_SEVERAL.format(
                    labels=", ".join(self.schema.by_name[n].label.lower() for n in self.accepted)
                )
            )
        lead += [texts.NOT_ACCEPTED.format(error=error) for error in errors.values()]
        if errors and pending is not None and pending.name in errors:
            return self._ask(pending, lead, kind="reask")
        return self._ask_next(lead)

    def _unsure(self, reading: Reading) -> bool:
        return (
            self.said.method == Method.SPEECH
            and self.said.confidence is not None
            and self.said.confidence < settings.CONVERSATION_SPEECH_CONFIRM_BELOW
            and bool(reading.answers)
        )

    def _heard_right(self, text: str, reading: Reading, pending: Field | None) -> Reply:
        """The reply to "I heard X, is that right?": yes keeps X (with the confidence it was
        heard with), no asks again; anything else is taken as the answer said again."""
        stashed, self.c.unconfirmed = self.c.unconfirmed, {}
        answer = parse_yes_no(text)
        if answer is None:
            return self._answer(reading, pending, text)
        self.kind = TurnKind.CONFIRMATION
        if answer is False:
            return (
                self._ask(pending, [texts.SAY_AGAIN], kind="reask")
                if pending
                else self._ask_next([texts.SAY_AGAIN])
            )
        heard_with = self.said
        self.said = TurnInput(text=text, method=heard_with.method, confidence=stashed.get("confidence"))
        errors = self._save(stashed.get("answers") or {})
        self.said = heard_with
        lead = [texts.NOT_ACCEPTED.format(error=e) for e in errors.values()]
        if errors and pending is not None and pending.name in errors:
            return self._ask(pending, lead, kind="reask")
        return self._ask_next(lead)

    def _save(self, answers: dict[str, str]) -> dict[str, str]:
        """Answers through the one-field service; the refused ones with their messages."""
        if not answers:
            return {}
        draft = self._draft()
        raw = {
            name: raw_for_field(self.schema.by_name[name], value, unit=self.words[name].unit)
            for name, value in answers.items()
        }
        try:
            results = draft_answer_many(draft, raw, self._capture())
        except DraftClosed as exc:
            return {name: str(exc) for name in answers}
        errors = {}
        for name, result in results.items():
            if result.ok:
                self.accepted.append(name)
                self.c.answered_order = [n for n in self.c.answered_order if n != name] + [name]
                self.c.skipped = [n for n in self.c.skipped if n != name]
            else:
                self.refused.append(name)
                errors[name] = result.error
        return errors

    def _correct(self, reading: Reading) -> Reply:
        spec = self.schema.by_name[reading.field]
        errors = self._save({spec.name: reading.value})
        if errors:
            return self._ask(spec, [texts.NOT_ACCEPTED.format(error=errors[spec.name])], kind="reask")
        lead = [texts.CHANGED.format(label=spec.label, value=self._shown(spec))]
        if self.c.mode == Mode.CONFIRMING:
            return self._confirm_question(lead)
        return self._ask_next(lead)

    def _confirming(self, text: str, reading: Reading) -> Reply:
        self.kind = TurnKind.CONFIRMATION
        if reading.kind == "correction":
            self.kind = TurnKind.CORRECTION
            return self._correct(reading)
        if reading.kind == "question":
            self.kind, self.redacted = TurnKind.QUESTION, redact(text)
            match = self._faq_text(text)
            return self._confirm_question([match], summary=False)
        answer = parse_yes_no(text)
        if answer is True:
            return self._submit()
        if answer is False:
            return Reply(messages=[texts.WHAT_TO_CHANGE], kind="what_to_change")
        return self._confirm_question([texts.YES_OR_NO], summary=False)

    def _submit(self) -> Reply:
        who = self.submitter(self.c)
        if isinstance(who, str):
            return Reply(messages=[who], kind="needs_account", needs_account=True)
        actor, applicant_user = who
        try:
            submission = draft_submit(draft=self._draft(), actor=actor, applicant_user=applicant_user)
        except ApplicationInvalid as exc:
            self.c.mode = Mode.ASKING
            first = next(iter(exc.errors))
            spec = self.schema.by_name.get(first)
            message = texts.NOT_ACCEPTED.format(error=exc.errors[first][0])
            return self._ask(spec, [message], kind="reask") if spec else self._ask_next([message])
        except DraftClosed as exc:
            return Reply(messages=[str(exc)], kind="closed")
        self.c.mode, self.c.application = Mode.SUBMITTED, submission.application
        self.c.pending_field = ""
        reference = str(submission.application.pk)[:8].upper()
        return Reply(
            messages=[texts.SUBMITTED.format(reference=reference)],
            kind="submitted",
            application_id=submission.application.pk,
        )

    # --- commands ---------------------------------------------------------------------------

    def _cmd_back(self) -> Reply:
        order = self._ask_order()
        pending = self._pending()
        position = order.index(pending.name) if pending else len(order)
        if self.c.mode == Mode.CONFIRMING:
            self.c.mode, position = Mode.ASKING, len(order)
        if position == 0:
            assert pending is not None  # (position 0 is the pending field's)
            return self._ask(pending, [texts.AT_START], kind="prompt")
        previous = self.schema.by_name[order[position - 1]]
        lead = [texts.GOING_BACK]
        if previous.name in self._answers():
            lead.append(texts.YOU_SAID.format(value=self._shown(previous)))
        return self._ask(previous, lead, kind="prompt")

    def _cmd_help(self) -> Reply:
        pending = self._pending()
        lead = [pending.help] if pending is not None and pending.help else []
        lead.append(texts.COMMANDS_HELP)
        if self.c.mode == Mode.CONFIRMING:
            return self._confirm_question(lead, summary=False)
        return self._ask_next(lead, kind="help")

    def _cmd_start_over(self) -> Reply:
        old = self.c.draft
        if old is not None:
            self.c.draft = None
            self.c.save(update_fields=["draft"])
            old.delete()  # the answers go with it; nothing else refers to an open draft
        self.c.answered_order, self.c.skipped, self.c.mode = [], [], Mode.ASKING
        return self._ask_next([texts.STARTING_OVER])

    def _cmd_summary(self) -> Reply:
        if self.c.mode == Mode.CONFIRMING:
            return self._confirm_question([])
        lines = self._summary_lines()
        lead = [texts.SUMMARY_INTRO, *lines] if lines else [texts.NOTHING_YET]
        return self._ask_next(lead, kind="summary")

    def _cmd_agent(self) -> Reply:
        self.c.handoff_requested_at = timezone.now()
        from channels_ingest.conversation.handoff import request_handoff

        request_handoff(self.c)
        return Reply(
            messages=[texts.HANDOFF[self.c.transport]],
            kind="handoff",
            handoff=True,
            field=self.c.pending_field,
        )

    def _cmd_stop(self) -> Reply:
        self.c.mode = Mode.STOPPED
        return Reply(messages=[texts.STOPPED.format(days=settings.DRAFT_TTL_DAYS)], kind="stopped")

    # --- questions ----------------------------------------------------------------------------

    def _faq_text(self, text: str) -> str:
        from channels_ingest.conversation.faq import faq_match

        match = faq_match(text)
        return match.answer if match else texts.DONT_KNOW

    def _faq(self, text: str) -> Reply:
        return self._ask_next([self._faq_text(text)], kind="faq")

    def _faq_or_status(self, text: str) -> Reply:
        from channels_ingest.conversation.faq import faq_match

        match = faq_match(text) if text else None
        if match:
            self.redacted = redact(text)
            return Reply(messages=[match.answer], kind="faq")
        return self._after_submission()

    def _after_submission(self) -> Reply:
        from channels_ingest.webform.presenters import application_progress
        from scoring.selectors import current_decision

        application = self.c.application
        if application is None:
            return Reply(messages=[texts.SUBMITTED_GONE], kind="status")
        progress = application_progress(application, current_decision(application))
        parts = [progress.text]
        if progress.outcome:
            parts.append(progress.outcome)
        if progress.reasons:
            parts.append(texts.REASONS.format(reasons="; ".join(progress.reasons)))
        return Reply(messages=parts, kind="status", application_id=application.pk)

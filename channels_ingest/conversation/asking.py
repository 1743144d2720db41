"""Asking: which question comes next, how it is put, the summary read back, and the draft
the answers go to. A part of the engine's turn (engine._Turn), kept apart for size."""

from __future__ import annotations

import datetime as dt
from typing import Any

from applicants.drafts import draft_start
from applicants.models import DraftOwnerKind
from applicants.provenance import Capture
from applicants.schema import ApplicationSchema, Field
from channels_ingest.conversation import texts
from channels_ingest.conversation.models import Conversation, Mode
from channels_ingest.conversation.replies import Reply, TurnInput


class Asking:
    c: Conversation
    schema: ApplicationSchema
    said: TurnInput

    # --- asking -------------------------------------------------------------------------------

    def _ask_order(self) -> list[str]:
        return [f.name for section in self.schema.sections for f in section.fields]

    def _pending(self) -> Field | None:
        if self.c.pending_field in self.schema.by_name:
            return self.schema.by_name[self.c.pending_field]
        return self._next_unanswered()

    def _next_unanswered(self) -> Field | None:
        known = set(self._answers()) | set(self.c.skipped)
        return next((self.schema.by_name[n] for n in self._ask_order() if n not in known), None)

    def _ask_next(self, lead: list[str], *, kind: str = "prompt", reask: bool = False) -> Reply:
        nxt = self._next_unanswered() if not reask else self._pending()
        if nxt is None:
            return self._confirm_question(lead)
        return self._ask(nxt, lead, kind=kind)

    def _ask(self, spec: Field, lead: list[str], *, kind: str) -> Reply:
        self.c.mode = Mode.ASKING
        self.c.pending_field = spec.name
        label = spec.label[:1].lower() + spec.label[1:]
        # A schema without prompts repeats the label there: ask in a sentence instead.
        prompt = (
            spec.prompt
            if spec.prompt and spec.prompt != spec.label
            else texts.DEFAULT_PROMPT.format(label=label)
        )
        if not spec.required and "skip" not in prompt.lower():
            prompt += " " + texts.MAY_SKIP
        return Reply(messages=[*lead, prompt], kind=kind, field=spec.name)

    def _confirm_question(self, lead: list[str], *, summary: bool = True) -> Reply:
        self.c.mode, self.c.pending_field = Mode.CONFIRMING, ""
        body = [texts.SUMMARY_INTRO, *self._summary_lines()] if summary else []
        return Reply(messages=[*lead, *body, texts.CONFIRM], kind="confirm")

    def _summary_lines(self) -> list[str]:
        answers = self._answers()
        return [
            f"{self.schema.by_name[n].label}: {self._shown(self.schema.by_name[n])}."
            for n in self._ask_order()
            if n in answers
        ]

    def _shown(self, spec: Field) -> str:
        value = self._answers().get(spec.name)
        if value is None:
            return "-"
        if spec.type == "boolean":
            return "yes" if value else "no"
        if spec.type == "choice":
            return next((c.label for c in spec.choices if c.value == value), str(value))
        if spec.type == "date":
            try:
                return dt.date.fromisoformat(str(value)).strftime("%-d %B %Y")
            except ValueError:
                return str(value)
        if spec.type in ("number", "integer") and isinstance(value, int | float):
            return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return str(value)

    # --- the draft ----------------------------------------------------------------------------

    def _answers(self) -> dict[str, Any]:
        return dict(self.c.draft.answers or {}) if self.c.draft is not None else {}

    def _draft(self) -> Any:
        if not self.c.draft_id:
            self.c.draft = draft_start(
                channel=self.c.channel, owner_kind=DraftOwnerKind.CONVERSATION, owner_ref=self.c.owner_ref
            )
            self.c.save(update_fields=["draft"])
        return self.c.draft

    def _capture(self) -> Capture:
        return Capture(
            channel=self.c.channel,
            method=self.said.method,
            by=self.c.owner_ref,
            confidence=self.said.confidence,
        )

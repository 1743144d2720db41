"""What a turn takes in and gives back, shared by the engine and the transports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from applicants.provenance import Method


@dataclass
class Reply:
    messages: list[str]
    kind: str = ""  # prompt, reask, faq, summary, submitted, handoff, stopped, ...
    field: str = ""  # the question now pending
    application_id: Any = None
    handoff: bool = False
    needs_account: bool = False
    duplicate: bool = False  # a retried delivery: processed before, nothing done now

    @property
    def text(self) -> str:
        return " ".join(self.messages)


@dataclass
class TurnInput:
    text: str
    method: str = Method.TYPED
    confidence: float | None = None
    message_sid: str = ""  # the provider's id, for retried deliveries

"""What every sink is: it delivers a batch of outbox messages and says what happened to each.

Sinks are plug-ins named in settings.SINKS (a registry dict, like healthchecks'
integrations): "dynamodb" (the operational store) and "warehouse" (Redshift / PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from outbox.models import OutboxMessage


class SinkUnavailable(Exception):
    """The sink cannot be reached or refused the whole batch for a reason that may pass
    (connection refused, time-out, throttling): every message backs off and is tried again."""


@dataclass
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    # Message ids the sink refused for good (bad data): they become dead letters at once.
    rejected: dict[int, str] = field(default_factory=dict)
    # Message ids that failed for a reason that may pass: they back off.
    retry: dict[int, str] = field(default_factory=dict)


class Sink(Protocol):
    name: str

    def deliver(self, messages: list[OutboxMessage]) -> DeliveryReport:
        """Send the messages; raise SinkUnavailable when nothing could be sent."""

    def check(self) -> dict[str, Any]:
        """Readiness: {"ok": bool, ...details}, quickly (a short timeout)."""

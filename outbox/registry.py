"""Who consumes what: the outbox owns the topics and the wake-ups, the consumers register.

Each consuming app registers in its `AppConfig.ready()`:

- a **consumer** of a topic (`register_consumer`): how to wake it once work of that topic is
  committed (the scorer for "scoring", a sink's drain for "sink:<name>"). A topic ending in
  ":" is a prefix: one consumer for every topic that starts with it.
- a **handler** of an event (`register_handler`): called inside the transaction that emits
  the event (`outbox_emit`), so what it writes lands together with the change, or not at
  all (the review queue adds an item for each decision routed to review).

The outbox dispatches by name and imports no consumer, so a producer (applicants, scoring,
auditing) never imports the app that does the work. Re-drives wake consumers through the
same registry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

# wake(topic, force=...) -> whether a wake-up was published
Wake = Callable[..., bool]

_consumers: dict[str, Wake] = {}
_handlers: dict[str, list[Callable[..., Any]]] = {}


# Events producers emit inside their transaction (the names live here, with the topics).
# Decisions were stored for `application_ids` (scoring, rescoring); the review queue adds or
# refreshes the items of those routed to review.
DECISIONS_STORED = "decisions.stored"
# An erasure owes the sinks messages (privacy); its follow-up watches them arrive once the
# erasure commits.
ERASURE_OWED = "erasure.owed"


class NoConsumer(LookupError):
    """A topic nobody registered for: a programming error, said at once."""


def register_consumer(topic: str, wake: Wake) -> None:
    """`wake(topic, force=False)` publishes a wake-up of the consumer (never raising)."""
    _consumers[topic] = wake


def register_handler(event: str, handler: Callable[..., Any]) -> None:
    """`handler(**payload)` runs in the emitting transaction. Registering the same function
    again (a second `ready()` in tests) is harmless."""
    handlers = _handlers.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


def consumer_for(topic: str) -> Wake:
    if topic in _consumers:
        return _consumers[topic]
    for prefix, wake in _consumers.items():
        if prefix.endswith(":") and topic.startswith(prefix):
            return wake
    raise NoConsumer(f"no consumer registered for outbox topic {topic!r}")


def outbox_wake(topic: str, *, force: bool = False) -> bool:
    """Wake the consumer of `topic` now (a re-drive passes force=True)."""
    return consumer_for(topic)(topic, force=force)


def outbox_wake_on_commit(topics: Iterable[str]) -> None:
    """Wake the consumers of `topics` once the current transaction commits (at once when
    there is none). A broker that is down loses nothing: the rows wait for the re-drive."""
    topics = list(dict.fromkeys(topics))
    for topic in topics:
        consumer_for(topic)  # fail now, inside the transaction, on an unknown topic
    transaction.on_commit(lambda: [outbox_wake(t) for t in topics])


def outbox_emit(event: str, **payload: Any) -> int:
    """Call every handler of `event` in the current transaction; returns how many ran."""
    handlers = _handlers.get(event, [])
    for handler in handlers:
        handler(**payload)
    return len(handlers)


def registered_topics() -> list[str]:
    return sorted(_consumers)

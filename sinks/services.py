"""Draining the outbox into the sinks, and re-driving what is stuck.

A drain takes its sink's topic (one drain per sink at a time), claims a batch of due
messages with every other pending message about the same applications, hands them to the
sink, and records the outcome in the same transaction: delivered, backing off, or dead.
A drain that dies mid-way rolls back; its messages are simply pending again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from outbox.models import OutboxMessage
from outbox.selectors import outbox_has_due
from outbox.services import (
    outbox_claim,
    outbox_delivered,
    outbox_failed,
    outbox_lock_topic,
    sink_topic,
)
from sinks.base import Sink, SinkUnavailable
from sinks.registry import get_sink

logger = logging.getLogger(__name__)
# A drain waits this long for another one's batch to finish before leaving it the sink.
DRAIN_LOCK_WAIT_SECONDS = 30.0


@dataclass
class DrainResult:
    sink: str
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    batches: int = 0
    busy: bool = False  # another drain held the sink
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "sink": self.sink,
            "delivered": self.delivered,
            "retrying": self.retrying,
            "dead": self.dead,
            "batches": self.batches,
            "busy": self.busy,
            "errors": self.errors[-3:],
        }


def sink_drain(
    *,
    sink_name: str,
    sink: Sink | None = None,
    batch_size: int | None = None,
    time_budget: float | None = None,
) -> DrainResult:
    """Deliver due messages of one sink, batch after batch while batches come back full (a
    backlog), until the sink fails or `time_budget` seconds (OUTBOX_DRAIN_SECONDS) are spent.

    A batch that is not full means the drain caught up: it returns, and what commits later
    wakes a new drain, queued behind the scoring work, so neither starves the other on a
    worker with one process."""
    sink = sink or get_sink(sink_name)
    topic = sink_topic(sink_name)
    batch_size = batch_size or settings.OUTBOX_DRAIN_BATCH
    deadline = time.monotonic() + (time_budget or settings.OUTBOX_DRAIN_SECONDS)
    result = DrainResult(sink=sink_name)
    while time.monotonic() < deadline:
        with transaction.atomic():
            if not outbox_lock_topic(topic, wait_seconds=DRAIN_LOCK_WAIT_SECONDS):
                result.busy = True
                break
            messages = outbox_claim(topic=topic, limit=batch_size)
            if not messages:
                break
            result.batches += 1
            if not _deliver(sink, messages, result):
                break  # the sink is unavailable: everything backs off, stop for now
        if len(messages) < batch_size:
            break
    if result.delivered or result.dead or result.errors:
        logger.info("drain %s: %s", sink_name, result.as_dict())
    return result


def _deliver(sink: Sink, messages: list[OutboxMessage], result: DrainResult) -> bool:
    try:
        report = sink.deliver(messages)
    except SinkUnavailable as exc:
        result.errors.append(str(exc))
        result.dead += outbox_failed(messages=messages, error=str(exc))
        result.retrying += len(messages)
        return False
    except Exception as exc:  # a bug or an unforeseen error: back off rather than spin
        logger.exception("sink %s failed on a batch of %d", sink.name, len(messages))
        error = f"{type(exc).__name__}: {exc}"
        result.errors.append(error)
        result.dead += outbox_failed(messages=messages, error=error)
        result.retrying += len(messages)
        return False
    by_id = {m.id: m for m in messages}
    result.delivered += outbox_delivered(ids=report.delivered)
    for message_id, error in report.rejected.items():
        result.dead += outbox_failed(messages=[by_id[message_id]], error=error, permanent=True)
        result.errors.append(error)
    retry = [by_id[i] for i in report.retry]
    if retry:
        error = next(iter(report.retry.values()))
        result.errors.append(error)
        result.dead += outbox_failed(messages=retry, error=error)
        result.retrying += len(retry)
    return True


def sinks_with_due_messages() -> list[str]:
    return [name for name in settings.SINKS if outbox_has_due(topic=sink_topic(name))]

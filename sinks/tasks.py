"""Celery tasks of the sinks: thin; the outbox rows are the state, the services do the work."""

from __future__ import annotations

import logging

from celery import shared_task

from sinks.services import outbox_purge, sink_drain, sinks_with_due_messages

logger = logging.getLogger(__name__)


def publish_drain(sink: str) -> None:
    """Ask for a drain. If the broker is down the messages stay pending and the periodic
    re-drive asks again, so this never fails its caller."""
    try:
        drain_sink.delay(sink)
    except Exception:
        logger.warning("broker unavailable; the %s drain will be re-driven", sink, exc_info=True)


@shared_task(ignore_result=True)
def drain_sink(sink: str, again_if_busy: bool = True) -> dict:
    """Deliver what is due for one sink. Running twice at once is harmless: the second
    finds the sink taken and returns, asking once more a second later, since what made
    it ask may have been committed after the running drain's last look."""
    result = sink_drain(sink_name=sink)
    if result.busy and again_if_busy:
        try:
            drain_sink.apply_async(args=[sink, False], countdown=1)
        except Exception:
            logger.warning("broker unavailable; the %s drain will be re-driven", sink)
    return result.as_dict()


@shared_task(ignore_result=True)
def redrive_sinks() -> list[str]:
    """Periodic: ask for a drain of every sink with due messages (lost asks, backoffs
    that expired, a sink that came back), and purge old delivered messages."""
    sinks = sinks_with_due_messages()
    for sink in sinks:
        publish_drain(sink)
    purged = outbox_purge()
    if purged:
        logger.info("purged %d delivered outbox messages", purged)
    return sinks

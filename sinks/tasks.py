"""Celery tasks of the sinks: thin; the outbox rows are the state, the services do the work."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.conf import settings

from outbox.services import SINK_PREFIX
from outbox.wakeups import wake_up_publish, wake_up_started
from sinks.services import sink_drain, sinks_with_due_messages

logger = logging.getLogger(__name__)


def publish_drain(sink: str, *, force: bool = False) -> bool:
    """Ask for a drain, unless one is already asked for and not yet started (`force`: ask
    anyway, as the periodic re-drive does in case a queued ask was lost with the broker).

    If the broker is down the messages stay pending and the periodic re-drive asks again,
    so this never fails its caller."""
    return wake_up_publish(
        consumer=drain_consumer(sink),
        publish=lambda: drain_sink.delay(sink),
        every_seconds=settings.OUTBOX_DRAIN_ASK_EVERY_SECONDS,
        force=force,
    )


def drain_consumer(sink: str) -> str:
    return f"drain:{sink}"


@shared_task(ignore_result=True)
def drain_sink(sink: str) -> dict:
    """Deliver what is due for one sink. Several at once are harmless: they take the sink
    in turns, batch by batch."""
    time.sleep(settings.OUTBOX_DRAIN_GATHER_SECONDS)  # the commits meanwhile ask no new drain
    wake_up_started(consumer=drain_consumer(sink))
    return sink_drain(sink_name=sink).as_dict()


@shared_task(ignore_result=True)
def redrive_sinks() -> list[str]:
    """Periodic: ask for a drain of every sink with due messages (lost asks, backoffs
    that expired, a sink that came back). The outbox purges delivered messages itself
    (outbox.tasks.purge_delivered)."""
    sinks = sinks_with_due_messages()
    for sink in sinks:
        publish_drain(sink, force=True)
    return sinks


def wake_drain(topic: str, *, force: bool = False) -> bool:
    """The sinks' consumer of "sink:<name>" topics, registered in SinksConfig.ready()."""
    return publish_drain(topic.removeprefix(SINK_PREFIX), force=force)

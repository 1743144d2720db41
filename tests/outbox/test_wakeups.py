"""Coalesced wake-ups (outbox/wakeups.py) on the real PostgreSQL and a Redis of the tests' own:
an ask that finds a wake-up waiting only reads, so concurrent commits never queue on their
consumer's row, and still every committed piece of work is seen by a consumer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import redis
from django.db import connection, transaction

from applicants.models import Application, Channel, Status
from applicants.services import application_submit
from outbox.models import WakeUp
from outbox.wakeups import wake_up_started
from scoring.tasks import SCORER_WAKE_UP, publish_scoring, score_waiting
from tests.plugins.sinks import use_broker


@pytest.fixture
def broker(private_redis: Any, settings: Any) -> Iterator[redis.Redis]:
    settings.SCORING_ASK_EVERY_SECONDS = 60  # a queued wake-up counts as waiting all test long
    private_redis.flush()
    with use_broker(private_redis.url):
        yield redis.Redis.from_url(private_redis.url)


def queued(broker: redis.Redis) -> list[str]:
    return [json.loads(m)["headers"]["task"] for m in broker.lrange("scoring", 0, -1)]


@pytest.fixture
def other_session() -> Iterator[psycopg.Connection]:
    """A second session on the test database, as another worker's would be."""
    params = connection.get_connection_params()
    with psycopg.connect(**params) as session:
        yield session


def submit(user: Any, answers: dict[str, Any], n: int) -> Application:
    return application_submit(
        answers={**answers, "national_id": f"WK{n:06d}X"},
        channel=Channel.API,
        actor=user,
        idempotency_key=f"wake-{n}",
    ).application


@pytest.mark.django_db(transaction=True)
def test_an_ask_while_a_wake_up_waits_only_reads(broker):
    assert publish_scoring()
    with transaction.atomic():
        assert not publish_scoring()
        with connection.cursor() as cursor:
            # No transaction id: the ask locked no row and wrote nothing (so no WAL flush).
            cursor.execute("SELECT pg_current_xact_id_if_assigned()")
            assert cursor.fetchone() == (None,)
    assert queued(broker) == ["scoring.tasks.score_waiting"]


@pytest.mark.django_db
def test_a_started_consumer_is_woken_again_and_a_stale_or_forced_ask_publishes(broker, settings):
    assert publish_scoring()
    assert not publish_scoring()
    wake_up_started(consumer=SCORER_WAKE_UP)  # what commits after this must ask again
    assert publish_scoring()
    broker.delete("scoring")  # the broker restarted empty: both messages are lost
    assert not publish_scoring()  # the ask still looks fresh...
    settings.SCORING_ASK_EVERY_SECONDS = 0  # ...until it is stale
    assert publish_scoring()
    settings.SCORING_ASK_EVERY_SECONDS = 60
    assert publish_scoring(force=True)  # the re-drive, in case the queued one was lost
    assert len(queued(broker)) == 2


@pytest.mark.django_db(transaction=True)
def test_of_many_concurrent_asks_on_an_idle_consumer_exactly_one_publishes(broker):
    wake_up_started(consumer=SCORER_WAKE_UP)
    start = threading.Barrier(8)
    published: list[bool] = []

    def ask() -> None:
        try:
            start.wait()
            published.append(publish_scoring())
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(published) == [False] * 7 + [True]
    assert queued(broker) == ["scoring.tasks.score_waiting"]


@pytest.mark.django_db(transaction=True)
def test_a_submission_does_not_wait_for_a_consumer_starting_and_that_consumer_scores_it(
    broker, other_session, alice, answers, active_model
):
    first = submit(alice, answers, 1)  # asks: the scorer's wake-up is queued
    assert queued(broker) == ["scoring.tasks.score_waiting"]
    # The scorer starts: it clears the ask, and its transaction is still open (row locked).
    cleared = other_session.execute(
        "UPDATE outbox_wakeup SET asked_at = NULL WHERE consumer = %s", [SCORER_WAKE_UP]
    )
    assert cleared.rowcount == 1 and WakeUp._meta.db_table == "outbox_wakeup"
    with connection.cursor() as cursor:
        # Were the ask to wait for the row, the submission would fail here, not hang.
        cursor.execute("SET lock_timeout = '5s'")
        try:
            second = submit(alice, answers, 2)
        finally:
            cursor.execute("RESET lock_timeout")
    # It saw the ask still waiting (the clear was not committed), so it published nothing...
    assert queued(broker) == ["scoring.tasks.score_waiting"]
    other_session.commit()
    # ...and the scorer, which claims only after its clear committed, finds both.
    assert score_waiting.run() == 2
    assert not Application.objects.filter(pk__in=[first.pk, second.pk], status=Status.RECEIVED).exists()

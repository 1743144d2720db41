"""The lease heartbeat: renews while the work runs, never after, on a thread that the next
heartbeat of the process uses again (the scorer enters one per batch)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection

from outbox.jobs import Heartbeat

# With SQLite a heartbeat starts nothing (a second thread cannot write to it).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="no heartbeat thread on SQLite"),
]


def heartbeat_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "lease-heartbeat")


def test_it_renews_while_the_work_runs_and_never_after():
    beats: list[float] = []

    def beat() -> bool:
        beats.append(time.monotonic())
        return True

    with Heartbeat(beat, every=0.02) as heartbeat:
        deadline = time.monotonic() + 5
        while len(beats) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    after = len(beats)
    time.sleep(0.1)
    assert after >= 3 and len(beats) == after and not heartbeat.lost.is_set()


def test_its_thread_serves_the_next_heartbeat():
    with Heartbeat(lambda: True, every=60):
        pass
    started = heartbeat_threads()
    for _ in range(20):
        with Heartbeat(lambda: True, every=60):
            pass
    assert heartbeat_threads() == started


def counting(calls: list[int]) -> Callable[[], bool]:
    def renew() -> bool:
        calls.append(1)
        return True

    return renew


def test_two_at_once_each_renew():
    first: list[int] = []
    second: list[int] = []
    with (
        Heartbeat(counting(first), every=0.02),
        Heartbeat(counting(second), every=0.02),
    ):
        deadline = time.monotonic() + 5
        while (len(first) < 2 or len(second) < 2) and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(first) >= 2 and len(second) >= 2


def test_a_lost_claim_is_told_and_a_failed_beat_tried_again():
    with Heartbeat(lambda: False, every=0.01) as heartbeat:
        assert heartbeat.lost.wait(5)

    calls: list[int] = []

    def flaky() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database is away")
        return True

    with Heartbeat(flaky, every=0.01) as heartbeat:
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(calls) >= 3 and not heartbeat.lost.is_set()

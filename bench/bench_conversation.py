"""The dialog engine's turns per second and server time per turn (one turn = parse + validate
+ save + reply), through the web chat's JSON endpoint and a signed Twilio SMS webhook, next to
a trivial view of the same run (target on 2 cores: p50 <= 15 ms per turn).

Each request goes through Django's whole stack in this process (middleware, session, login,
queries, templates) against its own PostgreSQL database, dropped again at the end; the time
is the server's, without a network or a load generator in the way.

Run from the repo root: .venv/bin/python bench/bench_conversation.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from _common import Answer, BenchDatabase, Report, log, percentile, pick, timed_calls

DATABASE = BenchDatabase("conversation")

REQUESTS = int(pick(400, 80))
WARMUP = 20


def timed(call: Callable[[int], Answer], check: Callable[[Answer], bool]) -> list[float]:
    return timed_calls(call, check, requests=REQUESTS, warmup=WARMUP)


def main() -> int:
    DATABASE.create()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from twilio.request_validator import RequestValidator

    report = Report()
    try:
        call_command("migrate", verbosity=0)
        from django.test import Client

        chat = Client()
        chat.get("/chat/")
        chat.post("/chat/turn/", '{"text": "Jane Example"}', content_type="application/json")
        log(f"{REQUESTS} turns each, after {WARMUP} to warm up")

        report.section("server time per turn (Django test client, in process)", "conversation")
        trivial = timed(lambda i: chat.get("/healthz"), lambda r: r.status_code == 200)
        report.record("GET /healthz (trivial view): p50", percentile(trivial, 50), "ms")
        report.record("GET /healthz (trivial view): p99", percentile(trivial, 99), "ms")

        # Alternate two values so every turn is a real change: a new version is written.
        started = time.perf_counter()
        turns = timed(
            lambda i: chat.post(
                "/chat/turn/",
                f'{{"text": "change my income to {54000 + i % 2:,}"}}',
                content_type="application/json",
            ),
            lambda r: r.status_code == 200 and b"is now" in r.content,
        )
        elapsed = time.perf_counter() - started
        report.record(
            "chat turn (correction: parse, validate, save, reply): p50",
            percentile(turns, 50),
            "ms",
            "target <= 15 ms",
        )
        report.record("chat turn: p99", percentile(turns, 99), "ms")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            chat.post(
                "/chat/turn/", '{"text": "change my income to 54,321"}', content_type="application/json"
            )
        report.record("chat turn: SQL statements (with BEGIN/COMMIT/SAVEPOINT)", len(queries), "")
        report.record("chat turns per second (one client)", (WARMUP + REQUESTS) / elapsed, "/s")

        faq = timed(
            lambda i: chat.post(
                "/chat/turn/", '{"text": "what interest rate?"}', content_type="application/json"
            ),
            lambda r: r.status_code == 200 and b"rate depends" in r.content,
        )
        report.record("chat turn (FAQ question): p50", percentile(faq, 50), "ms")

        sms = Client()
        url = "http://testserver/hooks/twilio/sms/"
        validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)

        def text(i: int) -> Any:
            params = {
                "MessageSid": f"SM{i:032x}",
                "From": "+447700900123",
                "To": "+447700900000",
                "Body": f"I earn {45000 + i % 2} and want 10k over 3 years",
                "AccountSid": "AC" + "0" * 32,
                "NumMedia": "0",
            }
            return sms.post(
                "/hooks/twilio/sms/", params, HTTP_X_TWILIO_SIGNATURE=validator.compute_signature(url, params)
            )

        text(10**6)  # the first message greets
        sms_turns = timed(text, lambda r: r.status_code == 200 and b"<Message>" in r.content)
        report.record(
            "SMS webhook turn (signed, 3 answers in one text): p50", percentile(sms_turns, 50), "ms"
        )
        report.record("SMS webhook turn: p99", percentile(sms_turns, 99), "ms")
    finally:
        DATABASE.drop()
    report.print_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())

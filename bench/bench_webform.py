"""The web form's server time: a form step page and one-field validation (the htmx call to
draft_answer), next to a trivial view of the same run (targets on 2 cores: step page p50
<= 30 ms, one-field validation p50 <= 10 ms).

Each request goes through Django's whole stack in this process (middleware, session, login,
queries, templates) against its own PostgreSQL database, dropped again at the end; the time
is the server's, without a network or a load generator in the way.

Run from the repo root: .venv/bin/python bench/bench_webform.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable

import psycopg
from _common import Report, log, percentile, pick

PG = "postgres://postgres@127.0.0.1:5432"
DATABASE = f"riskscore_bench_webform_{os.getpid()}"
os.environ["DATABASE_URL"] = f"{PG}/{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["LOG_LEVEL"] = "WARNING"

REQUESTS = int(pick(400, 80))
WARMUP = 20


def create_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


CPU: dict[str, list[float]] = {}


def timed(call: Callable[[int], object], check: Callable[[object], bool], name: str = "") -> list[float]:
    """Milliseconds per call, after a warm-up; every answer is checked (a fast error page
    must not pass for a fast page). The CPU this process spent per call is kept too: on a
    busy machine wall time grows with the queue for the cores, CPU time much less."""
    samples, cpu = [], []
    for i in range(WARMUP + REQUESTS):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = call(i)
        took = (time.perf_counter() - started) * 1000
        took_cpu = (time.process_time() - started_cpu) * 1000
        if not check(response):
            raise SystemExit(f"unexpected answer: {getattr(response, 'status_code', response)}")
        if i >= WARMUP:
            samples.append(took)
            cpu.append(took_cpu)
    CPU[name] = cpu
    return samples


def main() -> int:
    create_database()
    import django

    django.setup()
    from django.core.management import call_command

    report = Report()
    try:
        call_command("migrate", verbosity=0)
        from django.test import Client

        from accounts.roles import Role
        from accounts.services import user_create_with_roles
        from applicants.drafts import draft_start
        from applicants.models import Channel

        user = user_create_with_roles(username="bench-applicant", password=uuid.uuid4().hex,
                                      roles=[Role.APPLICANT])
        draft = draft_start(channel=Channel.WEB, owner_user=user, first_section="finances")
        client = Client()
        client.force_login(user)
        step_url = f"/apply/drafts/{draft.pk}/finances/"
        field_url = f"/apply/drafts/{draft.pk}/answers/annual_income/"
        log(f"{REQUESTS} requests each, after {WARMUP} to warm up")

        report.section("server time per request (Django test client, in process)", "webform")
        trivial = timed(lambda i: client.get("/healthz"), lambda r: r.status_code == 200, "trivial")
        report.record("GET /healthz (trivial view): p50", percentile(trivial, 50), "ms")
        report.record("GET /healthz (trivial view): p99", percentile(trivial, 99), "ms")

        step = timed(lambda i: client.get(step_url),
                     lambda r: r.status_code == 200 and b"Income and outgoings" in r.content, "step")
        report.record("GET form step page: p50", percentile(step, 50), "ms", "target <= 30 ms")
        report.record("GET form step page: p99", percentile(step, 99), "ms")

        # Alternate two values so every call is a real change: a new version is written.
        check = timed(
            lambda i: client.post(field_url, {"annual_income": f"£{54000 + i % 2:,}"},
                                  HTTP_HX_REQUEST="true"),
            lambda r: r.status_code == 200 and b"has-error" not in r.content, "field")
        report.record("POST one-field validation (saves): p50", percentile(check, 50), "ms",
                      "target <= 10 ms")
        report.record("POST one-field validation (saves): p99", percentile(check, 99), "ms")

        refused = timed(
            lambda i: client.post(field_url, {"annual_income": "lots"}, HTTP_HX_REQUEST="true"),
            lambda r: r.status_code == 200 and b"must be a number" in r.content)
        report.record("POST one-field validation (refused): p50", percentile(refused, 50), "ms")
        report.record("POST one-field validation (refused): p99", percentile(refused, 99), "ms")

        submit = timed(
            lambda i: client.post(step_url, {"annual_income": "54000", "monthly_housing_cost": "1100",
                                             "monthly_debt_payments": "350", "action": "next"}),
            lambda r: r.status_code == 302)
        report.record("POST whole step (3 answers, then redirect): p50", percentile(submit, 50), "ms")
        report.record("POST whole step (3 answers, then redirect): p99", percentile(submit, 99), "ms")
        report.section("CPU of this process per request (Django, templates, crypto; not PostgreSQL)",
                       "webform cpu")
        for name, label in (("trivial", "GET /healthz"), ("step", "GET form step page"),
                            ("field", "POST one-field validation (saves)")):
            report.record(f"{label}: p50", percentile(CPU[name], 50), "ms")
    finally:
        drop_database()
    report.print_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())

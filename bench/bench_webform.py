"""The web form's server time: a form step page and one-field validation (the htmx call to
draft_answer), next to a trivial view of the same run (targets on 2 cores: step page p50
<= 30 ms, one-field validation p50 <= 10 ms).

Each request goes through Django's whole stack in this process (middleware, session, login,
queries, templates) against its own PostgreSQL database, dropped again at the end; the time
is the server's, without a network or a load generator in the way.

Every accepted change of an answer is a new version in the draft's provenance, so calls
against one draft measure a draft that grows without end. The one-field figures therefore
use a fresh draft every CALLS_PER_DRAFT calls (the drafts are made before timing starts),
each call changing the answer the way a person corrects what they typed: a draft never holds
more versions than one applicant's few corrections.

Run from the repo root: .venv/bin/python bench/bench_webform.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable

from _common import Answer, BenchDatabase, Report, log, percentile, pick, timed_calls, warn_if_busy

DATABASE = BenchDatabase("webform")

REQUESTS = int(pick(400, 80))
WARMUP = 20
# Answers given (and corrected) on one draft before the next applicant's fresh draft.
CALLS_PER_DRAFT = 8


CPU: dict[str, list[float]] = {}


def timed(call: Callable[[int], Answer], check: Callable[[Answer], bool], name: str = "") -> list[float]:
    CPU[name] = cpu = list[float]()
    return timed_calls(call, check, requests=REQUESTS, warmup=WARMUP, cpu=cpu)


def main() -> int:
    DATABASE.create()
    import django

    django.setup()
    from django.core.management import call_command

    report = Report()
    try:
        call_command("migrate", verbosity=0)
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from accounts.roles import Role
        from accounts.services import user_create_with_roles
        from applicants.drafts import draft_start
        from applicants.models import Channel

        user = user_create_with_roles(
            username="bench-applicant", password=uuid.uuid4().hex, roles=[Role.APPLICANT]
        )
        draft = draft_start(channel=Channel.WEB, owner_user=user, first_section="finances")
        client = Client()
        client.force_login(user)
        step_url = f"/apply/drafts/{draft.pk}/steps/finances/"
        # Made before timing: one fresh draft for every CALLS_PER_DRAFT one-field calls.
        fresh = [
            draft_start(channel=Channel.WEB, owner_user=user, first_section="finances").pk
            for _ in range((WARMUP + REQUESTS) // CALLS_PER_DRAFT + 1)
        ]

        def field_url(i: int) -> str:
            return f"/apply/drafts/{fresh[i // CALLS_PER_DRAFT]}/answers/annual_income/"

        log(f"{REQUESTS} requests each, after {WARMUP} to warm up")
        warn_if_busy()

        report.section("server time per request (Django test client, in process)", "webform")
        trivial = timed(lambda i: client.get("/healthz"), lambda r: r.status_code == 200, "trivial")
        report.record("GET /healthz (trivial view): p50", percentile(trivial, 50), "ms")
        report.record("GET /healthz (trivial view): p99", percentile(trivial, 99), "ms")

        step = timed(
            lambda i: client.get(step_url),
            lambda r: r.status_code == 200 and b"Income and outgoings" in r.content,
            "step",
        )
        report.record("GET form step page: p50", percentile(step, 50), "ms", "target <= 30 ms")
        report.record("GET form step page: p99", percentile(step, 99), "ms")

        # Every call is a real change (a new version is written), as when a person corrects
        # an answer; a fresh draft every CALLS_PER_DRAFT calls keeps the history a person's.
        check = timed(
            lambda i: client.post(
                field_url(i), {"annual_income": f"£{54000 + i % CALLS_PER_DRAFT:,}"}, HTTP_HX_REQUEST="true"
            ),
            lambda r: r.status_code == 200 and b"has-error" not in r.content,
            "field",
        )
        report.record(
            "POST one-field validation (saves): p50", percentile(check, 50), "ms", "target <= 10 ms"
        )
        report.record("POST one-field validation (saves): p99", percentile(check, 99), "ms")

        refused = timed(
            lambda i: client.post(field_url(i), {"annual_income": "lots"}, HTTP_HX_REQUEST="true"),
            lambda r: r.status_code == 200 and b"must be a number" in r.content,
            "refused",
        )
        report.record("POST one-field validation (refused): p50", percentile(refused, 50), "ms")
        report.record("POST one-field validation (refused): p99", percentile(refused, 99), "ms")

        submit = timed(
            lambda i: client.post(
                step_url,
                {
                    "annual_income": "54000",
                    "monthly_housing_cost": "1100",
                    "monthly_debt_payments": "350",
                    "action": "next",
                },
            ),
            lambda r: r.status_code == 302,
        )
        report.record("POST whole step (3 answers, then redirect): p50", percentile(submit, 50), "ms")
        report.record("POST whole step (3 answers, then redirect): p99", percentile(submit, 99), "ms")
        report.section(
            "CPU of this process per request (Django, templates, crypto; not PostgreSQL)", "webform cpu"
        )
        for name, label in (
            ("trivial", "GET /healthz"),
            ("step", "GET form step page"),
            ("field", "POST one-field validation (saves)"),
            ("refused", "POST one-field validation (refused)"),
        ):
            report.record(f"{label}: p50", percentile(CPU[name], 50), "ms")

        # On a loaded machine every statement waits for the database's turn on a core: how
        # many a request sends says more than its time there.
        report.section("SQL statements per request (BEGIN and COMMIT included)", "webform sql")
        last = fresh[-1]
        for label, call in (
            ("GET /healthz", lambda: client.get("/healthz")),
            ("GET form step page", lambda: client.get(step_url)),
            (
                "POST one-field validation (saves)",
                lambda: client.post(
                    f"/apply/drafts/{last}/answers/annual_income/",
                    {"annual_income": f"{uuid.uuid4().int % 90000 + 1000}"},
                    HTTP_HX_REQUEST="true",
                ),
            ),
            (
                "POST one-field validation (refused)",
                lambda: client.post(
                    f"/apply/drafts/{last}/answers/annual_income/",
                    {"annual_income": "lots"},
                    HTTP_HX_REQUEST="true",
                ),
            ),
        ):
            with CaptureQueriesContext(connection) as statements:
                call()
            report.record(label, len(statements.captured_queries), "statements")
    finally:
        DATABASE.drop()
    report.print_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())

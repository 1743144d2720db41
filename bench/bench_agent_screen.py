"""The staff keying screens' server time: finding a caller among 100,000 people (by phone
number, full name, national ID, application reference), the agent's keying page with its
one-field check, and the mail clerk's keying page (the whole paper form beside its scan) with
its live check, next to a trivial view of the same run (target: search p50 <= 50 ms with
100,000 applicants).

The people are generated straight into PostgreSQL (bulk inserts, encrypted like real ones,
their caller keys built the way the channel builds them), in a database of its own that is
dropped at the end. Each request goes through Django's whole stack in this process
(middleware, session, login, queries, templates): the server's time, without a network.

Run from the repo root: .venv/bin/python bench/bench_agent_screen.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from _common import Answer, BenchDatabase, Report, log, percentile, pick, timed_calls

DATABASE = BenchDatabase("agent")

PEOPLE = int(pick(100_000, 10_000))
REQUESTS = int(pick(300, 60))
WARMUP = 20
BATCH = 5_000
FIRST = [
    "ada",
    "ben",
    "cara",
    "dev",
    "eli",
    "fay",
    "gus",
    "hana",
    "ivan",
    "jo",
    "kim",
    "leo",
    "mia",
    "ned",
    "ola",
    "pia",
    "quin",
    "rae",
    "sam",
    "tia",
    "uma",
    "vic",
    "wes",
    "xena",
    "yan",
    "zoe",
] * 4
LAST = [f"{a}{b}son" for a in "bcdfghklmnprstvw" for b in ("al", "en", "ir", "or", "un")]


def timed(call: Callable[[int], Answer], check: Callable[[Answer], bool]) -> list[float]:
    return timed_calls(call, check, requests=REQUESTS, warmup=WARMUP)


def person(i: int, rng: random.Random) -> dict[str, str]:
    return {
        "full_name": f"{rng.choice(FIRST).title()} {rng.choice(LAST).title()}",
        "date_of_birth": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
        "national_id": f"BN{i:08d}Q",
        "phone": f"+44 20 {7000 + i // 10000:04d} {i % 10000:04d}",
        "postcode": f"B{i % 90 + 10} {i % 9}AA",
        "email": f"p{i}@example.com",
    }


def generate(schema_name: str, schema_hash: str) -> list[dict[str, str]]:
    """PEOPLE applicants, one application each, and their caller keys, in bulk."""
    from applicants.crypto import identity_hash
    from applicants.models import Applicant, Application, Channel
    from channels_ingest.phone.keys import keys_of_all
    from channels_ingest.phone.models import CallerKey

    rng = random.Random(11)
    people = []
    started = time.perf_counter()
    for start in range(0, PEOPLE, BATCH):
        rows = [person(i, rng) for i in range(start, min(start + BATCH, PEOPLE))]
        applicants = [Applicant(identity_hash=identity_hash(r["national_id"]), pii=r) for r in rows]
        Applicant.objects.bulk_create(applicants)
        Application.objects.bulk_create(
            [
                Application(
                    applicant=a,
                    schema_name=schema_name,
                    schema_hash=schema_hash,
                    answers={"annual_income": 40000},
                    pii=r,
                    channel=Channel.WEB,
                )
                for a, r in zip(applicants, rows, strict=True)
            ]
        )
        CallerKey.objects.bulk_create(
            keys_of_all((a.pk, r) for a, r in zip(applicants, rows, strict=True)), batch_size=BATCH
        )
        people += rows
    log(f"{PEOPLE:,} applicants with an application each in {time.perf_counter() - started:.0f} s")
    with psycopg.connect(DATABASE.url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return people


def keying_page_and_check(
    report: Report,
    client: Any,
    *,
    page_url: str,
    page_shows: bytes,
    page_name: str,
    check_url: str,
    income: Callable[[int], str],
    check_name: str,
) -> None:
    """A keying page (GET, it must show `page_shows`) and its live one-field check of the
    annual income (POST as htmx, saved, no error shown), p50 and p99 of each: the agent's
    and the mail clerk's screens are timed the same way."""
    page = timed(lambda i: client.get(page_url), lambda r: r.status_code == 200 and page_shows in r.content)
    report.record(f"{page_name}: p50", percentile(page, 50), "ms")
    report.record(f"{page_name}: p99", percentile(page, 99), "ms")
    check = timed(
        lambda i: client.post(check_url, {"annual_income": income(i)}, HTTP_HX_REQUEST="true"),
        lambda r: r.status_code == 200 and b"has-error" not in r.content,
    )
    report.record(f"{check_name}: p50", percentile(check, 50), "ms")
    report.record(f"{check_name}: p99", percentile(check, 99), "ms")


def mail_keying(report: Report) -> None:
    """A clerk's pass of one scanned paper form: the keying page and the live check."""
    from django.test import Client

    from accounts.roles import Role
    from accounts.services import user_create_with_roles
    from applicants.schema import get_schema
    from channels_ingest.mail import services as mail
    from demo.mail_scans import render_form
    from demo.synthetic import generate as synthetic_rows

    schema = get_schema()
    supervisor = user_create_with_roles(
        username="bench-supervisor", password=uuid.uuid4().hex, roles=[Role.MAIL_SUPERVISOR]
    )
    clerk = user_create_with_roles(username="bench-clerk", password=uuid.uuid4().hex, roles=[Role.CLERK])
    batch = mail.batch_open(number="BENCH-1", received_on=dt.date.today(), forms_count=1, actor=supervisor)
    rows, _ = synthetic_rows(schema, 1, seed=3)
    scan = render_form(schema, rows[0], title="BENCH-1 / 1", image_format="PNG")
    item = mail.scan_upload(item=batch.items.get(), data=scan, actor=supervisor)
    keying = mail.pass_start(item=item, clerk=clerk)
    client = Client()
    client.force_login(clerk)
    keying_page_and_check(
        report,
        client,
        page_url=f"/mail/passes/{keying.pk}/",
        page_shows=b"pass 1",
        page_name="GET mail keying page (whole form + scan)",
        check_url=f"/mail/passes/{keying.pk}/answers/annual_income/",
        income=lambda i: f"£{54000 + i % 2:,}",
        check_name="POST mail live check of one field (saves)",
    )


def main() -> int:
    DATABASE.create()
    # The mail scans of this run go to a directory of its own, removed with it.
    scans = tempfile.TemporaryDirectory(prefix="bench-mail-scans-")
    os.environ["MAIL_SCAN_STORAGE_URL"] = f"file://{scans.name}"
    import django

    django.setup()
    from django.core.management import call_command

    report = Report()
    try:
        call_command("migrate", verbosity=0)
        from django.test import Client

        from accounts.roles import Role
        from accounts.services import user_create_with_roles
        from applicants.models import Application
        from applicants.schema import get_schema
        from channels_ingest.phone.models import CallerKey
        from channels_ingest.phone.selectors import caller_search
        from channels_ingest.phone.services import call_draft_new, call_start

        schema = get_schema()
        people = generate(schema.name, schema.source_hash)
        agent = user_create_with_roles(username="bench-agent", password=uuid.uuid4().hex, roles=[Role.AGENT])
        client = Client()
        client.force_login(agent)
        rng = random.Random(5)
        references = list(Application.objects.values_list("pk", flat=True)[:2000])
        log(f"{CallerKey.objects.count():,} caller keys; {REQUESTS} requests each, after {WARMUP} to warm up")

        report.section(
            f"server time per request, {PEOPLE:,} applicants (test client, in process)", "agent_screen"
        )
        trivial = timed(lambda i: client.get("/healthz"), lambda r: r.status_code == 200)
        report.record("GET /healthz (trivial view): p50", percentile(trivial, 50), "ms")

        def found(r: Any) -> bool:
            return r.status_code == 200 and b"possible caller" in r.content

        searches = {
            "phone number": lambda i: rng.choice(people)["phone"].replace("+44 ", "0"),
            "full name": lambda i: rng.choice(people)["full_name"].upper(),
            "national ID": lambda i: rng.choice(people)["national_id"].lower(),
            "reference (first 8)": lambda i: str(rng.choice(references))[:8],
        }
        for what, query in searches.items():

            def search(i: int, q: Callable[[int], str] = query) -> Any:
                return client.get("/agent/", {"q": q(i)})

            page = timed(search, found)
            report.record(f"GET search page by {what}: p50", percentile(page, 50), "ms", "target <= 50 ms")
            report.record(f"GET search page by {what}: p99", percentile(page, 99), "ms")
        service = timed(lambda i: caller_search(rng.choice(people)["full_name"]), bool)
        report.record("caller_search by full name (the query alone): p50", percentile(service, 50), "ms")

        call = call_start(agent=agent)
        call_draft_new(call=call, first_section="identity")
        keying_page_and_check(
            report,
            client,
            page_url=f"/agent/calls/{call.pk}/key/finances/",
            page_shows=b"Income and outgoings",
            page_name="GET keying page (one section)",
            check_url=f"/agent/calls/{call.pk}/answers/annual_income/",
            income=lambda i: f"{54000 + i % 2}",
            check_name="POST one-field check while keying (saves)",
        )
        identity = timed(
            lambda i: client.post(
                f"/agent/calls/{call.pk}/answers/national_id/",
                {"national_id": rng.choice(people)["national_id"]},
                HTTP_HX_REQUEST="true",
            ),
            lambda r: r.status_code == 200 and b"Possible duplicate" in r.content,
        )
        report.record("POST identity number with duplicate check: p50", percentile(identity, 50), "ms")
        mail_keying(report)
    finally:
        DATABASE.drop()
        scans.cleanup()
    report.print_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())

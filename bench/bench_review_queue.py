"""The review queue page with 10,000 waiting items (target: under 200 ms), and claims.

Builds its own PostgreSQL database (dropped again at the end) holding 10,000 applications
waiting for review plus 10,000 already reviewed, makes them queue items with the real sync
service, then measures what an auditor waits for:
  - GET /review/ through Django's whole stack (middleware, session, queries, template),
    unfiltered and with each filter;
  - claiming the next item (the conditional UPDATE loop), one auditor at a time;
  - four auditors claiming at once: claims per second, and that no item was given twice.

Run from the repo root: .venv/bin/python bench/bench_review_queue.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
import uuid
from typing import Any

import psycopg
from _common import Report, log, percentile, pick

PG = "postgres://postgres@127.0.0.1:5432"
DATABASE = f"riskscore_bench_review_{os.getpid()}"
os.environ["DATABASE_URL"] = f"{PG}/{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["LOG_LEVEL"] = "WARNING"

WAITING = 10_000
REVIEWED = int(pick(10_000, 2_000))
REQUESTS = int(pick(200, 40))
CLAIMS = int(pick(400, 80))


def create_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def seed() -> tuple[float, Any, list[Any]]:
    """Applications, decisions and review items as the pipeline leaves them (bulk, fast)."""
    from django.utils import timezone

    from accounts.roles import Role
    from accounts.services import user_create_with_roles
    from applicants.models import Applicant, Application, Channel, Status
    from applicants.schema import get_schema
    from auditing.models import ItemState, ReviewItem
    from auditing.services.queue import review_queue_sync
    from demo import synthetic
    from scoring.models import Decision, ModelStatus, ModelVersion

    schema = get_schema()
    rng = random.Random(7)
    model = ModelVersion.objects.create(
        version=1,
        status=ModelStatus.ACTIVE,
        schema_name=schema.name,
        schema_hash=schema.source_hash,
        feature_names=list(schema.feature_names),
        feature_spec_hash=schema.feature_spec_hash,
        artifact_uri="file:///bench/none",
    )
    total = WAITING + REVIEWED
    answers, _ = synthetic.generate(schema, min(total, 5000), seed=3)
    channels = [Channel.API, Channel.WEB, Channel.PHONE_AGENT, Channel.MAIL]
    now = timezone.now()
    applicants = Applicant.objects.bulk_create(
        [Applicant(pii={"full_name": f"Bench {i}"}) for i in range(total)], batch_size=2000
    )
    applications = Application.objects.bulk_create(
        [
            Application(
                applicant=applicants[i],
                schema_name=schema.name,
                schema_hash=schema.source_hash,
                answers={k: v for k, v in answers[i % len(answers)].items() if k not in schema.pii_fields},
                pii={"full_name": f"Bench {i}"},
                channel=channels[i % 4],
                status=Status.IN_REVIEW,
                possible_duplicate=rng.random() < 0.03,
            )
            for i in range(total)
        ],
        batch_size=2000,
    )
    decisions = []
    for application in applications:
        high = rng.betavariate(1.2, 4)
        medium = (1 - high) * rng.random()
        tier = "high" if high > 0.45 else "medium" if high + medium > 0.5 else "low"
        decisions.append(
            Decision(
                application=application,
                model_version=model,
                tier=tier,
                prob_low=1 - high - medium,
                prob_medium=medium,
                prob_high=high,
                routed_to_review=True,
            )
        )
    Decision.objects.bulk_create(decisions, batch_size=2000)
    # All are made items; the last REVIEWED are then marked reviewed, as history would be.
    started = time.perf_counter()
    made = 0
    while True:
        added = review_queue_sync(limit=5000)
        made += added
        if not added:
            break
    sync_seconds = time.perf_counter() - started
    ReviewItem.objects.filter(application_id__in=[a.pk for a in applications[WAITING:]]).update(
        state=ItemState.DONE, done_at=now
    )
    Application.objects.filter(pk__in=[a.pk for a in applications[WAITING:]]).update(status=Status.CONFIRMED)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"seeded {total:,} applications, {made:,} queue items in {sync_seconds:.1f}s")
    auditors = [
        user_create_with_roles(username=f"auditor{i}", password=uuid.uuid4().hex, roles=[Role.AUDITOR])
        for i in range(5)
    ]
    return sync_seconds, auditors[0], auditors[1:]


def time_page(client: Any, query: dict[str, str]) -> list[float]:
    samples = []
    for i in range(REQUESTS + 5):
        started = time.perf_counter()
        response = client.get("/review/", query)
        took = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if i >= 5:  # warm-up: the first requests fill caches (templates, session)
            samples.append(took)
    return samples


def main() -> int:
    create_database()
    import django

    django.setup()
    from django.core.management import call_command

    report = Report()
    try:
        call_command("migrate", verbosity=0)
        sync_seconds, auditor, others = seed()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from auditing.models import ReviewItem
        from auditing.services.queue import review_item_claim_next

        report.section(f"queue page, {WAITING:,} waiting (+{REVIEWED:,} reviewed)")
        report.record("sync of the items", sync_seconds, "s", "review_queue_sync, from nothing")
        client = Client()
        client.force_login(auditor)
        with CaptureQueriesContext(connection) as queries:
            client.get("/review/")
        report.record("queries per page", len(queries.captured_queries), "queries")
        for label, query in [
            ("unfiltered", {}),
            ("tier=high", {"tier": "high"}),
            ("channel=mail", {"channel": "mail"}),
            ("duplicates only", {"duplicates": "on"}),
            ("waiting over 1 h", {"older_than_hours": "1"}),
        ]:
            samples = time_page(client, query)
            report.record(f"GET /review/ {label}: p50", percentile(samples, 50), "ms")
            report.record(f"GET /review/ {label}: p99", percentile(samples, 99), "ms", "target < 200 ms")

        report.section("claims")
        latencies = []
        for _ in range(CLAIMS // 4):
            started = time.perf_counter()
            item = review_item_claim_next(user=auditor)
            latencies.append((time.perf_counter() - started) * 1000)
            assert item is not None
        report.record("claim next: p50", percentile(latencies, 50), "ms")
        report.record("claim next: p99", percentile(latencies, 99), "ms")

        taken: list[tuple[int, int]] = []
        lock = threading.Lock()

        def work(user: Any) -> None:
            from django.db import connection as conn

            try:
                for _ in range(CLAIMS // len(others)):
                    got = review_item_claim_next(user=user)
                    if got is not None:
                        # Keep it: mark it done so the next claim takes another item.
                        ReviewItem.objects.filter(pk=got.pk).update(state="done")
                        with lock:
                            taken.append((got.pk, user.pk))
            finally:
                conn.close()

        threads = [threading.Thread(target=work, args=(u,)) for u in others]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        report.record(f"{len(others)} auditors claiming at once", len(taken) / elapsed, "claims/s")
        given_twice = len(taken) - len({pk for pk, _ in taken})
        report.record("items given to two auditors", given_twice, "items", "must be 0")
        report.print_table()
        return 1 if given_twice else 0
    finally:
        drop_database()


if __name__ == "__main__":
    sys.exit(main())

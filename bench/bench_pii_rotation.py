"""Key rotation rows per second: `rotate_pii_keys` over 100k applications and their people
(BENCH_QUICK: 10k), each with its personal answers encrypted under key A, rotated to B.

A database of its own (riskscore_bench_pii_rotation, dropped at the end) is filled with
bulk_create; then every encrypted column is rotated in batches of 500 (the default), then
again (a second run finds everything current: the cost of checking alone).

Run from the repo root: .venv/bin/python bench/bench_pii_rotation.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import os
import time
import uuid

import psycopg
from _common import Report, log, quick, warn_if_busy
from cryptography.fernet import Fernet

DATABASE = "riskscore_bench_pii_rotation"
PG = "postgres://postgres@127.0.0.1:5432"
ROWS = 10_000 if quick() else 100_000
KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"{PG}/{DATABASE}",
        "PII_ENCRYPTION_KEYS": KEY_A,
        "LOG_LEVEL": "WARNING",
    }
)

with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
    admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {DATABASE}")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import override_settings  # noqa: E402

from applicants.models import Applicant, Application, Channel  # noqa: E402
from privacy.services.rotation import encrypted_columns, rotate_column  # noqa: E402


def seed(n: int) -> None:
    step = 5000
    for start in range(0, n, step):
        people, apps = [], []
        for i in range(start, min(start + step, n)):
            pii = {
                "full_name": f"Bench Person {i}",
                "national_id": f"BN{i:08d}",
                "email": f"person{i}@example.org",
                "phone": "+44 20 7946 0000",
                "date_of_birth": "1980-01-01",
                "address": f"{i} Bench Street",
                "postcode": "EX1 2MP",
            }
            person = Applicant(id=uuid.uuid4(), identity_hash=uuid.uuid4().hex * 2, pii=pii)
            people.append(person)
            apps.append(
                Application(
                    applicant=person,
                    schema_name="consumer_credit",
                    schema_hash="bench",
                    answers={"annual_income": 40000},
                    pii=pii,
                    channel=Channel.API,
                )
            )
        Applicant.objects.bulk_create(people)
        Application.objects.bulk_create(apps)


def main() -> None:
    report = Report()
    warn_if_busy()
    try:
        call_command("migrate", verbosity=0)
        log(f"seeding {ROWS:,} applications and people under key A")
        began = time.perf_counter()
        seed(ROWS)
        log(f"seeded in {time.perf_counter() - began:.1f} s")
        columns = [
            c
            for c in encrypted_columns()
            if c.label in {"applicants.Application.pii", "applicants.Applicant.pii"}
        ]
        with override_settings(PII_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
            report.section(f"rotate A → B, {ROWS:,} rows per column, batches of 500", key="rotation")
            total_rows, total_seconds = 0, 0.0
            for column in columns:
                result = rotate_column(column)
                assert result.rotated == ROWS, result
                total_rows += result.rows
                total_seconds += result.seconds
                report.record(f"{column.label} re-encrypted", result.rows_per_second, "rows/s")
            report.record("all columns", total_rows / total_seconds, "rows/s")
            report.section("second run: every row already under B (checking only)", key="rotation again")
            for column in columns:
                again = rotate_column(column, restart=True)
                assert again.rotated == 0 and again.already_current == ROWS, again
                report.record(f"{column.label} checked", again.rows_per_second, "rows/s")
        with override_settings(PII_ENCRYPTION_KEYS=[KEY_B]):
            sample = Application.objects.order_by("?").first()
            assert sample is not None and sample.pii["postcode"] == "EX1 2MP"  # readable with B alone
        report.print_table()
    finally:
        connections.close_all()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()

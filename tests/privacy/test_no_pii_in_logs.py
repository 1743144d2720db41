"""No personal value a person submits ever reaches a log line: a full run — failed logins
under their email, API submissions (and a refused one), scoring in a real worker, a review,
an unmasking, delivery to DynamoDB and the warehouse, a labelled export, an erasure — with
every logger at DEBUG (SQL too) in this process and in the worker, then every record and the
worker's log file scanned for the values in all the forms people write them."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from accounts.roles import Role
from applicants.models import Application
from auditing.models import ExportJob, JobStatus
from auditing.services.exports import export_job_create
from auditing.services.pii import pii_unmask
from auditing.services.queue import review_item_claim
from auditing.services.reviews import review_record
from outbox.models import OutboxMessage, OutboxStatus
from privacy.matching import PersonalValues
from scoring.models import Decision
from scoring.tasks import redrive_scoring
from sinks.tasks import redrive_sinks
from tests.auditing.review_helpers import sent_to_review
from tests.conftest import ROOT, WorkerProcess, _wait_for, token_client
from tests.plugins.sinks import use_broker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PERSON = {
    "full_name": "Wilhelmina Zorgblatt",
    "national_id": "WZ-583920-K",
    "email": "w.zorgblatt@mailbox.example",
    "phone": "+44 20 7946 0587",
    "date_of_birth": "1981-07-29",
    "address": "42 Plover Crescent, Fenwick",
    "postcode": "FN7 3QP",
}
# Refused answers are personal values too: a message that echoes them must not be logged.
REFUSED = {"email": "wilhelmina-at-zorgblatt", "national_id": "WZ##583920##K!", "date_of_birth": "2031-02-30"}


class DebugWorker(WorkerProcess):
    """A worker process logging everything at DEBUG into its log file."""

    def start(self) -> None:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=DEBUG",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"pii-scan-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_for(lambda: b"ready." in self.log_path.read_bytes(), 30, "the worker to start")


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # message, arguments, exception and traceback


@pytest.fixture
def every_log_record() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    root_level = root.level
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    connection.force_debug_cursor = True  # every SQL statement, with its parameters
    try:
        yield handler
    finally:
        connection.force_debug_cursor = False
        root.removeHandler(handler)
        root.setLevel(root_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
def debug_worker(sinks_on: Any, private_redis: Any, tmp_path: Path, settings: Any) -> Iterator[Any]:
    if private_redis.process is None:
        private_redis.start()
    private_redis.flush()
    database = connection.settings_dict
    exports = f"file://{tmp_path / 'exports'}"
    settings.LABEL_EXPORT_STORAGE_URL = exports
    env = {
        **os.environ,
        **sinks_on.env,
        "DJANGO_SETTINGS_MODULE": "tests.privacy.debug_log_settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "CELERY_BROKER_URL": private_redis.url,
        "LABEL_EXPORT_STORAGE_URL": exports,
        "REVIEW_BLIND_SHARE": "0",
    }
    worker = DebugWorker(env, tmp_path / "worker.log")
    worker.start()
    try:
        with use_broker(private_redis.url):
            yield worker
    finally:
        worker.stop()


def _settle(ids: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        decided = Decision.objects.filter(application_id__in=ids, is_current=True).count()
        owed = OutboxMessage.objects.filter(key__in=ids, topic__startswith="sink:").exclude(
            status=OutboxStatus.DELIVERED
        )
        assert not owed.filter(status=OutboxStatus.DEAD).exists()
        if decided == len(ids) and not owed.exists():
            return
        redrive_scoring()
        redrive_sinks()
        time.sleep(0.5)
    raise AssertionError("the worker did not score and deliver in time")


def test_no_submitted_personal_value_reaches_any_log_line(
    debug_worker, every_log_record, active_model, alice, make_user, answers, settings
):
    settings.REVIEW_BLIND_SHARE = 0.0
    auditor = make_user("pii-auditor", Role.AUDITOR)
    lead = make_user("pii-lead", Role.AUDITOR, Role.AUDITOR_LEAD)
    analyst = make_user("pii-analyst", Role.ANALYST)
    make_user("pii-admin", Role.ADMIN)
    client = token_client(alice)

    # A failed login under the person's email (applicants sign in with it). Looking an account
    # up by its email puts the email in the SQL, so SQL logging (DEBUG=True only, never in
    # production) is off for this step alone; every other logger still records at DEBUG.
    connection.force_debug_cursor = False
    for url, field in (("/accounts/login/", "username"), ("/apply/account/login/", "login")):
        Client().post(url, {field: PERSON["email"], "password": "not-the-password"})
    connection.force_debug_cursor = True
    assert any("AXES: New login failure" in line for line in every_log_record.lines)
    refused = client.post(
        "/api/v1/applications/",
        {"answers": {**answers, **PERSON, **REFUSED}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="pii-scan-refused",
    )
    assert refused.status_code == 422
    ids = []
    for n in range(2):  # the second is the same person again (a possible duplicate)
        response = client.post(
            "/api/v1/applications/",
            {"answers": {**answers, **PERSON}},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"pii-scan-{n}",
        )
        assert response.status_code == 202, response.content
        ids.append(response.json()["id"])
    _settle(ids)

    application = Application.objects.get(pk=ids[0])
    item = sent_to_review(application.pk)
    assert pii_unmask(application=application, user=lead, purpose="identity check")
    review_item_claim(item_id=item.pk, user=auditor)
    review_record(item_id=item.pk, auditor=auditor, final_tier=item.model_tier)
    _settle(ids)

    job = export_job_create(requested_by=analyst, format="csv", filters={})
    _wait_for(
        lambda: ExportJob.objects.get(pk=job.pk).status == JobStatus.DONE,
        60,
        "the worker to write the export",
    )
    client.get(f"/api/v1/applications/{ids[0]}/")
    out = StringIO()
    call_command("erase_personal_data", "--application", ids[1], "--by", "pii-admin", "--drain", stdout=out)
    debug_worker.stop()  # everything it wrote is in its file

    worker_lines = debug_worker.log_path.read_text(errors="replace").splitlines()
    ours = every_log_record.lines
    # The capture is real: DEBUG lines, SQL with parameters, the worker's tasks and sinks.
    assert any("INSERT INTO" in line for line in ours) and len(ours) > 100
    assert any("DEBUG" in line for line in worker_lines)
    assert any("score_waiting" in line for line in worker_lines)
    assert any("drain_sink" in line for line in worker_lines)
    assert any("run_label_export" in line for line in worker_lines)
    values = PersonalValues([PERSON, REFUSED])
    leaks = [line for line in ours + worker_lines + out.getvalue().splitlines() if values.found_in(line)]
    assert leaks == [], "\n".join(leaks[:20])

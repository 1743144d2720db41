"""The fault tests of test_faults.py shorten the leases to seconds; these run with the
DEFAULT timings (issue #8.11, #9): a killed worker's scoring batch and training run are
taken up again by another worker within one lease and one re-drive interval, and a Redis
restart under a worker started exactly as docker-compose starts it logs no AttributeError
(#8.12). The re-drives run here at beat's own interval, as beat would run them."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import yaml
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from applicants.models import Application, Status
from applicants.schema import get_schema
from config.settings import jobs as job_defaults
from modelops.models import RunStatus, TrainingRun
from modelops.services import training_run_request
from outbox.jobs import jobs_redrive
from scoring.models import Decision
from scoring.tasks import redrive_scoring
from tests.modelops.history_files import write_history

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]
# The defaults, as a deployment gets them (config/settings/jobs.py), not the fault stage's.
DEFAULTS = {
    "SCORING_LEASE_SECONDS": str(job_defaults.SCORING_LEASE_SECONDS),
    "SCORING_REDRIVE_AFTER_SECONDS": "30",
    "JOB_LEASE_SECONDS": str(job_defaults.JOB_LEASE_SECONDS),
}


def beat_interval(entry: str) -> float:
    return float(django_settings.CELERY_BEAT_SCHEDULE[entry]["schedule"])


def database_url() -> str:
    d = connection.settings_dict
    return f"postgres://{d['USER']}@{d['HOST']}:{d['PORT']}/{d['NAME']}"


def wait_until(predicate, timeout: float, what: str, *, every: float = 0.2, tick=None) -> float:
    """Seconds it took; `tick()` runs every `every` seconds meanwhile (beat's re-drive)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        if tick:
            tick()
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_workers_killed_mid_batch_and_mid_training_are_taken_up_within_a_lease_and_a_re_drive(
    fault_stage, local_endpoint, active_model, settings, tmp_path, capsys
):
    """Two workers: one is killed holding a scoring batch, the other holding a training run.
    Both are taken up by another worker after their leases run out, at the re-drives' beat
    intervals. One test for both, so the two leases (20 s and 30 s) run out together."""
    assert job_defaults.SCORING_LEASE_SECONDS == 20  # the defaults this test is about
    settings.SCORING_LEASE_SECONDS = job_defaults.SCORING_LEASE_SECONDS
    settings.SCORING_REDRIVE_AFTER_SECONDS = 30
    settings.JOB_LEASE_SECONDS = job_defaults.JOB_LEASE_SECONDS
    call_command("import_history", str(write_history(tmp_path / "h.csv", get_schema(), 300)))
    local_endpoint.serve(active_model)
    endpoint = {**local_endpoint.env(), "SAGEMAKER_READ_TIMEOUT": "60"}
    # The endpoint answers the first call late: a worker is mid-batch, holding its claim.
    local_endpoint.slow(45, count=1)
    workers = [fault_stage.worker(**DEFAULTS, **endpoint)]
    ids = fault_stage.submit(8)
    held = Application.objects.filter(pk__in=ids, status=Status.SCORING)
    wait_until(held.exists, 30, "a worker to claim the batch")
    claimed_at = dict(held.values_list("pk", "scoring_started_at"))
    # A live worker renews its lease (every quarter of it), so the re-drive leaves it be.
    wait_until(
        lambda: any(started > claimed_at[pk] for pk, started in held.values_list("pk", "scoring_started_at")),
        job_defaults.SCORING_LEASE_SECONDS,
        "the heartbeat to renew the lease",
    )
    assert redrive_scoring()["released"] == 0
    # Hold the model registry: a second worker trains, then blocks registering the candidate.
    workers.append(fault_stage.worker(**DEFAULTS, **endpoint))
    blocker = psycopg.connect(database_url())
    blocker.execute("LOCK TABLE scoring_modelversion IN SHARE ROW EXCLUSIVE MODE")
    try:
        run = training_run_request(requested_by=None)
        runs = TrainingRun.objects.filter(pk=run.pk)
        wait_until(
            lambda: runs.filter(status=RunStatus.RUNNING, stage__startswith="measuring").exists(),
            60,
            "the other worker to be mid-way through the training run",
        )
        assert held.filter(pk__in=list(claimed_at)).count() == len(claimed_at)  # still held
        lease = runs.get().lease_expires_at
        for worker in workers:
            worker.stop(signal.SIGKILL)
        killed = time.monotonic()
    finally:
        blocker.rollback()
        blocker.close()
    assert runs.get().status == RunStatus.RUNNING  # what stayed 'running' forever before
    fault_stage.worker(**DEFAULTS, **endpoint)
    every = {
        "redrive-scoring": beat_interval("redrive-scoring"),
        "redrive-jobs": beat_interval("redrive-jobs"),
    }
    assert every["redrive-scoring"] == job_defaults.SCORING_REDRIVE_EVERY_SECONDS
    redrives = {"redrive-scoring": redrive_scoring, "redrive-jobs": jobs_redrive}
    last = dict.fromkeys(every, time.monotonic())
    took: dict[str, float] = {}

    def beat() -> None:
        for entry, redrive in redrives.items():
            if time.monotonic() - last[entry] >= every[entry]:
                last[entry] = time.monotonic()
                redrive()

    def done() -> bool:
        if "scoring" not in took and (
            Decision.objects.filter(application_id__in=ids, is_current=True).count() == len(ids)
        ):
            took["scoring"] = time.monotonic() - killed
        if "training" not in took and runs.filter(status=RunStatus.FINISHED).exists():
            took["training"] = time.monotonic() - killed
        return len(took) == 2

    wait_until(done, 120, "the new worker to take up the batch and the training run", tick=beat)
    with capsys.disabled():
        print(
            f"\n[default timings] a killed worker's batch was scored again {took['scoring']:.1f} s after "
            f"the kill (lease {settings.SCORING_LEASE_SECONDS} s, re-drive every "
            f"{every['redrive-scoring']:.0f} s); a training run whose worker was killed finished "
            f"{took['training']:.1f} s after it (lease {settings.JOB_LEASE_SECONDS} s, re-drive "
            f"every {every['redrive-jobs']:.0f} s)"
        )
    assert not Application.objects.filter(pk__in=ids, status=Status.FAILED).exists()
    fault_stage.assert_nothing_lost(ids)
    finished = runs.get()
    assert finished.attempts == 2 and finished.model_version is not None
    assert finished.claimed_at >= lease  # taken again only once the dead worker's lease ran out


def compose_worker_command(service: str) -> list[str]:
    """A worker command of docker-compose.yml (`scoring` or `worker`), run with this interpreter."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = shlex.split(compose["services"][service]["command"])
    assert command[0] == "celery"
    return [sys.executable, "-m", *command, "-n", f"compose-{time.monotonic_ns()}@%h"]


def test_a_redis_restart_under_a_compose_worker_logs_no_attribute_error(fault_stage, tmp_path):
    """Celery's gossip step closed its channel through the consumer's connection, None by
    then, on every broker loss: AttributeError 'NoneType' object has no attribute
    'connection_errors' in every worker. The compose workers (scoring, and sinks with
    maintenance) run without gossip."""
    env = {
        **os.environ,
        **fault_stage.sinks.env,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": fault_stage.redis.url,
    }
    logs = {service: tmp_path / f"compose-{service}.log" for service in ("scoring", "worker")}
    processes = []
    for service, log_path in logs.items():
        with log_path.open("ab") as log:
            processes.append(
                subprocess.Popen(
                    compose_worker_command(service),
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    try:
        for service, log_path in logs.items():
            wait_until(lambda p=log_path: b"ready." in p.read_bytes(), 60, f"the compose {service} to start")
        ids = fault_stage.submit(4)
        fault_stage.settle(ids)
        fault_stage.redis.stop()
        ids += fault_stage.submit(2)  # accepted while the broker is away
        time.sleep(3)
        fault_stage.redis.start()
        fault_stage.settle(ids)
        for service, log_path in logs.items():
            wait_until(
                lambda p=log_path: p.read_bytes().count(b"Connected to redis") >= 2,
                30,
                f"the compose {service} to reconnect",
            )
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
    for log_path in logs.values():
        text = log_path.read_text(errors="replace")
        assert "Connection to broker lost" in text  # the loss happened and was seen
        assert "AttributeError" not in text, text[text.find("AttributeError") - 2000 :][:3000]
    fault_stage.assert_nothing_lost(ids)

"""Scoring has a Celery queue of its own (issue #16): every task is routed to a named queue,
the places that start workers consume them, and a worker on the scoring queue alone scores
while a sink's drain waits on its own queue."""

from __future__ import annotations

import json
import os
import shlex

import pytest
import redis
import yaml
from django.conf import settings

from applicants.models import Application, Status
from config.celery import app
from ops.management.commands.runplatform import worker_commands
from scoring.models import Decision
from tests.conftest import ROOT, WorkerProcess, token_client
from tests.plugins.sinks import use_broker

QUEUE_OF_APP = {
    "scoring": "scoring",
    "sinks": "sinks",
    **dict.fromkeys(
        ("applicants", "auditing", "governance", "modelops", "monitoring", "outbox", "privacy", "trail"),
        "maintenance",
    ),
}


def project_tasks() -> list[str]:
    app.loader.import_default_modules()  # every installed app's tasks module, as a worker does
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def queue_of(task: str) -> str:
    return app.amqp.router.route({}, task)["queue"].name


def test_every_task_of_every_app_is_routed_to_its_queue_and_none_to_the_default():
    tasks = project_tasks()
    assert "scoring.tasks.score_waiting" in tasks and "sinks.tasks.drain_sink" in tasks
    routed = {task: queue_of(task) for task in tasks}
    unrouted = [t for t, q in routed.items() if q == settings.CELERY_TASK_DEFAULT_QUEUE]
    assert not unrouted, f"tasks on the default queue (add a route in config/settings/base.py): {unrouted}"
    assert routed == {task: QUEUE_OF_APP.get(task.split(".", 1)[0]) for task in tasks}


def test_every_periodic_job_is_a_task_routed_off_the_default_queue():
    tasks = set(project_tasks())
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in tasks, name
        assert queue_of(entry["task"]) != settings.CELERY_TASK_DEFAULT_QUEUE, name


def test_a_worker_without_queues_named_consumes_every_declared_queue():
    assert set(app.amqp.queues.consume_from) == set(settings.WORKER_QUEUES)
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} < set(settings.WORKER_QUEUES)


def consumed(command: list[str]) -> list[str]:
    return command[command.index("-Q") + 1].split(",")


def assert_scoring_alone_and_every_queue_consumed(workers: dict[str, list[str]]) -> None:
    queues = {name: consumed(command) for name, command in workers.items()}
    scorers = [name for name, qs in queues.items() if "scoring" in qs]
    assert len(scorers) == 1 and queues[scorers[0]] == ["scoring"], queues
    assert sorted(q for qs in queues.values() for q in qs) == sorted(settings.WORKER_QUEUES), queues


def test_make_run_starts_a_scoring_worker_and_one_for_the_rest_with_beat():
    workers = worker_commands("python")
    assert_scoring_alone_and_every_queue_consumed(workers)
    assert "--beat" in workers["worker"] and "--beat" not in workers["scoring"]


def test_compose_starts_a_scoring_worker_and_one_for_the_rest():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = {
        name: shlex.split(service["command"])
        for name, service in services.items()
        if " worker" in str(service.get("command", ""))
    }
    assert_scoring_alone_and_every_queue_consumed(workers)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_scoring_queue_alone_scores_while_a_drain_waits_on_the_sinks_queue(
    private_redis, alice, answers, active_model, wait_for, tmp_path
):
    from django.db import connection

    from sinks.tasks import drain_sink

    private_redis.flush()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CELERY_BROKER_URL": private_redis.url,
    }
    worker = WorkerProcess(env, tmp_path / "scoring-worker.log", queues=["scoring"])
    worker.start()
    try:
        with use_broker(private_redis.url):
            drain_sink.delay("warehouse")  # queued first: on one shared queue it would go first
            response = token_client(alice).post(
                "/api/v1/applications/", {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="queues-1"
            )
        assert response.status_code == 202
        application_id = response.json()["id"]
        wait_for(
            lambda: Application.objects.filter(
                pk=application_id, status__in=[Status.SCORED, Status.IN_REVIEW]
            ).exists(),
            30,
            "the scoring worker to score the application",
        )
        assert Decision.objects.filter(application_id=application_id, is_current=True).count() == 1
    finally:
        worker.stop()
    broker = redis.Redis.from_url(private_redis.url)
    waiting = [json.loads(m)["headers"]["task"] for m in broker.lrange("sinks", 0, -1)]
    assert waiting == ["sinks.tasks.drain_sink"]  # routed to its queue, and left there
    assert broker.llen("celery") == 0 and broker.llen("scoring") == 0

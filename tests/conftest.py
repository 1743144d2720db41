"""Shared fixtures: personas (one user per role), a trained model, API clients, and a real
Celery worker process against Redis for the tests that need one."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.services import user_create_with_roles
from applicants.schema import get_schema, load_schema
from demo import synthetic
from modelops.registry import model_version_bootstrap, model_version_register
from modelops.training import TrainedModel, fit
from scoring.features import build_matrix

# Fixture modules by area; each area's team owns its module.
pytest_plugins = [
    "tests.plugins.aws",
    "tests.plugins.modelops",
    "tests.plugins.sinks",
    "tests.plugins.auditing",
]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCHEMA = ROOT / "applicants" / "schemas" / "consumer_credit.yaml"
CAR_SCHEMA = ROOT / "tests" / "fixtures" / "car_insurance_claim.yaml"


# --- the test database ------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """--reuse-db (pyproject's addopts) keeps the test database between runs and applies no
    new migration: after a pull that adds one, every test touching the new column failed.
    A kept database that lacks a migration is created afresh instead."""
    reused = config.getoption("reuse_db", False) and not config.getoption("create_db", False)
    if reused and _test_database_lacks_a_migration():
        config.option.create_db = True


def _test_database_lacks_a_migration() -> bool:
    import psycopg
    from django.db.migrations.loader import MigrationLoader

    database = django_settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        return False
    try:
        with psycopg.connect(
            host=database["HOST"],
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database.get("PASSWORD") or None,
            dbname=database["TEST"]["NAME"],
            connect_timeout=5,
        ) as kept:
            applied = set(kept.execute("SELECT app, name FROM django_migrations").fetchall())
    except psycopg.errors.UndefinedTable:
        return True  # a database without Django's tables: not ours to trust
    except psycopg.OperationalError:
        return False  # none kept: pytest-django creates it
    return bool(set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations) - applied)


# --- personas ------------------------------------------------------------------------------


@pytest.fixture
def make_user(db: Any) -> Any:
    def make(username: str, *roles: Role) -> Any:
        return user_create_with_roles(username=username, password="pw-for-tests", roles=list(roles))

    return make


@pytest.fixture
def alice(make_user: Any) -> Any:
    """An applicant."""
    return make_user("alice", Role.APPLICANT)


@pytest.fixture
def bob(make_user: Any) -> Any:
    """Another applicant, who must never see alice's applications."""
    return make_user("bob", Role.APPLICANT)


@pytest.fixture
def carol(make_user: Any) -> Any:
    """A call-centre agent."""
    return make_user("carol", Role.AGENT)


@pytest.fixture
def dave(make_user: Any) -> Any:
    """An auditor."""
    return make_user("dave", Role.AUDITOR)


@pytest.fixture
def erin(make_user: Any) -> Any:
    """A model approver."""
    return make_user("erin", Role.APPROVER)


def token_client(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- answers and models ----------------------------------------------------------------------


@pytest.fixture
def answers() -> dict[str, Any]:
    """A valid consumer-credit application (the README's example)."""
    import json

    return json.loads((ROOT / "examples" / "application.json").read_text())["answers"]


@pytest.fixture(autouse=True)
def _model_storage(settings: Any, tmp_path: Path) -> None:
    settings.MODEL_STORAGE_URL = f"file://{tmp_path / 'models'}"


def _train(schema_path: Path, rows: int, seed: int) -> TrainedModel:
    schema = load_schema(schema_path)
    rows_answers, tiers = synthetic.generate(schema, rows, seed=seed)
    return fit(
        build_matrix(schema, rows_answers),
        tiers,
        feature_names=list(schema.feature_names),
        schema=schema,
        seed=seed,
        nthread=2,
    )


@pytest.fixture(scope="session")
def trained_default() -> TrainedModel:
    return _train(DEFAULT_SCHEMA, 3000, seed=11)


@pytest.fixture(scope="session")
def trained_other() -> TrainedModel:
    """A model unlike `trained_default` (shallower, other rows and seed, choices as positions),
    fitted once per session: the rescoring tests and the lifecycle worker test each register
    it as a new version rather than fitting it again (one 5-fold fit each, the most of their time)."""
    schema = load_schema(DEFAULT_SCHEMA)
    answers, tiers = synthetic.generate(schema, 1500, seed=41)
    return fit(
        build_matrix(schema, answers),
        tiers,
        feature_names=list(schema.feature_names),
        seed=41,
        params={"max_depth": 1, "eta": 0.3},
        nthread=2,
    )


@pytest.fixture
def active_model(db: Any, trained_default: TrainedModel) -> Any:
    model = model_version_register(trained=trained_default, schema=get_schema(), training_source="tests")
    return model_version_bootstrap(model=model, note="tests")


# --- a real worker -------------------------------------------------------------------------


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _die_with_the_test_run() -> None:
    """preexec_fn (Linux): the child gets SIGTERM when the test run's process dies, even by
    SIGKILL or a timeout. A worker that outlived a killed run went on consuming the next
    run's broker queue against the same test database, and that run's worker tests timed out."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


class WorkerProcess:
    """A `celery worker` process on the test database and Redis database 14, consuming every
    queue (scoring, sinks, maintenance and the default) in one process unless given `queues`."""

    def __init__(self, env: dict[str, str], log_path: Path, queues: list[str] | None = None):
        self.env, self.log_path = env, log_path
        self.queues = queues or list(django_settings.WORKER_QUEUES)
        self.process: subprocess.Popen[bytes] | None = None

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
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                ",".join(self.queues),
                "-n",
                f"test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_the_test_run,
        )
        _wait_for(lambda: b"ready." in self.log_path.read_bytes(), 30, "the worker to start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


def start_test_worker(log_dir: Path, broker_url: str) -> WorkerProcess:
    """A worker on the test database and the broker at `broker_url` (emptied first)."""
    from django.db import connection

    redis.Redis.from_url(broker_url).flushdb()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "CELERY_BROKER_URL": broker_url,
    }
    worker = WorkerProcess(env, log_dir / "worker.log")
    worker.start()
    return worker


@pytest.fixture(scope="session")
def session_worker(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[tuple[WorkerProcess, str]]:
    """One worker for the session, consuming a broker of its own. On the test broker it took
    the wake-ups of every later test that scores inline, and scored their applications first
    (with its own settings) while the test looked for the decision."""
    from tests.plugins.sinks import RedisServer

    broker = RedisServer(tmp_path_factory.mktemp("worker-broker")).start()
    worker = start_test_worker(tmp_path_factory.mktemp("worker"), broker.url)
    yield worker, broker.url
    worker.stop()
    broker.stop()


@pytest.fixture
def celery_worker_process(session_worker: tuple[WorkerProcess, str]) -> Iterator[WorkerProcess]:
    """The session's worker, with this test's tasks published to it."""
    from tests.plugins.sinks import use_broker

    worker, broker_url = session_worker
    with use_broker(broker_url):
        yield worker


def _row_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names from the catalogue)
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture(scope="session", autouse=True)
def test_database_left_as_found(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Rows committed and never removed (a subprocess writing to the test database outside any
    test's transaction) outlive the run in the reused database and break tests that expect an
    empty table, such as the audit chain's, on the next run. Fail the run that leaks them."""
    database = django_settings.DATABASES["default"]
    if database["NAME"] != database["TEST"]["NAME"]:
        yield  # no test in this run uses the database
        return
    with django_db_blocker.unblock():
        before = _row_counts()
    yield
    with django_db_blocker.unblock():
        after = _row_counts()
    # Only growth: the flush after a transactional test empties tables a data migration filled.
    grown = {
        table: (before.get(table, 0), count) for table, count in after.items() if count > before.get(table, 0)
    }
    assert not grown, f"rows left in the test database (table: before, after): {grown}"


@pytest.fixture
def wait_for() -> Any:
    return _wait_for

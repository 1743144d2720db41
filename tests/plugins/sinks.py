"""Fixtures shared by the sink tests (app `sinks`; see docs/persistence.md).

Real components on 127.0.0.1, each started (and stopped) by the tests themselves:
- `dynalite`: the DynamoDB stand-in (npm `dynalite`, installed here from package-lock.json
  if missing), its LevelDB data in a temp folder; stop/restart keep the data.
- `warehouse_url`: a warehouse database of our own on the shared PostgreSQL server, with
  the star schema; dropped at the end.
- `sinks_on`: this test's settings pointed at both sinks, with a fresh DynamoDB table and
  empty warehouse tables; helpers to read what the sinks hold.
- `private_redis`: a redis-server of our own (the shared one is never stopped); tests that
  start workers publish to it with `use_broker`, so no other worker takes their tasks.
- `sink_worker`: starts `celery worker` processes with the sinks' environment.
- `TcpProxy`: a cuttable TCP forwarder, to make the warehouse unreachable.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest

from ops.dynalite import DynaliteServer, free_port, port_answers

PG = "postgres://postgres@127.0.0.1:5432"


# --- DynamoDB stand-in -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dynalite(tmp_path_factory: Any) -> Iterator[DynaliteServer]:
    folder = tmp_path_factory.mktemp("dynalite")
    server = DynaliteServer(path=folder / "data", log_path=folder / "dynalite.log").start()
    yield server
    server.stop()


# --- the warehouse database --------------------------------------------------------------------


@pytest.fixture(scope="session")
def warehouse_url(django_db_setup: Any) -> Iterator[str]:
    from django.conf import settings

    test_db = settings.DATABASES["default"]["NAME"]
    name = f"{test_db}_warehouse"
    url = f"{PG}/{name}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    from sinks.warehouse.setup import warehouse_database_ensure, warehouse_tables_ensure

    assert warehouse_database_ensure(url)
    warehouse_tables_ensure(url, dialect="postgresql")
    yield url
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- both sinks on, for one test ----------------------------------------------------------------


@dataclass
class Sinks:
    dynamodb_url: str
    table: str
    warehouse_url: str
    env: dict[str, str] = field(default_factory=dict)

    def client(self) -> Any:
        import boto3

        return boto3.client("dynamodb", endpoint_url=self.dynamodb_url, region_name="us-east-1")

    def items(self) -> dict[str, dict[str, Any]]:
        from sinks.dynamodb import DynamoDBSink

        sink = DynamoDBSink(client=self.client(), table=self.table)
        return {item["application_id"]: item for item in sink.scan_state()}

    def item_count(self) -> int:
        return self.client().scan(TableName=self.table, Select="COUNT")["Count"]

    def warehouse(self, sql: str, params: Any = None) -> list[tuple]:
        with psycopg.connect(self.warehouse_url) as conn:
            return conn.execute(sql, params).fetchall()

    def decision_rows(self) -> dict[str, int]:
        """application id -> number of fact_decision rows."""
        return dict(
            self.warehouse("SELECT application_id, COUNT(*) FROM fact_decision GROUP BY application_id")
        )


@pytest.fixture
def sinks_on(settings: Any, dynalite: DynaliteServer, warehouse_url: str) -> Sinks:
    from sinks.dynamodb_table import dynamodb_table_ensure

    table = f"test-{uuid.uuid4().hex[:10]}"
    settings.SINKS = ["dynamodb", "warehouse"]
    settings.DYNAMODB_ENDPOINT_URL = dynalite.url
    settings.DYNAMODB_TABLE = table
    settings.DYNAMODB_TIMEOUT_SECONDS = 2.0
    settings.WAREHOUSE_URL = warehouse_url
    settings.WAREHOUSE_DIALECT = "postgresql"
    settings.WAREHOUSE_STAGING_URL = ""
    settings.WAREHOUSE_CONNECT_TIMEOUT_SECONDS = 2
    settings.OUTBOX_RETRY_BASE_SECONDS = 0.2
    settings.OUTBOX_RETRY_MAX_SECONDS = 1.0
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("TRUNCATE fact_decision, fact_review, dim_model_version")
    created, problems = dynamodb_table_ensure(table=table, wait_seconds=10)
    assert created and not problems
    env = {
        "SINKS": "dynamodb,warehouse",
        "DYNAMODB_ENDPOINT_URL": dynalite.url,
        "DYNAMODB_TABLE": table,
        "DYNAMODB_TIMEOUT_SECONDS": "2",
        "WAREHOUSE_URL": warehouse_url,
        "WAREHOUSE_CONNECT_TIMEOUT_SECONDS": "2",
        "OUTBOX_RETRY_BASE_SECONDS": "0.2",
        "OUTBOX_RETRY_MAX_SECONDS": "1",
    }
    return Sinks(dynamodb_url=dynalite.url, table=table, warehouse_url=warehouse_url, env=env)


# --- a broker of our own ------------------------------------------------------------------------


class RedisServer:
    """A redis-server process on a free port that keeps nothing on disk (as the shared one)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not port_answers(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server did not start; see {self.folder / 'redis.log'}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushdb()


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: Any) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@contextlib.contextmanager
def use_broker(url: str) -> Iterator[None]:
    """Publish this process's Celery tasks to `url` (then back to the configured broker)."""
    from config.celery import app

    def switch(to: str | None) -> None:
        # kombu keeps one pool per broker URL for the process; just stop using this one.
        app._pool = None
        app.amqp._producer_pool = None
        # Celery prefers the CELERY_BROKER_URL variable over its configuration.
        if to is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = to

    previous = os.environ.get("CELERY_BROKER_URL")
    switch(url)
    try:
        yield
    finally:
        switch(previous)


# --- workers with the sinks' environment --------------------------------------------------------


@pytest.fixture
def sink_worker(django_db_setup: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """`start(broker_url, extra_env)` starts a worker process; all are stopped afterwards."""
    from django.db import connection

    from tests.conftest import WorkerProcess

    started: list[WorkerProcess] = []
    database = connection.settings_dict

    def start(broker_url: str, extra_env: dict[str, str] | None = None, name: str = "w") -> Any:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}",
            "CELERY_BROKER_URL": broker_url,
            "SCORING_REDRIVE_AFTER_SECONDS": "1",
            "SCORING_LEASE_SECONDS": "5",
            **(extra_env or {}),
        }
        worker = WorkerProcess(env, tmp_path / f"worker-{name}-{len(started)}.log")
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


# --- a TCP proxy we can cut -----------------------------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target. `cut()` drops every connection and refuses
    new ones (a network partition); `restore()` lets traffic through again."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.setblocking(False)
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._lock = threading.Lock()
        self._cut = False
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            for sock in list(self._pairs):
                with contextlib.suppress(OSError):
                    sock.close()
            self._pairs.clear()

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        self._stop = True
        self.cut()
        self._thread.join(timeout=5)
        self.listener.close()

    def _run(self) -> None:
        while not self._stop:
            ready = selectors.DefaultSelector()
            ready.register(self.listener, selectors.EVENT_READ)
            with self._lock:
                socks = list(self._pairs)
            for sock in socks:
                with contextlib.suppress(ValueError, KeyError, OSError):
                    ready.register(sock, selectors.EVENT_READ)
            for key, _ in ready.select(timeout=0.05):
                ready_sock = cast(socket.socket, key.fileobj)  # one of those registered above
                if ready_sock is self.listener:
                    self._accept()
                else:
                    self._forward(ready_sock)
            ready.close()

    def _accept(self) -> None:
        try:
            client, _ = self.listener.accept()
        except BlockingIOError:
            return
        if self._cut:
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=2)
        except OSError:
            client.close()
            return
        with self._lock:
            self._pairs[client] = upstream
            self._pairs[upstream] = client

    def _forward(self, sock: socket.socket) -> None:
        with self._lock:
            peer = self._pairs.get(sock)
        if peer is None:
            return
        try:
            data = sock.recv(65536)
            if data:
                peer.sendall(data)
                return
        except OSError:
            pass
        with self._lock:
            for end in (sock, peer):
                self._pairs.pop(end, None)
                with contextlib.suppress(OSError):
                    end.close()


@pytest.fixture
def warehouse_proxy(warehouse_url: str) -> Iterator[TcpProxy]:
    proxy = TcpProxy(5432)
    yield proxy
    proxy.close()

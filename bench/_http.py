"""A small HTTP/1.1 load generator: closed loop (throughput) and open loop (fixed rate).

Raw sockets rather than http.client: on two cores the client shares the CPU with the
server, and http.client costs about twice the client CPU per request (~160 against ~70 us
measured for GET /healthz), CPU the server then lacks. Keep-alive is used whenever the
server allows it (gunicorn's sync workers answer `Connection: close`, so there every
request pays a TCP connect, as a real client of that deployment would).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


class _Closed(Exception):
    """The server closed the connection before a whole response arrived."""


class Connection:
    def __init__(self, host: str, port: int):
        self.address = (host, port)
        self.sock: socket.socket | None = None

    def request(self, data: bytes) -> tuple[int, bytes]:
        """Send one request, return (status, body). A kept-alive connection the server has
        closed meanwhile is retried once on a new one; a fresh connection's failure raises."""
        reused = self.sock is not None
        try:
            return self._exchange(data)
        except (OSError, _Closed):
            self.close()
            if not reused:
                raise
            return self._exchange(data)

    def _exchange(self, data: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(data)
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            buffer += self._recv()
        head, _, body = buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if b"chunked" in headers.get(b"transfer-encoding", b""):
            raise NotImplementedError("chunked responses are not supported by this client")
        if b"content-length" in headers:
            length = int(headers[b"content-length"])
            while len(body) < length:
                body += self._recv()
            if headers.get(b"connection") == b"close":
                self.close()
        else:  # no length: the body ends when the server closes
            while chunk := self._recv(eof_ok=True):
                body += chunk
            self.close()
        return status, body

    def _recv(self, eof_ok: bool = False) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk and not eof_ok:
            raise _Closed
        return chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


# --- requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Get:
    path: str
    port: int

    def build(self) -> bytes:
        return (
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAccept: application/json\r\n\r\n"
        ).encode()


@dataclass(frozen=True)
class SubmitApplication:
    """POST /api/v1/applications/ with a new Idempotency-Key and national_id each time, so
    each request is a new application by a new applicant, as under real load."""

    port: int
    token: str
    answers: dict[str, Any] = field(hash=False)

    def build(self) -> bytes:
        unique = uuid.uuid4().hex
        body = json.dumps({"answers": {**self.answers, "national_id": f"BN-{unique[:16]}"}}).encode()
        head = (
            f"POST /api/v1/applications/ HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Token {self.token}\r\nIdempotency-Key: {unique}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body


# --- closed loop: as fast as the server answers ----------------------------------------------


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, one per counted request
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def ok(self, expected: int) -> int:
        return self.statuses.get(expected, 0)


def _closed_loop_client(
    request: Get | SubmitApplication, start: float, warmup: float, duration: float
) -> LoadResult:
    connection = Connection("127.0.0.1", request.port)
    result = LoadResult(seconds=duration)
    measure_from, stop = start + warmup, start + warmup + duration
    time.sleep(max(start - time.time(), 0))
    while (now := time.time()) < stop:
        data = request.build()
        began = time.perf_counter()
        try:
            status, _ = connection.request(data)
        except (OSError, _Closed):
            status = -1
        elapsed = time.perf_counter() - began
        if now >= measure_from:
            result.requests += 1
            result.latencies.append(elapsed)
            result.statuses[status] += 1
            result.errors += status == -1
    connection.close()
    return result


def closed_loop(
    request: Get | SubmitApplication,
    *,
    clients: int,
    warmup: float,
    duration: float,
    start: float | None = None,
) -> LoadResult:
    """`clients` processes, each sending its next request when the last one is answered,
    all from `start` (epoch seconds; default in 0.5s, once their processes exist); requests
    started in the first `warmup` seconds are not counted."""
    start = start or time.time() + 0.5
    with ProcessPoolExecutor(max_workers=clients) as pool:
        parts = list(
            pool.map(
                _closed_loop_client,
                [request] * clients,
                [start] * clients,
                [warmup] * clients,
                [duration] * clients,
            )
        )
    total = LoadResult(seconds=duration)
    for part in parts:
        total.requests += part.requests
        total.latencies += part.latencies
        total.statuses += part.statuses
        total.errors += part.errors
    return total


# --- open loop: a fixed rate, whatever the latency -------------------------------------------


@dataclass
class Sent:
    sent_at: float  # when it was due (time.time() clock), which is when a real client sends
    latency: float  # seconds from then until the answer
    status: int
    body: bytes


def open_loop(request: SubmitApplication, *, rate: float, count: int, threads: int = 32) -> list[Sent]:
    """Send `count` requests at `rate` per second on schedule: a slow answer does not delay
    the next request, it only occupies one of the threads. Latency counts from when a
    request was due, so a request that waited for a free thread still shows its wait
    (no coordinated omission)."""
    local = threading.local()
    wall, begin = time.time(), time.perf_counter()

    def send(data: bytes, i: int) -> Sent:
        if not hasattr(local, "connection"):
            local.connection = Connection("127.0.0.1", request.port)
        try:
            status, body = local.connection.request(data)
        except (OSError, _Closed):
            status, body = -1, b""
        return Sent(wall + i / rate, time.perf_counter() - (begin + i / rate), status, body)

    futures = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for i in range(count):
            data = request.build()
            time.sleep(max(begin + i / rate - time.perf_counter(), 0))
            futures.append(pool.submit(send, data, i))
    return [f.result() for f in futures]

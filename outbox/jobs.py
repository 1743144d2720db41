"""The one job mechanism: background work (training runs, rescoring chunks, exports,
retraining runs) claimed by a lease, kept alive by a heartbeat, and re-driven in one place.

A job model inherits `LeasedJob` and names its status values (WAITING, RUNNING, DONE,
FAILED: each table keeps its own words). Then:

- `job_claim` takes a waiting job by one conditional UPDATE (waiting → running, a new claim
  token, `lease_expires_at` = now + lease, attempts + 1); the caller proceeds only when
  exactly one row changed, so two deliveries of one message never both run it.
- `job_heartbeat` (or the `Heartbeat` thread around the work) renews the lease while the
  worker lives; every write of the holder is conditional on its claim token, so a worker
  that lost its lease (paused past it, then woke up) cannot overwrite its successor.
- `job_finish` / `job_retry` end an attempt: done, failed, or waiting again after a backoff
  (outbox.backoff) until JOB_MAX_ATTEMPTS.
- `job_publish` hands a new job to its worker through the `publish` its app registered
  (`register_job`, in `AppConfig.ready()`, names the Celery task); `jobs_publish_on_commit`
  does it for several once the transaction that made them commits.
- `jobs_redrive` (one periodic task for every kind, `register_job`) recovers running jobs
  whose lease expired (their worker died: waiting again, or failed when out of attempts)
  and publishes waiting jobs whose `next_attempt_at` came (a message lost with the broker,
  a backoff that ended). `next_attempt_at` only says when to publish again; a duplicate
  message is harmless, the claim makes it moot.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import close_old_connections, connection, models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from outbox.backoff import backoff

logger = logging.getLogger(__name__)


def redrive_later() -> dt.datetime:
    """A new job is published on commit; the re-drive publishes it again only if it still
    waits this long after (the message was lost with the broker)."""
    return timezone.now() + dt.timedelta(seconds=settings.JOB_REDRIVE_AFTER_SECONDS)


class LeasedJob(models.Model):
    """Fields every job shares. Subclasses name their status values in WAITING, RUNNING,
    DONE and FAILED, and keep their own `status` field."""

    WAITING: str = "pending"
    RUNNING: str = "running"
    DONE: str = "finished"
    FAILED: str = "failed"

    attempts = models.PositiveSmallIntegerField(default=0)
    # The holder's token: every write of a running job is conditional on it.
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # When the re-drive publishes the job (again) if it is still waiting.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=redrive_later)
    error = models.TextField(blank=True, default="")

    class Meta:
        abstract = True


Job = TypeVar("Job", bound=LeasedJob)


def _jobs(model: type[LeasedJob]) -> QuerySet[Any]:
    """Every row of one job table. Typed as rows of any model: `status` is each job model's
    own field, which the abstract LeasedJob does not declare (so the type checker would refuse
    lookups on it)."""
    return model._default_manager.all()


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)


def job_claim(model: type[LeasedJob], pk: Any, **changes: Any) -> uuid.UUID | None:
    """Take a waiting job; the claim token, or None when it is done or held elsewhere."""
    now, claim = timezone.now(), uuid.uuid4()
    changed = (
        _jobs(model)
        .filter(pk=pk, status=model.WAITING)
        .update(
            status=model.RUNNING,
            claim=claim,
            claimed_at=now,
            lease_expires_at=now + _lease(),
            attempts=F("attempts") + 1,
            **changes,
        )
    )
    return claim if changed == 1 else None


def job_start(model: type[Job], **fields: Any) -> tuple[Job, uuid.UUID]:
    """Create a job already running under a new claim (a periodic task that runs its work
    at once, like retraining)."""
    now, claim = timezone.now(), uuid.uuid4()
    job = _jobs(model).create(
        status=model.RUNNING,
        claim=claim,
        claimed_at=now,
        lease_expires_at=now + _lease(),
        attempts=1,
        next_attempt_at=None,
        **fields,
    )
    return job, claim


def held(model: type[LeasedJob], pk: Any, claim: uuid.UUID) -> QuerySet[Any]:
    """The job, as a queryset, only while this claim holds it."""
    return _jobs(model).filter(pk=pk, claim=claim, status=model.RUNNING)


def job_heartbeat(model: type[LeasedJob], pk: Any, claim: uuid.UUID) -> bool:
    """Renew the lease; False when the claim was lost (the caller should stop)."""
    return held(model, pk, claim).update(lease_expires_at=timezone.now() + _lease()) == 1


def job_finish(
    model: type[LeasedJob], pk: Any, claim: uuid.UUID, *, failed: bool = False, **changes: Any
) -> bool:
    """Done (or failed for good) under this claim; False if the claim was lost."""
    return (
        held(model, pk, claim).update(
            status=model.FAILED if failed else model.DONE,
            claim=None,
            lease_expires_at=None,
            next_attempt_at=None,
            **changes,
        )
        == 1
    )


def job_retry(
    model: type[LeasedJob],
    pk: Any,
    claim: uuid.UUID,
    *,
    error: str,
    max_attempts: int | None = None,
    **changes: Any,
) -> bool:
    """A transient failure: waiting again after a backoff, or failed when out of attempts.
    Returns True when it will be tried again."""
    job = held(model, pk, claim).values("attempts").first()
    if job is None:
        return False
    limit = max_attempts or settings.JOB_MAX_ATTEMPTS
    if job["attempts"] >= limit:
        job_finish(
            model,
            pk,
            claim,
            failed=True,
            error=f"failed after {job['attempts']} attempts: {error}"[:4000],
            **changes,
        )
        return False
    held(model, pk, claim).update(
        status=model.WAITING,
        claim=None,
        lease_expires_at=None,
        error=error[:4000],
        next_attempt_at=timezone.now() + _backoff(job["attempts"]),
        **changes,
    )
    return True


def _backoff(attempts: int) -> dt.timedelta:
    return backoff(attempts, base=settings.JOB_RETRY_BASE_SECONDS, cap=settings.JOB_RETRY_MAX_SECONDS)


class Heartbeat:
    """Renews a lease every `every` seconds from a daemon thread while the work runs.

        with Heartbeat(lambda: job_heartbeat(TrainingRun, pk, claim)):
            train()

    The thread uses its own database connection (closed when the heartbeat stops); a beat
    that fails (database away for a moment) is logged and tried again at the next tick.
    `lost` is set when the renewal says the claim is gone, for work that can stop early.

    Each heartbeat has a thread of its own while it runs, taken from the idle ones of this
    process (`_Beater`): the scorer enters one per batch, and starting a thread cost it
    0.2-0.6 ms a batch, more than most of its batches' renewals (none) ever do."""

    def __init__(self, renew: Callable[[], bool], *, every: float | None = None):
        self.renew = renew
        self.every = every if every is not None else settings.JOB_LEASE_SECONDS / 3
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._beating = False

    def __enter__(self) -> Heartbeat:
        # With SQLite (one connection shared by tests) a second thread cannot write; the
        # lease then only runs out if the process dies, which is what it is for.
        if connection.vendor == "postgresql":
            _Beater.take().run(self)
            self._beating = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._beating:
            self._done.wait(timeout=10)  # no renewal of this lease runs after the work ends

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    if not self.renew():
                        self.lost.set()
                        return
                except Exception:
                    logger.warning("lease heartbeat failed; trying again", exc_info=True)
                    close_old_connections()
        finally:
            connection.close()


class _Beater:
    """A daemon thread that runs one Heartbeat at a time, then waits, idle, for the next."""

    _idle: list[_Beater] = []
    _lock = threading.Lock()

    def __init__(self) -> None:
        self._assigned = threading.Event()
        self._heartbeat: Heartbeat | None = None
        self._thread = threading.Thread(target=self._serve, name="lease-heartbeat", daemon=True)
        self._thread.start()

    @classmethod
    def take(cls) -> _Beater:
        with cls._lock:
            while cls._idle:
                beater = cls._idle.pop()
                if beater._thread.is_alive():
                    return beater
        return cls()

    @classmethod
    def forget_after_fork(cls) -> None:
        # A forked child (a Celery worker process) has none of its parent's threads.
        cls._idle, cls._lock = [], threading.Lock()

    def run(self, heartbeat: Heartbeat) -> None:
        self._heartbeat = heartbeat
        self._assigned.set()

    def _serve(self) -> None:
        while True:
            self._assigned.wait()
            self._assigned.clear()
            heartbeat, self._heartbeat = self._heartbeat, None
            if heartbeat is None:
                continue
            try:
                heartbeat._run()
            except Exception:
                logger.warning("lease heartbeat stopped", exc_info=True)
            finally:
                # Idle again before the work may go on, so its next heartbeat finds this thread.
                with _Beater._lock:
                    _Beater._idle.append(self)
                heartbeat._done.set()


os.register_at_fork(after_in_child=_Beater.forget_after_fork)


# --- the one re-drive ------------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    model: type[LeasedJob]
    publish: Callable[[Any], Any]
    # An expired lease puts the job back to wait (True) or fails it (False: work that a
    # later periodic check starts afresh, like retraining).
    retry_expired: bool = True
    max_attempts: int | None = None
    # Which jobs the re-drive looks after (e.g. chunks run by Celery, not by SageMaker).
    publishable: Q | None = None


_kinds: dict[str, JobKind] = {}


def register_job(kind: JobKind) -> None:
    """Called from the owning app's `AppConfig.ready()`."""
    _kinds[kind.model._meta.label] = kind


def registered_jobs() -> dict[str, JobKind]:
    return dict(_kinds)


def job_publish(model: type[LeasedJob], pk: Any) -> None:
    """Hand a job to its worker now, the way the re-drive does: through the `publish` its app
    registered (so a service never imports its own app's Celery tasks)."""
    _kinds[model._meta.label].publish(pk)


def jobs_publish_on_commit(model: type[LeasedJob], pks: list[Any]) -> None:
    """Hand these jobs to their workers once the transaction that made them commits. Robust:
    with the broker down they stay pending, and the job re-drive hands them out later."""

    def publish() -> None:
        for pk in pks:
            job_publish(model, pk)

    transaction.on_commit(publish, robust=True)


@dataclass
class RedriveResult:
    recovered: int = 0
    failed: int = 0
    published: int = 0


def job_kind_redrive(kind: JobKind, *, limit: int = 100) -> RedriveResult:
    model, result, now = kind.model, RedriveResult(), timezone.now()
    expired = _jobs(model).filter(status=model.RUNNING, lease_expires_at__lt=now)
    if kind.publishable is not None:
        expired = expired.filter(kind.publishable)
    limit_attempts = kind.max_attempts or settings.JOB_MAX_ATTEMPTS
    lost = "the worker running it stopped (its lease expired)"
    if kind.retry_expired:
        result.failed = expired.filter(attempts__gte=limit_attempts).update(
            status=model.FAILED,
            claim=None,
            lease_expires_at=None,
            next_attempt_at=None,
            error=f"{lost}; out of attempts",
        )
        result.recovered = expired.update(
            status=model.WAITING,
            claim=None,
            lease_expires_at=None,
            next_attempt_at=now,
            error=f"{lost}; trying again",
        )
    else:
        result.failed = expired.update(
            status=model.FAILED, claim=None, lease_expires_at=None, next_attempt_at=None, error=lost
        )
    due = _jobs(model).filter(status=model.WAITING, next_attempt_at__lte=now)
    if kind.publishable is not None:
        due = due.filter(kind.publishable)
    pks = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    if pks:
        # Publish again only if it still waits after another while (a lost message).
        _jobs(model).filter(pk__in=pks, status=model.WAITING).update(next_attempt_at=redrive_later())
        for pk in pks:
            try:
                kind.publish(pk)
            except Exception:  # the broker is away: the next re-drive tries again
                logger.warning("could not publish %s %s", model._meta.label, pk, exc_info=True)
                break
    result.published = len(pks)
    return result


def jobs_redrive() -> dict[str, dict[str, int]]:
    """Periodic (beat: redrive-jobs): every registered kind of job."""
    report = {}
    for label, kind in _kinds.items():
        result = job_kind_redrive(kind)
        if result.recovered or result.failed or result.published:
            logger.info("job re-drive %s: %s", label, result)
        report[label] = vars(result)
    return report

"""Retraining from labels: count labels that arrived since the active model was trained;
past RETRAIN_MIN_NEW_LABELS, train a candidate (the model lifecycle's training service) and
email the approvers, who approve it in the model registry. Nothing is activated here.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.roles import Role
from applicants.models import Application
from auditing.models import JobStatus, RetrainRun
from outbox.jobs import Heartbeat, job_heartbeat, job_start
from scoring.models import ModelStatus, ModelVersion
from trail.services import trail_record

logger = logging.getLogger(__name__)


def labels_watermark() -> dt.datetime | None:
    """Labels after this moment are new: the later of the active model's training and the
    last retraining run that finished (a waiting candidate is not trained again)."""
    active = (
        ModelVersion.objects.filter(status=ModelStatus.ACTIVE).values_list("created_at", flat=True).first()
    )
    last_run = RetrainRun.objects.filter(status=JobStatus.DONE).aggregate(until=Max("labels_until"))["until"]
    marks = [m for m in (active, last_run) if m is not None]
    return max(marks) if marks else None


def new_labels_count(*, until: dt.datetime) -> int:
    since = labels_watermark()
    labelled = Application.objects.filter(labelled_at__isnull=False, labelled_at__lte=until)
    return (labelled.filter(labelled_at__gt=since) if since else labelled).count()


def retrain_if_due(*, now: dt.datetime | None = None) -> RetrainRun | None:
    """Train a candidate when enough new labels arrived. One run at a time (a unique
    running row is the claim, a job started running under a lease its heartbeat renews:
    when its worker dies the job re-drive fails it, and a later check starts again);
    returns the run, or None when nothing was due."""
    now = now or timezone.now()
    count = new_labels_count(until=now)
    if count < settings.RETRAIN_MIN_NEW_LABELS:
        return None
    try:
        with transaction.atomic():
            run, claim = job_start(RetrainRun, new_labels=count, labels_until=now, started_at=now)
    except IntegrityError:
        return None  # another worker is training right now
    with Heartbeat(lambda: job_heartbeat(RetrainRun, run.pk, claim)):
        return _train(run)


def _train(run: RetrainRun) -> RetrainRun:
    from modelops.datasets import NotEnoughData
    from modelops.services import model_train_from_labels

    try:
        model = model_train_from_labels(trained_by=None, progress=None, seed=7)
    except NotEnoughData as exc:
        # Not an outage: wait for the next batch of labels before trying again.
        _finish(run, status=JobStatus.DONE, error=f"not trained: {exc}")
        return run
    except Exception as exc:
        _finish(run, status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    with transaction.atomic():
        trail_record(
            action="model.retrain_candidate",
            object_type="model_version",
            object_id=model.version,
            after={
                "new_labels": run.new_labels,
                "training_source": model.training_source,
                "status": model.status,
            },
            note="trained from auditor labels by the periodic check",
        )
        _finish(run, status=JobStatus.DONE, model_version=model)
    run.notified = notify_approvers(model=model, new_labels=run.new_labels)
    RetrainRun.objects.filter(pk=run.pk).update(notified=run.notified)
    return run


def _finish(run: RetrainRun, **changes: Any) -> None:
    changes.update(finished_at=timezone.now(), claim=None, lease_expires_at=None)
    for name, value in changes.items():
        setattr(run, name, value)
    run.save(update_fields=list(changes))


def approvers() -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(groups__name=str(Role.APPROVER), is_active=True)
        .exclude(email="")
        .order_by("username")
        .distinct()
    )


def notify_approvers(*, model: ModelVersion, new_labels: int) -> int:
    """One email per approver (nobody sees the others' addresses). A mail server outage
    does not undo the training: it is logged and the candidate waits in the registry."""
    metrics = model.metrics or {}
    comparison = metrics.get("comparison_with_active") or {}
    lines = [
        f"A candidate model, v{model.version}, was trained from {new_labels:,} new auditor "
        "labels and waits for approval.",
        "",
        f"Training data: {model.training_source} ({model.training_rows:,} rows)",
        f"ROC AUC (high vs rest): {_fmt(metrics.get('roc_auc_high_vs_rest'))}",
        f"Accuracy: {_fmt(metrics.get('accuracy'))}",
        f"Log loss: {_fmt(metrics.get('log_loss'))}",
    ]
    if comparison.get("available"):
        lines.append(
            f"Against the active v{comparison['version']} on the same rows: "
            + ", ".join(f"{k} {v:+}" for k, v in comparison.get("delta", {}).items())
        )
    lines += [
        "",
        f"Review and approve it in the model registry: {settings.SITE_URL}"
        f"/admin/scoring/modelversion/{model.pk}/change/",
        "",
        "Nothing changes for applicants until an approver approves and activates it.",
    ]
    subject = f"[riskscore] model v{model.version} is ready for approval"
    messages = [
        (subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [user.email]) for user in approvers()
    ]
    if not messages:
        logger.warning("model v%s waits for approval, but no approver has an email address", model.version)
        return 0
    try:
        return send_mass_mail(messages, fail_silently=False)
    except Exception:
        logger.exception("could not email the approvers about model v%s", model.version)
        return 0


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "n/a"

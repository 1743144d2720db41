"""Training services: assemble data, fit, measure, register. Commands and tasks call these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.types import User
from applicants.schema import ApplicationSchema, get_schema
from modelops.baseline import baseline_metrics
from modelops.datasets import assemble_training_set, check_trainable
from modelops.evaluation import evaluate
from modelops.models import TrainingRun
from modelops.registry import model_version_register
from modelops.training import TrainedModel, data_fingerprint, fit, search_params
from outbox.jobs import Heartbeat, held, job_claim, job_finish, job_heartbeat, job_publish
from scoring.artifact_store import load_booster
from scoring.encoding import fits_schema, model_input
from scoring.models import ModelStatus, ModelVersion
from scoring.probabilities import adjust_for_class_weights

Progress = Callable[[int, int], None]


def model_train_from_labels(
    *,
    trained_by: User | None = None,
    progress: Progress | None = None,
    seed: int = 7,
    target: str = "auto",
    search: bool = False,
    on_stage: Callable[[str], None] | None = None,
    on_candidate: Callable[[dict[str, Any]], None] | None = None,
    search_seconds: float | None = None,
) -> ModelVersion:
    """Train on auditor labels plus imported history (k-fold cross-validated, refitted on every
    row, checked out-of-time where rows have dates) and register a candidate.

    Raises datasets.NotEnoughData when there are too few labelled rows or a class is missing.
    """
    stage = on_stage or (lambda _text: None)
    schema = get_schema()
    stage("assembling labels and history")
    data = assemble_training_set(schema, target=target)
    check_trainable(data, settings.LIFECYCLE_MIN_TRAINING_ROWS)
    params: dict[str, Any] = {}
    searched: dict[str, Any] | None = None
    if search:
        seconds = search_seconds or settings.LIFECYCLE_SEARCH_SECONDS
        stage(f"searching hyperparameters (at most {seconds:.0f} s)")
        searched = search_params(
            data.matrix,
            data.labels,
            target=data.target,
            seed=seed,
            nthread=settings.LIFECYCLE_TRAIN_THREADS,
            seconds=seconds,
            imbalance_share=settings.LIFECYCLE_IMBALANCE_SHARE,
            on_step=progress,
            on_candidate=on_candidate,
            schema=schema,
        )
        params = searched["params"]
    stage(f"cross-validating and boosting on {len(data.labels):,} rows")
    trained = fit(
        data.matrix,
        data.labels,
        feature_names=list(schema.feature_names),
        seed=seed,
        params=params,
        progress=progress,
        nthread=settings.LIFECYCLE_TRAIN_THREADS,
        target=data.target,
        times=data.times if data.has_dates else None,
        imbalance_share=settings.LIFECYCLE_IMBALANCE_SHARE,
        binary_shares=settings.LIFECYCLE_BINARY_TIER_SHARES,
        schema=schema,
    )
    # The fingerprint covers which rows, in which order, as well as their values.
    trained.fingerprint = data_fingerprint(data.matrix, data.labels, data.row_keys_hash.encode())
    if searched:
        trained.params["searched"] = {
            "tried": searched["tried"],
            "chosen": searched["chosen"],
            "scores": searched["scores"],
        }
    stage("measuring the baseline and the active model on the same rows")
    measure_beside(trained, schema, data.matrix, data.labels)
    trained.metrics["training_notes"] = data.notes
    trained.metrics["rows_by_source"] = data.counts
    return model_version_register(
        trained=trained, schema=schema, trained_by=trained_by, training_source=data.source
    )


def measure_beside(
    trained: TrainedModel, schema: ApplicationSchema, matrix: np.ndarray, labels: np.ndarray
) -> None:
    """Add the logistic-regression baseline (same folds) and the active model (same rows)."""
    choice_columns = [i for i, f in enumerate(schema.features) if f.kind == "choice"]
    trained.metrics["baseline_logistic_regression"] = baseline_metrics(
        matrix,
        labels,
        trained.folds,
        target=trained.target,
        thresholds=trained.thresholds,
        class_weights=trained.params.get("class_weights"),
        choice_columns=choice_columns,
    )
    baseline = trained.metrics["baseline_logistic_regression"]
    # Boosting has to earn its place: say so when the plain regression did better.
    auc, baseline_auc = trained.metrics.get("roc_auc_high_vs_rest"), baseline.get("roc_auc_high_vs_rest")
    trained.metrics["baseline_better"] = bool(
        baseline["log_loss"] < trained.metrics["log_loss"] - 0.005
        or (auc is not None and baseline_auc is not None and baseline_auc > auc + 0.005)
    )
    trained.metrics["comparison_with_active"] = compare_with_active(trained, schema)


def compare_with_active(trained: TrainedModel, schema: ApplicationSchema) -> dict[str, Any]:
    active = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
    if active is None:
        return {"available": False, "reason": "no model is active"}
    if not fits_schema(active, schema):
        return {
            "available": False,
            "version": active.version,
            "reason": f"the active v{active.version} uses other features",
        }
    if active.target != trained.target:
        return {
            "available": False,
            "version": active.version,
            "reason": f"the active v{active.version} predicts {active.target}, this model {trained.target}",
        }
    assert trained.eval_matrix is not None and trained.eval_labels is not None
    assert trained.eval_probs is not None
    ours = evaluate(trained.eval_labels, trained.eval_probs, trained.thresholds, target=trained.target)
    booster = load_booster(active.artifact_uri)
    probs = adjust_for_class_weights(
        np.asarray(booster.inplace_predict(model_input(active, trained.eval_matrix, schema))),
        (active.params or {}).get("class_weights"),
    )
    theirs = evaluate(trained.eval_labels, probs, active.thresholds, target=active.target)
    delta = {}
    for key in ("roc_auc_high_vs_rest", "log_loss", "accuracy"):
        if ours.get(key) is not None and theirs.get(key) is not None:
            delta[key] = round(ours[key] - theirs[key], 4)
    return {
        "available": True,
        "version": active.version,
        "metrics": theirs,
        "candidate": ours,
        "delta": delta,
        "rows": len(trained.eval_labels),
    }


# --- training runs (pages and Celery) -------------------------------------------------------


def training_run_request(*, requested_by: User | None) -> TrainingRun:
    """Queue a training from labels and history; the worker runs it and reports progress."""
    with transaction.atomic():
        run = TrainingRun.objects.create(requested_by=requested_by, stage="waiting for a worker")
        # robust: a broker that is down must not fail the request; the run stays pending and
        # the job re-drive (outbox.jobs) hands it out later.
        transaction.on_commit(lambda: job_publish(TrainingRun, run.pk), robust=True)
    return run


def training_run_execute(*, run_id: int) -> TrainingRun | None:
    """Claim a queued training run (a lease, outbox.jobs) and run it; None if it is done or
    held by another worker. A heartbeat renews the lease while the booster trains; a worker
    killed mid-way lets the lease run out, and the job re-drive starts the run again."""
    claim = job_claim(TrainingRun, run_id, stage="starting", done=0, total=0)
    if claim is None:
        return None
    run = TrainingRun.objects.select_related("requested_by").get(pk=run_id)
    mine = held(TrainingRun, run_id, claim)

    def stage(text: str) -> None:
        mine.update(stage=text[:200])

    last = [0]

    def progress(done: int, total: int) -> None:
        if done - last[0] >= 10 or done == total:  # a write every ten rounds is plenty
            last[0] = done
            mine.update(done=done, total=total)

    with Heartbeat(lambda: job_heartbeat(TrainingRun, run_id, claim)):
        try:
            model = model_train_from_labels(trained_by=run.requested_by, progress=progress, on_stage=stage)
        except Exception as exc:
            # Training fails for reasons another try would not change (too few labels, a
            # bad schema): failed at once, with the reason for the page.
            job_finish(
                TrainingRun,
                run_id,
                claim,
                failed=True,
                error=str(exc)[:2000],
                finished_at=timezone.now(),
                stage="failed",
            )
            raise
    job_finish(
        TrainingRun,
        run_id,
        claim,
        model_version=model,
        finished_at=timezone.now(),
        stage=f"registered v{model.version} as a candidate",
    )
    run.refresh_from_db()
    return run

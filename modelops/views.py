"""The model registry pages: versions with their metrics and lineage, approval, activation,
rollback, shadow scoring, training and rescoring runs. Thin: access from accounts.access,
writes through the registry and training services, reads from selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import (
    can_activate_model,
    can_approve_model,
    can_approve_models,
    can_train_model,
    can_view_models,
)
from accounts.types import AuthenticatedHttpRequest
from modelops import selectors
from modelops.forms import RescoreForm
from modelops.models import TrainingRun
from modelops.pictures import model_pictures
from modelops.registry import (
    LifecycleError,
    model_version_activate,
    model_version_approve,
    model_version_retire,
    model_version_rollback,
    model_version_set_shadow,
    rollback_target,
)
from modelops.report import comparison_rows
from modelops.rescoring import rescore_candidates_count
from modelops.training_data import training_data
from scoring.models import TIERS, ModelStatus
from scoring.selectors import NoUsableModel


def _viewer(request: HttpRequest) -> None:
    if not can_view_models(request.user):
        raise PermissionDenied("The model registry is for approvers, analysts and administrators.")


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    versions = list(selectors.model_versions())
    for model in versions:
        # Figures for the template, beside the model's own fields.
        baseline = (model.metrics.get("baseline_logistic_regression") or {}).get("roc_auc_high_vs_rest")
        setattr(model, "baseline_auc", baseline)  # noqa: B010
        setattr(model, "agreement", selectors.shadow_agreement(model) if model.shadow else None)  # noqa: B010
    return render(
        request,
        "modelops/model_list.html",
        {
            "versions": versions,
            "active": next((m for m in versions if m.status == ModelStatus.ACTIVE), None),
            "rollback_to": rollback_target(),
            "can_activate": can_activate_model(request.user),
            "can_train": can_train_model(request.user),
            "training_runs": TrainingRun.objects.order_by("-created_at")[:5],
            "history": selectors.history_summary(),
            "data": training_data(),
        },
    )


@login_required
def model_detail(request: HttpRequest, version: int) -> HttpResponse:
    _viewer(request)
    model = selectors.model_version_get(version)
    if model is None:
        raise Http404(f"There is no model v{version}.")
    metrics = model.metrics or {}
    confusion = _confusion(model, metrics)
    return render(
        request,
        "modelops/model_detail.html",
        {
            "model": model,
            "metrics": metrics,
            "comparison": comparison_rows(model),
            "active_comparison": metrics.get("comparison_with_active") or {},
            "confusion": confusion,
            "chart_list": model_pictures(model, confusion),
            # JSONB keeps keys in its own order; tiers read best low → high.
            "per_tier": [
                (
                    tier,
                    (metrics.get("per_tier") or {}).get(tier) or {},
                    (metrics.get("roc_auc_per_tier") or {}).get(tier),
                )
                for tier in TIERS
            ],
            "reliability": (metrics.get("calibration") or {}).get(
                "adverse" if model.target == "binary" else "high"
            )
            or {},
            "agreement": selectors.shadow_agreement(model),
            "history": model.status_history.select_related("actor").all(),
            "deployments": model.deployments.all()[:10],
            "can_approve": model.status == ModelStatus.CANDIDATE and can_approve_model(request.user, model),
            "approve_blocked_self": model.status == ModelStatus.CANDIDATE
            and request.user.pk == model.trained_by_id
            and not can_approve_model(request.user, model),
            "can_activate": can_activate_model(request.user)
            and model.approved_at is not None
            and model.status in (ModelStatus.APPROVED, ModelStatus.RETIRED),
            "can_retire": can_activate_model(request.user)
            and model.status in (ModelStatus.CANDIDATE, ModelStatus.APPROVED),
            "can_shadow": can_activate_model(request.user)
            and model.status in (ModelStatus.CANDIDATE, ModelStatus.APPROVED),
        },
    )


def _confusion(model: Any, metrics: dict[str, Any]) -> list[tuple[str, list[int]]]:
    matrix = metrics.get("confusion_matrix") or []
    names = ["not adverse", "adverse"] if model.target == "binary" else ["low", "medium", "high"]
    return list(zip(names, matrix, strict=False))


def _act(request: HttpRequest, version: int | None, action: Any, done: str) -> HttpResponse:
    try:
        model = action()
    except (LifecycleError, NoUsableModel) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done.format(v=getattr(model, "version", version)))
    return redirect("modelops:model-detail", version=version) if version else redirect("modelops:model-list")


def _on_version(
    request: HttpRequest, version: int, step: Any, done: str, *, may: Any = can_activate_model
) -> HttpResponse:
    """A registry step on one version: `step(model, actor, post)` runs the service. A role
    that may never take the step gets a 403 here (the service still refuses it too)."""
    _viewer(request)
    if not may(request.user):
        raise PermissionDenied("Your role cannot change models this way.")
    model = get_object_or_404(selectors.model_versions(), version=version)
    return _act(request, version, lambda: step(model, request.user, request.POST), done)


@require_POST
@login_required
def model_approve(request: HttpRequest, version: int) -> HttpResponse:
    return _on_version(
        request,
        version,
        lambda m, actor, post: model_version_approve(model=m, actor=actor, note=post.get("note", "").strip()),
        "Approved v{v}. Activating it is a separate step.",
        may=can_approve_models,
    )


@require_POST
@login_required
def model_activate(request: HttpRequest, version: int) -> HttpResponse:
    return _on_version(
        request,
        version,
        lambda m, actor, post: model_version_activate(
            model=m, actor=actor, note=post.get("note", "").strip()
        ),
        "v{v} is active: new applications are scored with it.",
    )


@require_POST
@login_required
def model_retire(request: HttpRequest, version: int) -> HttpResponse:
    return _on_version(
        request,
        version,
        lambda m, actor, post: model_version_retire(model=m, actor=actor),
        "v{v} is retired.",
    )


@require_POST
@login_required
def model_shadow(request: HttpRequest, version: int) -> HttpResponse:
    enabled = request.POST.get("enabled") == "1"
    return _on_version(
        request,
        version,
        lambda m, actor, post: model_version_set_shadow(model=m, actor=actor, enabled=enabled),
        "v{v} now scores new applications in shadow." if enabled else "v{v} left shadow scoring.",
    )


@require_POST
@login_required
def model_rollback(request: AuthenticatedHttpRequest) -> HttpResponse:
    _viewer(request)
    if not can_activate_model(request.user):
        raise PermissionDenied("Rolling back is for approvers and administrators.")
    return _act(
        request,
        None,
        lambda: model_version_rollback(actor=request.user),
        "Rolled back: v{v} is active again.",
    )


@require_POST
@login_required
def training_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    from modelops.services import training_run_request

    if not can_train_model(request.user):
        raise PermissionDenied("Training is for approvers, analysts and administrators.")
    run = training_run_request(requested_by=request.user)
    messages.info(request, "Training queued: a worker assembles the labels and history and trains.")
    return redirect("modelops:training-detail", pk=run.pk)


@login_required
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    run = get_object_or_404(TrainingRun.objects.select_related("model_version", "requested_by"), pk=pk)
    return render(request, "modelops/training_detail.html", {"run": run})


@login_required
def rescoring(request: AuthenticatedHttpRequest) -> HttpResponse:
    _viewer(request)
    # Only approved models may write decisions (rescore_start refuses the others).
    versions = list(
        selectors.model_versions().filter(
            status__in=[ModelStatus.ACTIVE, ModelStatus.APPROVED], approved_at__isnull=False
        )
    )
    form = RescoreForm(request.POST if request.method == "POST" else None, versions=versions)
    preview: dict[str, Any] | None = None
    if request.method == "POST":
        if not can_activate_model(request.user):
            raise PermissionDenied("Rescoring is for approvers and administrators.")
        if form.is_valid():
            if form.cleaned_data["confirm"]:
                return _rescore_start(request, form)
            # A run changes many decisions: say how many, and ask first.
            preview = {"count": rescore_candidates_count(form.filters()), "what": form.describe()}
    return render(
        request,
        "modelops/rescoring.html",
        {
            "runs": selectors.rescore_runs(),
            "form": form,
            "preview": preview,
            "can_start": can_activate_model(request.user),
        },
        status=400 if form.errors else 200,
    )


def _rescore_start(request: AuthenticatedHttpRequest, form: RescoreForm) -> HttpResponse:
    from modelops.rescoring import rescore_start

    try:
        run = rescore_start(
            model_version=form.cleaned_data["model_version"],
            filters=form.filters(),
            started_by=request.user,
        )
    except (LifecycleError, NoUsableModel) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Rescore run {run.pk} started: {run.total:,} open applications.")
    return redirect("modelops:rescoring")

"""Governance pages: replays (start, progress, migration matrices, the list of movers as CSV),
the evidence page where an approver sees every gate and approves, and the model card. Thin:
access from accounts.access, work in governance.replay / evidence, approval in modelops."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.access import can_approve_model, can_approve_models, can_train_model, can_view_models
from accounts.types import AuthenticatedHttpRequest
from applicants.models import Channel
from governance import selectors
from governance.card import card_context
from governance.evidence import evidence_pack_assemble, latest_pack
from governance.models import ReplayRun, ReplayStatus
from governance.replay import ReplayError, replay_list_csv, replay_start, replay_window
from modelops.registry import LifecycleError, model_version_approve
from scoring.models import ModelStatus, ModelVersion


def _viewer(request: HttpRequest) -> None:
    if not can_view_models(request.user):
        raise PermissionDenied("Replays and model cards are for approvers, analysts and administrators.")


def _runner(request: HttpRequest) -> None:
    _viewer(request)
    if not can_train_model(request.user):
        raise PermissionDenied("Replays and evidence are run by approvers, analysts and administrators.")


def _model(version: int) -> ModelVersion:
    model = ModelVersion.objects.select_related("trained_by", "approved_by").filter(version=version).first()
    if model is None:
        raise Http404(f"There is no model v{version}.")
    return model


# --- replays ---------------------------------------------------------------------------------


@login_required
def replays(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    if request.method == "POST":
        return _replay_start(request)
    since, until = replay_window()
    return render(
        request,
        "governance/replays.html",
        {
            "runs": selectors.replay_runs(),
            "versions": ModelVersion.objects.order_by("-version"),
            "channels": Channel.choices,
            "since": since.date(),
            "until": until.date(),
            "can_start": can_train_model(request.user),
        },
    )


def _day(text: str, name: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ReplayError(f"{name} must be a date like 2026-01-31") from exc
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _replay_start(request: HttpRequest) -> HttpResponse:
    _runner(request)
    raw = request.POST.get("model_version", "")
    model = ModelVersion.objects.filter(version=int(raw)).first() if raw.isdigit() else None
    if model is None:
        return _bad(request, "Choose a model version to replay.")
    try:
        since = _day(request.POST.get("since", ""), "the first day")
        until = _day(request.POST.get("until", ""), "the last day") + dt.timedelta(days=1)
        run = replay_start(
            model=model,
            since=since,
            until=until,
            channel=request.POST.get("channel", ""),
            started_by=request.user,
        )
    except ReplayError as exc:
        return _bad(request, str(exc))
    messages.success(request, f"Replay {run.pk} started: {run.total:,} decisions.")
    return redirect("governance:replay-detail", pk=run.pk)


def _bad(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return render(
        request,
        "governance/replays.html",
        {
            "runs": selectors.replay_runs(),
            "versions": ModelVersion.objects.order_by("-version"),
            "channels": Channel.choices,
            "since": replay_window()[0].date(),
            "until": timezone.now().date(),
            "can_start": True,
        },
        status=400,
    )


@login_required
@require_GET
def replay_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    run = get_object_or_404(ReplayRun.objects.select_related("model_version", "started_by"), pk=pk)
    return render(request, "governance/replay_detail.html", {"run": run, **selectors.replay_tables(run)})


@login_required
@require_GET
def replay_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    _viewer(request)
    run = get_object_or_404(ReplayRun, pk=pk)
    if run.status != ReplayStatus.FINISHED:
        return HttpResponse("This replay has not finished yet.", status=409, content_type="text/plain")
    response = StreamingHttpResponse(replay_list_csv(run), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="replay-{run.pk}-v{run.model_version.version}.csv"'
    )
    return response


# --- evidence and approval -------------------------------------------------------------------


@login_required
@require_GET
def evidence(request: HttpRequest, version: int) -> HttpResponse:
    """The approval page: each gate passed or failed with its figures."""
    _viewer(request)
    model = _model(version)
    pack = latest_pack(model)
    fairness_failed = pack is not None and not pack.gate("fairness").get("passed", True)
    return render(
        request,
        "governance/evidence.html",
        {
            "model": model,
            "pack": pack,
            "runs": selectors.replay_runs(model=model, limit=5),
            "window_days": selectors.window_days(),
            "can_run": can_train_model(request.user) and model.status == ModelStatus.CANDIDATE,
            "can_approve": model.status == ModelStatus.CANDIDATE and can_approve_model(request.user, model),
            "fairness_failed": fairness_failed,
        },
    )


@login_required
@require_POST
def evidence_replay(request: HttpRequest, version: int) -> HttpResponse:
    _runner(request)
    model = _model(version)
    since, until = replay_window()
    try:
        run = replay_start(model=model, since=since, until=until, started_by=request.user)
    except ReplayError as exc:
        messages.error(request, str(exc))
        return redirect("governance:evidence", version=version)
    messages.success(request, f"Replay {run.pk} of the last {selectors.window_days()} days started.")
    return redirect("governance:replay-detail", pk=run.pk)


@login_required
@require_POST
def evidence_assemble(request: AuthenticatedHttpRequest, version: int) -> HttpResponse:
    _runner(request)
    model = _model(version)
    pack = evidence_pack_assemble(model=model, actor=request.user)
    failed = [g["title"] for g in pack.gates if not g["passed"]]
    if failed:
        messages.warning(request, f"Evidence pack {pack.pk} assembled; failing: {', '.join(failed)}.")
    else:
        messages.success(request, f"Evidence pack {pack.pk} assembled: every gate passes.")
    return redirect("governance:evidence", version=version)


@login_required
@require_POST
def approve(request: AuthenticatedHttpRequest, version: int) -> HttpResponse:
    _viewer(request)
    if not can_approve_models(request.user):
        raise PermissionDenied("Approving models is for approvers.")
    model = _model(version)
    try:
        with transaction.atomic():
            model_version_approve(
                model=model,
                actor=request.user,
                note=request.POST.get("note", "").strip()[:2000],
                evidence={"fairness_justification": request.POST.get("justification", "")[:5000]},
            )
    except LifecycleError as exc:
        messages.error(request, str(exc))
        return redirect("governance:evidence", version=version)
    messages.success(request, f"Approved v{version}. Activating it is a separate step.")
    return redirect("modelops:model-detail", version=version)


# --- the model card --------------------------------------------------------------------------


@login_required
@require_GET
def card(request: HttpRequest, version: int) -> HttpResponse:
    _viewer(request)
    model = _model(version)
    pack = latest_pack(model)
    if pack is None:
        return render(request, "governance/card_missing.html", {"model": model})
    return render(request, "governance/card.html", card_context(pack))


DOWNLOADS: dict[str, tuple[str, str]] = {
    "md": ("governance/card.md", "text/markdown; charset=utf-8"),
    "html": ("governance/card_file.html", "text/html; charset=utf-8"),
}


@login_required
@require_GET
def card_download(request: HttpRequest, version: int) -> HttpResponse:
    _viewer(request)
    model = _model(version)
    kind = request.GET.get("format", "md")
    if kind not in DOWNLOADS:
        return HttpResponse("format must be md or html", status=400, content_type="text/plain")
    pack = latest_pack(model)
    if pack is None:
        raise Http404(f"v{version} has no evidence pack yet.")
    template, content_type = DOWNLOADS[kind]
    body: Any = render_to_string(template, card_context(pack), request=request)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="model-card-v{version}.{kind}"'
    return response

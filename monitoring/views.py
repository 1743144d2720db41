"""The monitoring dashboard and the alerts page. Thin: access from accounts.access, reads
from selectors (roll-ups only), charts from charts, writes through services."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

import charts
from accounts.access import can_manage_alerts, can_view_monitoring
from monitoring import selectors
from monitoring.forms import PERIODS, DashboardForm
from monitoring.models import ALL_CHANNELS, SCORE, Alert
from monitoring.services import alerts as alert_services
from scoring.models import TIERS

log = logging.getLogger(__name__)


def _viewer(request: HttpRequest) -> None:
    if not can_view_monitoring(request.user):
        raise PermissionDenied("Monitoring is for analysts, approvers, auditor leads and administrators.")


def _manager(request: HttpRequest) -> None:
    if not can_manage_alerts(request.user):
        raise PermissionDenied("Alerts are handled by analysts, auditor leads and administrators.")


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    form = DashboardForm(request.GET or None)
    days = form.period_days()  # the defaults when a value is refused (the page says why)
    start, end = selectors.window(days)
    volume = selectors.volumes(start, end)
    channel = form.channel_code() or ALL_CHANNELS
    drift = selectors.drift_grid(start, end, channel=channel)
    quality = selectors.quality_series(start, end)
    fairness = selectors.fairness(start, end)
    context: dict[str, Any] = {
        "form": form,
        "days": days,
        "periods": PERIODS,
        "channel": channel,
        "volume": volume,
        "drift": drift,
        "quality": quality,
        "fairness": fairness,
        "labels": selectors.auditors(start, end),
        "operations": selectors.operations(start, end),
        "alerts": selectors.open_alerts(),
        "can_manage": can_manage_alerts(request.user),
        "start": start,
        "end": end,
        "impact_floor": settings.MONITORING_IMPACT_RATIO_MIN,
        "min_group": settings.MONITORING_FAIRNESS_MIN_GROUP,
        "drift_rows": [
            {
                "feature": f,
                "latest": drift["latest"][f],
                "band": charts.psi_band(drift["latest"][f], drift["watch"], drift["act"]),
                "peak": drift["peak"][f],
            }
            for f in drift["features"]
        ],
    }
    context["charts"] = _charts(context)
    return render(request, "monitoring/dashboard.html", context, status=400 if form.errors else 200)


def _charts(c: dict[str, Any]) -> dict[str, Any]:
    volume, channels = c["volume"], c["volume"]["channels"]
    out: dict[str, Any] = {
        "volume": charts.stacked_bars(
            volume["days"],
            channels,
            classes=[f"series-{i % 6}" for i in range(len(channels))],
            value=lambda d, k: d["by_channel"].get(k, 0),
            label="Decisions per day by channel",
        ),
        "tiers": charts.stacked_bars(
            volume["days"],
            TIERS,
            classes=[f"tier-{t}-fill" for t in TIERS],
            value=lambda d, k: d[k],
            share=True,
            label="Tier mix per day",
        ),
        "drift": charts.heatmap(
            c["drift"],
            label=(
                "Drift (PSI) per feature and week, each cell the week's highest daily PSI"
                if c["drift"]["unit"] == "week"
                else "Drift (PSI) per feature and day"
            ),
            shown_as={SCORE: "score"},
        ),
    }
    weeks = [
        w
        for w in c["quality"]["weeks"]
        if w["model_version__version"] == c["quality"]["reference"].get("version")
    ]
    out["quality"] = charts.lines(
        {
            "naive": [(w["week"], w["naive_accuracy"]) for w in weeks],
            "weighted": [(w["week"], w["weighted_accuracy"]) for w in weeks],
        },
        classes={"naive": "line-naive", "weighted": "line-weighted"},
        reference=c["quality"]["reference"].get("accuracy"),
        label="Accuracy per week, naive and weighted",
        bottom=0.5,
    )
    out["quality_weeks"] = weeks
    period = selectors.quality_period(weeks)
    out["quality_period"] = period
    version = c["quality"]["reference"].get("version", "?")
    out["calibration"] = charts.calibration_curve(
        period["calibration"], label=f"Calibration of P(high), model v{version}: predicted against observed"
    )
    out["confusion"] = charts.confusion_heatmap(
        period["confusion"],
        rows=TIERS,
        columns=TIERS,
        label=f"Model tier against auditors' final tier, model v{version}, {period['labels']:,} labels",
    )
    out["fairness"] = [
        {
            "attribute": a["attribute"],
            "svg": charts.group_bars(
                a["groups"], floor=c["impact_floor"], label=f"Favourable rate per {a['attribute']} group"
            ),
        }
        for a in c["fairness"]
    ]
    return out


@login_required
@require_POST
def rollup_now(request: HttpRequest) -> HttpResponse:
    """Recompute the recent days' roll-ups now (the beat job does it hourly)."""
    _manager(request)
    from monitoring.tasks import rollup_daily

    try:
        rollup_daily.delay()
    except Exception as exc:  # a broker that is down: say so, change nothing
        log.warning("roll-up not queued: %s", exc)
        messages.error(request, "The worker queue is not reachable; the hourly job will run later.")
    else:
        messages.success(request, "Roll-ups queued; the dashboard shows them in a minute.")
    return redirect("monitoring:dashboard")


@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    return render(
        request,
        "monitoring/alerts.html",
        {"alerts": selectors.recent_alerts(), "can_manage": can_manage_alerts(request.user)},
    )


def _alert_action(request: HttpRequest, alert_id: int, action: Any, done: str) -> HttpResponse:
    _manager(request)
    note = request.POST.get("note", "").strip()[:2000]
    try:
        action(alert_id=alert_id, actor=request.user, note=note)
    except Alert.DoesNotExist as exc:
        raise Http404("No such alert.") from exc
    except alert_services.AlertStateError as exc:
        messages.error(request, f"Nothing done: {exc}.")
        return redirect("monitoring:alerts")
    messages.success(request, done)
    return redirect("monitoring:alerts")


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _alert_action(request, alert_id, alert_services.alert_acknowledge, "Alert acknowledged.")


@login_required
@require_POST
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _alert_action(request, alert_id, alert_services.alert_resolve, "Alert resolved.")

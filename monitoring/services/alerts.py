"""Alert rules over the roll-ups, deduplicated by key, notified once per cool-down by mail,
SNS and a JSON webhook; acknowledging and resolving go to the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.types import User
from monitoring import selectors
from monitoring.models import (
    ALL_CHANNELS,
    SCORE,
    Alert,
    AlertStatus,
    DriftDaily,
    OperationsSnapshot,
    Severity,
)
from trail.services import trail_record

log = logging.getLogger(__name__)


class AlertStateError(Exception):
    """The alert is not in a state that allows this action."""


@dataclass(frozen=True)
class Firing:
    rule: str
    key: str
    severity: str
    message: str
    value: float | None = None


def _drift() -> list[Firing]:
    latest = DriftDaily.objects.filter(channel=ALL_CHANNELS, psi__isnull=False).order_by("-day").first()
    if latest is None:
        return []
    act = settings.MONITORING_PSI_ACT
    rows = DriftDaily.objects.filter(day=latest.day, psi__gte=act).select_related("model_version")
    return [
        Firing(
            "drift",
            f"drift:v{r.model_version.version}:{r.channel or 'all'}:{r.feature}",
            Severity.CRITICAL if r.feature == SCORE else Severity.WARNING,
            f"PSI of {'the score' if r.feature == SCORE else r.feature} "
            f"({r.channel or 'all channels'}) is {r.psi:.2f} in the "
            f"{settings.MONITORING_PSI_WINDOW_DAYS} days to {r.day} (act at {act}), "
            f"model v{r.model_version.version}",
            r.psi,
        )
        for r in rows
    ]


def _fairness() -> list[Firing]:
    start, end = selectors.window(30)
    out = []
    for attribute in selectors.fairness(start, end):
        for g in attribute["groups"]:
            if g["adverse"]:
                out.append(
                    Firing(
                        "fairness",
                        f"fairness:{attribute['attribute']}:{g['group']}",
                        Severity.CRITICAL,
                        f"Adverse impact ratio of {attribute['attribute']} {g['group']} is {g['ratio']:.2f} "
                        f"(95% CI {g['ratio_low']:.2f}-{g['ratio_high']:.2f}, {g['n']} decisions, 30 days); "
                        f"under {settings.MONITORING_IMPACT_RATIO_MIN}",
                        g["ratio"],
                    )
                )
    return out


def _quality() -> list[Firing]:
    start, end = selectors.window(35)
    series = selectors.quality_series(start, end)
    reference = series["reference"].get("accuracy")
    if reference is None:
        return []
    version = series["reference"]["version"]
    weeks = [
        w
        for w in series["weeks"]
        if w["model_version__version"] == version
        and w["labels"] >= settings.MONITORING_QUALITY_MIN_LABELS
        and w["weighted_accuracy"] is not None
    ]
    if not weeks or weeks[-1]["weighted_accuracy"] >= reference - settings.MONITORING_QUALITY_MARGIN:
        return []
    w = weeks[-1]
    return [
        Firing(
            "quality",
            f"quality:v{version}",
            Severity.WARNING,
            f"Weighted accuracy of model v{version} in the week of {w['week']} is "
            f"{w['weighted_accuracy']:.3f}, more than {settings.MONITORING_QUALITY_MARGIN} under "
            f"{reference:.3f} at training ({w['labels']} labels)",
            w["weighted_accuracy"],
        )
    ]


def _operations() -> list[Firing]:
    snap = OperationsSnapshot.objects.order_by("-taken_at").first()
    if snap is None:
        return []
    out = []
    if snap.queue_oldest_seconds > settings.MONITORING_QUEUE_AGE_MAX_SECONDS:
        out.append(
            Firing(
                "queue_age",
                "queue_age",
                Severity.WARNING,
                f"The oldest waiting review is {snap.queue_oldest_seconds / 3600:.1f} h old "
                f"({snap.queue_waiting} waiting)",
                snap.queue_oldest_seconds,
            )
        )
    if snap.sink_lag_seconds > settings.MONITORING_SINK_LAG_MAX_SECONDS:
        out.append(
            Firing(
                "sink_lag",
                "sink_lag",
                Severity.WARNING,
                f"The oldest undelivered outbox message is {snap.sink_lag_seconds / 60:.0f} min "
                f"old ({snap.outbox_pending} pending)",
                snap.sink_lag_seconds,
            )
        )
    if snap.dead_letters > settings.MONITORING_DEAD_LETTERS_MAX:
        out.append(
            Firing(
                "dead_letters",
                "dead_letters",
                Severity.CRITICAL,
                f"{snap.dead_letters} dead letters in the outbox",
                float(snap.dead_letters),
            )
        )
    return out


RULES = (_drift, _fairness, _quality, _operations)


def alerts_evaluate(*, now: dt.datetime | None = None) -> list[Alert]:
    """Run every rule; open or refresh one alert per firing key; notify those due."""
    now = now or timezone.now()
    firing = [f for rule in RULES for f in rule()]
    due: list[Alert] = []
    for f in firing:
        alert = _open_or_refresh(f, now)
        if alert is not None and _notification_due(alert, now):
            due.append(alert)
    for alert in due:
        deliver(alert)
        Alert.objects.filter(pk=alert.pk).update(notified_at=now, notifications=alert.notifications + 1)
    return due


def _open_or_refresh(f: Firing, now: dt.datetime) -> Alert | None:
    fields = {
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "value": f.value,
        "last_seen": now,
    }
    current = Alert.objects.exclude(status=AlertStatus.RESOLVED).filter(key=f.key).first()
    if current is not None:
        Alert.objects.filter(pk=current.pk).update(**fields)
        current.refresh_from_db()
        return current
    try:
        with transaction.atomic():
            return Alert.objects.create(key=f.key, first_seen=now, **fields)
    except IntegrityError:  # another evaluator opened it at the same moment
        return None


def _notification_due(alert: Alert, now: dt.datetime) -> bool:
    """Once per key and cool-down (a resolved alert that fires again soon stays quiet), and
    never again while someone has acknowledged it."""
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return False
    since = now - dt.timedelta(seconds=settings.MONITORING_ALERT_COOLDOWN_SECONDS)
    return not Alert.objects.filter(key=alert.key, notified_at__gt=since).exists()


def _payload(alert: Alert) -> dict[str, Any]:
    return {
        "text": f"[{alert.severity.upper()}] {alert.message}",
        "alert": {
            "id": alert.pk,
            "rule": alert.rule,
            "key": alert.key,
            "severity": alert.severity,
            "message": alert.message,
            "value": alert.value,
            "first_seen": alert.first_seen.isoformat(),
            "last_seen": alert.last_seen.isoformat(),
        },
    }


def deliver(alert: Alert) -> dict[str, str]:
    """Send to every configured channel; a failing channel is logged, the others still go."""
    payload, results = _payload(alert), {}
    senders = {"email": _email, "sns": _sns, "webhook": _webhook}
    for name, send in senders.items():
        try:
            if send(payload):
                results[name] = "sent"
        except Exception as exc:
            log.warning("alert %s not delivered by %s: %s", alert.key, name, exc)
            results[name] = f"failed: {exc}"
    return results


def _email(payload: dict) -> bool:
    if not settings.MONITORING_ALERT_EMAILS:
        return False
    send_mail(
        f"riskscore alert: {payload['text'][:150]}",
        json.dumps(payload["alert"], indent=2),
        None,
        settings.MONITORING_ALERT_EMAILS,
    )
    return True


def _sns(payload: dict) -> bool:
    if not settings.MONITORING_ALERT_SNS_TOPIC_ARN:
        return False
    import boto3

    boto3.client("sns").publish(
        TopicArn=settings.MONITORING_ALERT_SNS_TOPIC_ARN,
        Subject=payload["text"][:99],
        Message=json.dumps(payload),
    )
    return True


def _webhook(payload: dict) -> bool:
    if not settings.MONITORING_ALERT_WEBHOOK_URL:
        return False
    request = urllib.request.Request(  # noqa: S310 (http(s) only: checked in settings)
        settings.MONITORING_ALERT_WEBHOOK_URL,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (http(s) checked in settings)
        response.read()
    return True


def _act(alert_id: int, actor: User | None, to: str, allowed: tuple[str, ...], note: str) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise Alert.DoesNotExist
        if alert.status not in allowed:
            raise AlertStateError(f"this alert is {alert.status}")
        before = alert.status
        now = timezone.now()
        alert.status = to
        if to == AlertStatus.ACKNOWLEDGED:
            alert.acknowledged_by, alert.acknowledged_at = actor, now
        else:
            alert.resolved_by, alert.resolved_at = actor, now
        alert.save()
        trail_record(
            action=f"alert.{'acknowledge' if to == AlertStatus.ACKNOWLEDGED else 'resolve'}",
            object_type="alert",
            object_id=alert.pk,
            actor=actor,
            before={"status": before},
            after={"status": to, "key": alert.key},
            note=note,
        )
    return alert


def alert_acknowledge(*, alert_id: int, actor: User | None, note: str = "") -> Alert:
    return _act(alert_id, actor, AlertStatus.ACKNOWLEDGED, (AlertStatus.OPEN,), note)


def alert_resolve(*, alert_id: int, actor: User | None, note: str = "") -> Alert:
    return _act(alert_id, actor, AlertStatus.RESOLVED, (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED), note)

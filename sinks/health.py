"""/readyz: each sink's state (reachable, its table or schema there) and its backlog."""

from __future__ import annotations

from django.conf import settings

from config.health import CheckResult
from outbox.selectors import outbox_backlog
from outbox.services import sink_topic
from sinks.registry import get_sink


def check_sinks() -> CheckResult:
    """Not ready when a configured sink cannot be reached: decisions still queue safely
    in the outbox, but an operator must know they are not arriving."""
    result: CheckResult = {"ok": True, "configured": list(settings.SINKS)}
    for name in settings.SINKS:
        try:
            state = get_sink(name).check()
        except Exception as exc:
            state = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        state["backlog"] = outbox_backlog(topic=sink_topic(name))
        result[name] = state
        result["ok"] = result["ok"] and bool(state.get("ok"))
    return result


def check_outbox() -> CheckResult:
    """The backlog of every sink; not ready when the oldest pending message is older than
    OUTBOX_STALE_SECONDS (the sinks are not keeping up). Dead letters are reported."""
    backlogs = {name: outbox_backlog(topic=sink_topic(name)) for name in settings.SINKS}
    oldest = max((b["oldest_pending_seconds"] for b in backlogs.values()), default=0.0)
    return {
        "ok": oldest <= settings.OUTBOX_STALE_SECONDS,
        "pending": sum(b["pending"] for b in backlogs.values()),
        "dead": sum(b["dead"] for b in backlogs.values()),
        "oldest_pending_seconds": oldest,
        "stale_after_seconds": settings.OUTBOX_STALE_SECONDS,
    }

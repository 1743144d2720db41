"""Field provenance: for every answer, the channel, how it was captured, by whom, when, and
for speech how sure the recogniser was. A corrected answer keeps its earlier versions.

A draft keeps full versions (values included, encrypted with the draft). The application
keeps the same history without personal values (a clear JSON column), so auditors, exports,
the warehouse and the routing policy can read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from applicants.models import Channel

if TYPE_CHECKING:
    from accounts.types import Actor


class Method:
    TYPED = "typed"  # by the applicant, on a form or in a chat
    KEYED = "keyed"  # by an agent or clerk on someone's behalf
    DOUBLE_KEYED = "double_keyed"  # by two clerks, who agreed
    SPEECH = "speech"  # recognised from speech (with a confidence)
    KEYPAD = "keypad"  # phone keypad tones
    API = "api"  # sent by a client program
    IMPORTED = "imported"  # loaded from another system

    ALL = (TYPED, KEYED, DOUBLE_KEYED, SPEECH, KEYPAD, API, IMPORTED)


# How answers arrive on each channel when a caller says nothing more precise.
DEFAULT_METHOD: dict[str, str] = {
    Channel.API: Method.API,
    Channel.WEB: Method.TYPED,
    Channel.CHATBOT: Method.TYPED,
    Channel.SMS: Method.TYPED,
    Channel.PHONE_AGENT: Method.KEYED,
    Channel.VOICE: Method.SPEECH,
    Channel.MAIL: Method.KEYED,
}


class ProvenanceError(ValueError):
    pass


@dataclass(frozen=True)
class Capture:
    """How one answer (or one batch of answers) was captured."""

    channel: str
    method: str
    by: str = ""  # "user:42", "conversation:<id>", "call:<id>", "batch:<id>"
    confidence: float | None = None
    at: dt.datetime = field(default_factory=timezone.now)

    def __post_init__(self) -> None:
        if self.channel not in Channel.values:
            raise ProvenanceError(f"unknown channel {self.channel!r}")
        if self.method not in Method.ALL:
            raise ProvenanceError(f"unknown capture method {self.method!r}; one of {Method.ALL}")
        if self.confidence is not None and not 0.0 <= float(self.confidence) <= 1.0:
            raise ProvenanceError("confidence must be between 0 and 1")

    @classmethod
    def by_user(cls, user: Actor, *, channel: str, method: str | None = None) -> Capture:
        return cls(
            channel=channel,
            method=method or DEFAULT_METHOD[channel],
            by=_by(user),
        )

    def version(self, value: Any) -> dict[str, Any]:
        entry = {
            "value": value,
            "channel": self.channel,
            "method": self.method,
            "by": self.by,
            "at": self.at.isoformat(),
        }
        if self.confidence is not None:
            entry["confidence"] = round(float(self.confidence), 4)
        return entry


def same_capture(version: Mapping[str, Any], value: Any, capture: Capture) -> bool:
    """A re-sent answer (a step submitted again unchanged) is not a new version."""
    return (
        version.get("value") == value
        and version.get("method") == capture.method
        and version.get("by") == capture.by
        and version.get("confidence")
        == (None if capture.confidence is None else round(float(capture.confidence), 4))
    )


def for_application(
    versions: Mapping[str, list[dict[str, Any]]], *, pii_fields: Iterable[str], answered: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """The history that travels with an application: every version of every answered field,
    oldest first, without the current value (that is in the answers) and without any value of
    a personal field (earlier non-personal values stay: a changed income is worth seeing)."""
    pii, kept = set(pii_fields), set(answered)
    result: dict[str, list[dict[str, Any]]] = {}
    for name, history in versions.items():
        if name not in kept or not history:
            continue
        entries = []
        for index, version in enumerate(history):
            entry = {k: v for k, v in version.items() if k != "value"}
            if name not in pii and index < len(history) - 1:
                entry["value"] = version.get("value")
            entries.append(entry)
        result[name] = entries
    return result


def uniform(answered: Iterable[str], capture: Capture) -> dict[str, list[dict[str, Any]]]:
    """Provenance of answers that arrived all at once (an API call, an import)."""
    entry = {k: v for k, v in capture.version(None).items() if k != "value"}
    return {name: [dict(entry)] for name in answered}


def received_at_once(
    answered: Iterable[str], *, channel: str, actor: Actor
) -> dict[str, list[dict[str, Any]]]:
    """Provenance of a submission that did not come from a draft: every answer captured at
    once by the channel's usual method (the API's: `api`), by the acting account."""
    entry = {
        "channel": str(channel),
        "method": DEFAULT_METHOD.get(channel, Method.IMPORTED),
        "by": _by(actor),
        "at": timezone.now().isoformat(),
    }
    return {name: [dict(entry)] for name in answered}


METHOD_LABELS = {
    Method.TYPED: "typed by the applicant",
    Method.KEYED: "keyed by staff",
    Method.DOUBLE_KEYED: "double-keyed",
    Method.SPEECH: "speech",
    Method.KEYPAD: "phone keypad",
    Method.API: "sent by a client program (API)",
    Method.IMPORTED: "imported",
}


def current_captures(
    provenance: Mapping[str, list[Mapping[str, Any]]] | None,
) -> Iterable[tuple[str, Mapping[str, Any], int]]:
    """(field, how its current answer was captured, how many versions it had), by field."""
    for name, history in sorted((provenance or {}).items()):
        if history:
            yield name, history[-1], len(history)


def describe(
    provenance: Mapping[str, list[Mapping[str, Any]]] | None, labels: Mapping[str, str]
) -> dict[str, Any]:
    """For people (the auditor's item page): one row per answered field in `labels`' order,
    with its earlier versions (values only where the application kept them: never personal
    ones); the rows worth a look (answered more than once, or captured otherwise than most
    answers, or by speech); and the count per method."""
    order = {name: index for index, name in enumerate(labels)}
    rows = []
    for name, current, versions in current_captures(provenance):
        history = (provenance or {})[name]
        method = str(current.get("method", ""))
        rows.append(
            {
                "name": name,
                "label": labels.get(name, name),
                "method": method,
                "method_label": METHOD_LABELS.get(method, method),
                "channel": current.get("channel", ""),
                "by": current.get("by", ""),
                "at": str(current.get("at", ""))[:16].replace("T", " "),
                "confidence": current.get("confidence"),
                "versions": versions,
                "earlier": [
                    {"value": v.get("value"), "method": v.get("method", ""), "has_value": "value" in v}
                    for v in history[:-1]
                ],
            }
        )
    rows.sort(key=lambda row: (order.get(row["name"], len(order)), row["name"]))
    methods: dict[str, int] = {}
    for row in rows:
        methods[row["method"]] = methods.get(row["method"], 0) + 1
    usual = max(methods, key=methods.__getitem__) if methods else ""
    notable = [
        row for row in rows if row["versions"] > 1 or row["method"] != usual or row["confidence"] is not None
    ]
    return {
        "rows": rows,
        "notable": notable,
        "total": len(rows),
        "methods": [
            {"method": METHOD_LABELS.get(m, m), "count": n}
            for m, n in sorted(methods.items(), key=lambda item: -item[1])
        ],
    }


def summary(provenance: Mapping[str, list[Mapping[str, Any]]] | None) -> dict[str, Any]:
    """A flat view for exports, the warehouse and routing: how the current answers were
    captured (count per method and channel), which were answered more than once (corrected
    or captured again), the lowest speech confidence."""
    methods: dict[str, int] = {}
    channels: dict[str, int] = {}
    corrected, confidences = [], []
    for name, history in sorted((provenance or {}).items()):
        if not history:
            continue
        current = history[-1]
        methods[current.get("method", "")] = methods.get(current.get("method", ""), 0) + 1
        channels[current.get("channel", "")] = channels.get(current.get("channel", ""), 0) + 1
        if len(history) > 1:
            corrected.append(name)
        if current.get("confidence") is not None:
            confidences.append(float(current["confidence"]))
    return {
        "methods": methods,
        "channels": channels,
        "corrected": corrected,
        "lowest_confidence": min(confidences) if confidences else None,
    }


def _by(actor: Actor) -> str:
    """`user:<pk>` for a saved account; empty for an anonymous visitor, a job's name or nobody."""
    pk = getattr(actor, "pk", None)
    return f"user:{pk}" if pk else ""

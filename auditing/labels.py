"""The shape of a labelled export: filters, columns and rows (no database writes).

Direct identifiers never leave: the schema's personal fields are dropped, free-text notes
are left out (they may quote the applicant), and people are keyed pseudonyms — the same
applicant gets the same pseudonym in every export, and nobody can reverse it without
PSEUDONYM_KEY.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from applicants.crypto import pseudonym
from applicants.models import Channel
from applicants.provenance import summary
from applicants.schema import ApplicationSchema
from auditing.models import Review, ReviewStatus
from auditing.selectors import day_start
from scoring.models import TIERS, ModelVersion


class FiltersInvalid(Exception):
    """Per-field messages, like the API's validation errors."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class LabelFilters:
    since: dt.date | None = None
    until: dt.date | None = None
    channel: str = ""
    tier: str = ""
    model_version: int | None = None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> LabelFilters:
        """From a form, the command line or a stored job; raises FiltersInvalid."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name in ("since", "until"):
            raw = str(data.get(name) or "").strip()
            if raw:
                try:
                    values[name] = dt.date.fromisoformat(raw)
                except ValueError:
                    errors[name] = f"{raw!r} is not a date (use YYYY-MM-DD)"
        if "since" in values and "until" in values and values["since"] > values["until"]:
            errors["until"] = "the end of the period is before its start"
        channel = str(data.get("channel") or "").strip()
        if channel and channel not in Channel.values:
            errors["channel"] = f"unknown channel {channel!r}; one of {', '.join(Channel.values)}"
        tier = str(data.get("tier") or "").strip()
        if tier and tier not in TIERS:
            errors["tier"] = f"unknown tier {tier!r}; one of {', '.join(TIERS)}"
        raw_version = str(data.get("model_version") or "").strip().lstrip("v")
        if raw_version:
            if not raw_version.isdigit():
                errors["model_version"] = f"{raw_version!r} is not a model version number"
            elif not ModelVersion.objects.filter(version=int(raw_version)).exists():
                errors["model_version"] = f"there is no model version {raw_version}"
            else:
                values["model_version"] = int(raw_version)
        if errors:
            raise FiltersInvalid(errors)
        return cls(channel=channel, tier=tier, **values)

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in self.__dict__.items()
            if v not in (None, "")
        }

    def reviews(self) -> QuerySet[Review]:
        """Labels in effect, filtered: period on when the label took effect, tier on the
        auditor's final tier. An independent second label is a measurement, not the
        application's label: never exported."""
        reviews = Review.objects.filter(status=ReviewStatus.EFFECTIVE, independent=False)
        if self.since:
            reviews = reviews.filter(effective_at__gte=day_start(self.since))
        if self.until:
            reviews = reviews.filter(effective_at__lt=day_start(self.until + dt.timedelta(days=1)))
        if self.channel:
            reviews = reviews.filter(application__channel=self.channel)
        if self.tier:
            reviews = reviews.filter(final_tier=self.tier)
        if self.model_version is not None:
            reviews = reviews.filter(model_version__version=self.model_version)
        return reviews


# (name, type) — type is one of string, float, int, bool, timestamp.
META_COLUMNS: list[tuple[str, str]] = [
    ("review_id", "int"),
    ("application_ref", "string"),
    ("applicant_ref", "string"),
    ("channel", "string"),
    ("submitted_at", "timestamp"),
    ("possible_duplicate", "bool"),
    ("model_version", "int"),
    ("model_tier", "string"),
    ("prob_low", "float"),
    ("prob_medium", "float"),
    ("prob_high", "float"),
    ("final_tier", "string"),
    ("outcome", "string"),
    ("reason_code", "string"),
    ("auditor_ref", "string"),
    ("second_auditor_ref", "string"),
    ("blind", "bool"),
    ("seconds_open", "float"),
    ("reviewed_at", "timestamp"),
    ("labelled_at", "timestamp"),
    # Field provenance (applicants.provenance.summary): how the answers were captured.
    ("capture_methods", "string"),
    ("corrected_fields", "string"),
    ("lowest_confidence", "float"),
]
_ANSWER_TYPES = {"integer": "int", "number": "float", "boolean": "bool"}


def columns(schema: ApplicationSchema) -> list[tuple[str, str]]:
    answers = [(f"answer_{f.name}", _ANSWER_TYPES.get(f.type, "string")) for f in schema.fields if not f.pii]
    features = [(f"feature_{f.name}", "string" if f.kind == "choice" else "float") for f in schema.features]
    return META_COLUMNS + answers + features


_VALUES = (
    "id",
    "application_id",
    "application__applicant_id",
    "application__channel",
    "application__created_at",
    "application__possible_duplicate",
    "application__answers",
    "model_version__version",
    "model_tier",
    "decision__prob_low",
    "decision__prob_medium",
    "decision__prob_high",
    "decision__feature_snapshot",
    "final_tier",
    "outcome",
    "reason_code",
    "auditor_label",
    "second_auditor__username",
    "blind",
    "seconds_open",
    "created_at",
    "effective_at",
    "application__provenance",
)


def iter_rows(
    schema: ApplicationSchema, reviews: QuerySet[Review], *, chunk: int
) -> Iterator[list[dict[str, Any]]]:
    """Rows in review order, `chunk` at a time (keyset pagination: constant memory)."""
    last = 0
    while True:
        batch = list(reviews.filter(pk__gt=last).order_by("pk").values(*_VALUES)[:chunk])
        if not batch:
            return
        last = batch[-1]["id"]
        yield [_row(schema, r) for r in batch]


def _ref(kind: str, value: Any) -> str:
    return pseudonym(f"{kind}:{value}") if value not in (None, "") else ""


def _row(schema: ApplicationSchema, r: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "review_id": r["id"],
        "application_ref": _ref("application", r["application_id"]),
        "applicant_ref": _ref("applicant", r["application__applicant_id"]),
        "channel": r["application__channel"],
        "submitted_at": r["application__created_at"],
        "possible_duplicate": r["application__possible_duplicate"],
        "model_version": r["model_version__version"],
        "model_tier": r["model_tier"],
        "prob_low": r["decision__prob_low"],
        "prob_medium": r["decision__prob_medium"],
        "prob_high": r["decision__prob_high"],
        "final_tier": r["final_tier"],
        "outcome": r["outcome"],
        "reason_code": r["reason_code"],
        "auditor_ref": _ref("staff", r["auditor_label"]),
        "second_auditor_ref": _ref("staff", r["second_auditor__username"]),
        "blind": r["blind"],
        "seconds_open": r["seconds_open"],
        "reviewed_at": r["created_at"],
        "labelled_at": r["effective_at"],
        **_provenance_cells(r["application__provenance"]),
    }
    answers = r["application__answers"] or {}
    for field in schema.fields:
        if not field.pii:
            row[f"answer_{field.name}"] = answers.get(field.name)
    snapshot = r["decision__feature_snapshot"] or {}
    for feature in schema.features:
        value = snapshot.get(feature.name)
        row[f"feature_{feature.name}"] = (
            str(value) if feature.kind == "choice" and value is not None else value
        )
    return row


def _provenance_cells(provenance: Any) -> dict[str, Any]:
    captured = summary(provenance)
    return {
        "capture_methods": ",".join(f"{m}:{n}" for m, n in sorted(captured["methods"].items())),
        "corrected_fields": ",".join(captured["corrected"]),
        "lowest_confidence": captured["lowest_confidence"],
    }

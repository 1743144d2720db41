"""The training set: auditor labels plus imported history, as one time-ordered matrix.

Auditor labels are applications whose `final_tier` a review set (confirmed or overridden).
History rows carry a tier or a binary outcome. The target follows the data: tiers when
every row has a tier; a binary outcome as soon as the history is binary, auditors' tiers
then counting as adverse when they are in LIFECYCLE_ADVERSE_TIERS (a tier can become an
outcome; an outcome cannot become a tier).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings

from applicants.models import Application, Status
from applicants.schema import ApplicationSchema
from modelops.models import HistoricalApplication
from scoring.features import build_matrix
from scoring.models import TIERS, Target

LABELLED = (Status.CONFIRMED, Status.OVERRIDDEN)


class NotEnoughData(Exception):
    """Too few labelled rows (or one class only) to train and evaluate a model."""


@dataclass
class TrainingSet:
    matrix: np.ndarray
    labels: np.ndarray
    times: np.ndarray  # seconds since the epoch, for the time-based split
    target: str
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    row_keys_hash: str = ""

    @property
    def has_dates(self) -> bool:
        """Rows spread over time (an out-of-time check means something), not one import date."""
        return len(np.unique(self.times)) > 1

    @property
    def source(self) -> str:
        parts = [f"{n:,} {what}" for what, n in self.counts.items() if n]
        return "labels+history: " + (", ".join(parts) or "no rows")


def _rows_from_labels(schema: ApplicationSchema) -> list[tuple[float, str, dict, str, bool | None]]:
    rows = (
        Application.objects.filter(schema_name=schema.name, status__in=LABELLED)
        .exclude(final_tier="")
        .values_list("id", "created_at", "answers", "final_tier")
        .iterator(chunk_size=2000)
    )
    return [(created.timestamp(), f"a:{pk}", answers, tier, None) for pk, created, answers, tier in rows]


def _rows_from_history(schema: ApplicationSchema) -> list[tuple[float, str, dict, str, bool | None]]:
    rows = (
        HistoricalApplication.objects.filter(schema_name=schema.name)
        .values_list("row_key", "occurred_at", "answers", "tier", "adverse")
        .iterator(chunk_size=2000)
    )
    return [(at.timestamp(), f"h:{key}", answers, tier, adverse) for key, at, answers, tier, adverse in rows]


def assemble_training_set(schema: ApplicationSchema, *, target: str = "auto") -> TrainingSet:
    labelled = _rows_from_labels(schema)
    history = _rows_from_history(schema)
    binary_history = sum(1 for row in history if row[4] is not None)
    if target == "auto":
        target = Target.BINARY if binary_history else Target.TIERS
    notes: list[str] = []
    rows = labelled + history
    if target == Target.TIERS and binary_history:
        rows = [row for row in rows if row[3]]
        notes.append(
            f"{binary_history:,} history rows with a binary outcome left out: "
            "an outcome cannot become a tier (train with --target binary to use them)"
        )
    rows.sort(key=lambda row: (row[0], row[1]))  # time, then a stable key: same data, same order
    if target == Target.BINARY:
        adverse_tiers = set(settings.LIFECYCLE_ADVERSE_TIERS)
        labels = [int(row[4]) if row[4] is not None else int(row[3] in adverse_tiers) for row in rows]
        if any(row[4] is None for row in rows):
            notes.append(f"tier labels count as adverse when {' or '.join(sorted(adverse_tiers))}")
    else:
        labels = [TIERS.index(row[3]) for row in rows]
    digest = hashlib.sha256("\n".join(row[1] for row in rows).encode()).hexdigest()
    return TrainingSet(
        matrix=build_matrix(schema, [row[2] for row in rows]),
        labels=np.asarray(labels, dtype=np.int32),
        times=np.asarray([row[0] for row in rows], dtype=np.float64),
        target=target,
        counts={
            "auditor labels": len(labelled),
            "history rows": len(rows) - sum(1 for r in rows if r[1].startswith("a:")),
        },
        notes=notes,
        row_keys_hash=digest,
    )


def check_trainable(data: TrainingSet, minimum: int) -> None:
    n_classes = 2 if data.target == Target.BINARY else 3
    if len(data.labels) < minimum:
        raise NotEnoughData(
            f"only {len(data.labels):,} labelled rows ({data.source}); at least {minimum:,} are "
            "needed to train and evaluate (import a history with `import_history`, or let "
            "auditors label more decisions)"
        )
    present = np.bincount(data.labels, minlength=n_classes)
    missing = [str(i) for i, n in enumerate(present) if n < 2]
    if missing:
        names: Any = ["not adverse", "adverse"] if data.target == Target.BINARY else list(TIERS)
        raise NotEnoughData(
            "every class needs examples; too few of: " + ", ".join(names[int(i)] for i in missing)
        )

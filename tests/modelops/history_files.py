"""History CSV files for the tests, written from synthetic applicants."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from applicants.schema import ApplicationSchema
from demo import synthetic
from scoring.models import TIERS


def write_history(
    path: Path,
    schema: ApplicationSchema,
    rows: int,
    *,
    seed: int = 3,
    binary: bool = False,
    with_pii: bool = False,
    extra: Sequence[dict[str, Any]] = (),
) -> Path:
    """A CSV of past applications: feature fields, `label` and `decided_at` (one a day back
    from 2026-06-01). Binary files label tier high (and a fifth of medium) as defaulted."""
    answers, tiers = synthetic.generate(schema, rows, seed=seed)
    rng = np.random.default_rng(seed)
    fields = [f.name for f in schema.fields if with_pii or not f.pii]
    start = dt.date(2026, 6, 1) - dt.timedelta(days=rows)
    records = []
    for i, (row, tier) in enumerate(zip(answers, tiers, strict=True)):
        if binary:
            adverse = tier == 2 or (tier == 1 and rng.random() < 0.2)
            label = "defaulted" if adverse else "paid"
        else:
            label = TIERS[int(tier)]
        records.append(
            {
                **{k: row.get(k, "") for k in fields},
                "label": label,
                "decided_at": (start + dt.timedelta(days=i)).isoformat(),
                "branch": "north",
            }
        )
    records += list(extra)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=[*fields, "label", "decided_at", "branch"], extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(records)
    return path

"""How much training data there is, and how much training needs (the models page's panel).

Counts only: the same rows `datasets.assemble_training_set` reads (auditor labels of this
schema plus its imported history), without building the matrix. With the target chosen
automatically every one of them is used: tiers when the history has no binary outcome,
else a binary target that takes tier labels too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count

from applicants.models import Application
from applicants.schema import get_schema
from modelops.datasets import LABELLED
from modelops.models import HistoricalApplication


@dataclass(frozen=True)
class TrainingData:
    labels: int  # auditor labels: confirmed or overridden decisions with a final tier
    history: dict[str, int] = field(default_factory=dict)  # imported rows by label kind
    needed: int = 0  # LIFECYCLE_MIN_TRAINING_ROWS

    @property
    def history_rows(self) -> int:
        return sum(self.history.values())

    @property
    def usable(self) -> int:
        return self.labels + self.history_rows

    @property
    def missing(self) -> int:
        """How many more rows until training may start."""
        return max(0, self.needed - self.usable)

    @property
    def enough(self) -> bool:
        return self.missing == 0

    @property
    def percent(self) -> int:
        return 100 if self.enough else min(99, self.usable * 100 // max(1, self.needed))


def training_data() -> TrainingData:
    schema_name = get_schema().name
    labels = (
        Application.objects.filter(schema_name=schema_name, status__in=LABELLED)
        .exclude(final_tier="")
        .count()
    )
    history = dict(
        HistoricalApplication.objects.filter(schema_name=schema_name)
        .values_list("label_kind")
        .annotate(n=Count("id"))
        .order_by("label_kind")
    )
    return TrainingData(labels=labels, history=history, needed=settings.LIFECYCLE_MIN_TRAINING_ROWS)

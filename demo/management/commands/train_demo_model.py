from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from demo.training import model_train_synthetic
from modelops.management.commands.train import Command as TrainCommand
from modelops.services import Progress
from scoring.models import ModelVersion


class Command(TrainCommand):
    help = (
        "Train a model version on synthetic applicants (demo data) and register it as a "
        "candidate; with --bootstrap, activate it where no model is active yet (`make run`)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "rows",
            type=int,
            nargs="?",
            default=20_000,
            help="how many synthetic applicants to train on (at least 200)",
        )
        self.add_training_arguments(parser)

    def train(
        self, schema: Any, options: dict[str, Any], *, progress: Progress, on_stage: Any
    ) -> ModelVersion:
        rows = options["rows"]
        if rows < 200:
            raise CommandError("a demo model needs at least 200 rows to train and evaluate")
        self.stdout.write(f"Training on {rows:,} synthetic {schema.name} applicants")
        return model_train_synthetic(schema=schema, rows=rows, seed=options["seed"], progress=progress)

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from applicants.schema import get_schema
from scoring.model_services import model_train_synthetic
from scoring.registry import NoUsableModel, active_model, model_version_bootstrap


class Command(BaseCommand):
    help = "Train a model version for the configured application schema and register it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--synthetic", type=int, metavar="ROWS", required=True,
                            help="train on this many synthetic applicants (demo data)")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--bootstrap", action="store_true",
                            help="activate the new model if no model is active yet")
        parser.add_argument("--if-no-active-model", action="store_true",
                            help="do nothing when a usable model is already active")

    def handle(self, *args: Any, **options: Any) -> None:
        schema = get_schema()
        if options["if_no_active_model"]:
            try:
                model = active_model(schema)
            except NoUsableModel:
                pass
            else:
                self.stdout.write(f"Model v{model.version} is active; nothing to train.")
                return
        if options["synthetic"] < 200:
            raise CommandError("--synthetic needs at least 200 rows to train and evaluate")

        self.stdout.write(f"Training on {options['synthetic']:,} synthetic {schema.name} applicants")
        with tqdm(total=1, unit="round", desc="boosting", disable=None) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            model = model_train_synthetic(
                schema=schema, rows=options["synthetic"], seed=options["seed"], progress=progress
            )
        metrics = model.metrics
        self.stdout.write(self.style.SUCCESS(
            f"Registered model v{model.version}: {metrics['trees_per_class']} trees per class, "
            f"ROC AUC high vs rest {metrics['roc_auc_high_vs_rest']:.3f}, "
            f"log loss {metrics['log_loss']:.3f}, accuracy {metrics['accuracy']:.3f} "
            f"on {metrics['evaluation_rows']:,} held-out rows"
        ))
        if options["bootstrap"]:
            try:
                model_version_bootstrap(model=model, note="first model of this installation")
            except NoUsableModel as exc:
                self.stdout.write(f"Left as a candidate: {exc}")
            else:
                self.stdout.write(self.style.SUCCESS(f"Model v{model.version} is active."))

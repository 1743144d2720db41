from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from applicants.schema import get_schema
from modelops.datasets import NotEnoughData
from modelops.registry import model_version_bootstrap
from modelops.report import training_report
from modelops.services import model_train_from_labels, model_train_synthetic
from scoring.models import Target
from scoring.selectors import NoUsableModel, active_model


class Command(BaseCommand):
    help = ("Train a model version for the configured application schema and register it as a "
            "candidate: from auditor labels plus imported history (the default), or on "
            "synthetic applicants (--synthetic ROWS, demo data).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--synthetic", type=int, metavar="ROWS",
                            help="train on this many synthetic applicants (demo data)")
        parser.add_argument("--target", choices=["auto", Target.TIERS, Target.BINARY], default="auto",
                            help="what to predict from labels and history (auto: binary as soon as "
                                 "the history holds binary outcomes)")
        parser.add_argument("--search", action="store_true",
                            help="choose depth, min_child_weight and learning rate by a small "
                                 "time-boxed cross-validated search instead of the defaults")
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
        rows = options["synthetic"]
        if rows is not None and rows < 200:
            raise CommandError("--synthetic needs at least 200 rows to train and evaluate")

        with tqdm(total=1, unit="round", desc="boosting", disable=None) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            def stage(text: str) -> None:
                bar.set_description(text[:60])

            if rows is not None:
                self.stdout.write(f"Training on {rows:,} synthetic {schema.name} applicants")
                model = model_train_synthetic(schema=schema, rows=rows, seed=options["seed"],
                                              progress=progress)
            else:
                self.stdout.write(f"Training on auditor labels and imported history ({schema.name})")
                try:
                    model = model_train_from_labels(
                        progress=progress, seed=options["seed"], target=options["target"],
                        search=options["search"], on_stage=stage)
                except NotEnoughData as exc:
                    raise CommandError(str(exc)) from exc
        self.stdout.write(training_report(model))
        metrics = model.metrics
        auc = metrics.get("roc_auc_high_vs_rest")
        self.stdout.write(self.style.SUCCESS(
            f"Registered model v{model.version}: {metrics['trees_per_class']} trees per class, "
            f"ROC AUC {'adverse' if model.target == Target.BINARY else 'high'} vs rest "
            f"{auc if auc is None else format(auc, '.3f')}, log loss {metrics['log_loss']:.3f}, "
            f"accuracy {metrics['accuracy']:.3f} on {metrics['evaluation_rows']:,} held-out rows"
        ))
        if options["bootstrap"]:
            try:
                model_version_bootstrap(model=model, note="first model of this installation")
            except NoUsableModel as exc:
                self.stdout.write(f"Left as a candidate: {exc}")
            else:
                self.stdout.write(self.style.SUCCESS(f"Model v{model.version} is active."))
        else:
            self.stdout.write(f"v{model.version} is a candidate: an approver approves and activates it "
                              f"on /models/{model.version}/")

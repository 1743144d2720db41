from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from applicants.schema import get_schema
from modelops.datasets import NotEnoughData
from modelops.registry import model_version_bootstrap
from modelops.report import training_report
from modelops.services import Progress, model_train_from_labels
from scoring.models import ModelVersion, Target
from scoring.selectors import NoUsableModel, active_model

PROGRESS_LINE_SECONDS = 5.0  # how often a line of progress, when the output is not a terminal


class Command(BaseCommand):
    help = (
        "Train a model version for the configured application schema from auditor labels "
        "plus imported history, and register it as a candidate. (A demo installation's "
        "first model, on synthetic applicants: manage.py train_demo_model.)"
    )

    def add_arguments(self, parser: Any) -> None:
        self.add_training_arguments(parser)
        parser.add_argument(
            "--target",
            choices=["auto", Target.TIERS, Target.BINARY],
            default="auto",
            help="what to predict from labels and history (auto: binary as soon as "
            "the history holds binary outcomes)",
        )
        parser.add_argument(
            "--search",
            action="store_true",
            help="choose depth, min_child_weight and learning rate by a small "
            "time-boxed cross-validated search instead of the defaults",
        )
        parser.add_argument(
            "--search-minutes",
            type=float,
            default=None,
            help="the search's time box (default: LIFECYCLE_SEARCH_SECONDS)",
        )

    @staticmethod
    def add_training_arguments(parser: Any) -> None:
        """What every way of training shares (demo's train_demo_model too)."""
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--bootstrap", action="store_true", help="activate the new model if no model is active yet"
        )
        parser.add_argument(
            "--if-no-active-model",
            action="store_true",
            help="do nothing when a usable model is already active",
        )

    def train(
        self, schema: Any, options: dict[str, Any], *, progress: Progress, on_stage: Any
    ) -> ModelVersion:
        self.stdout.write(f"Training on auditor labels and imported history ({schema.name})")
        try:
            return model_train_from_labels(
                progress=progress,
                seed=options["seed"],
                target=options["target"],
                search=options["search"] or options["search_minutes"] is not None,
                search_seconds=None if options["search_minutes"] is None else options["search_minutes"] * 60,
                on_stage=on_stage,
                on_candidate=self.print_candidate,
            )
        except NotEnoughData as exc:
            raise CommandError(str(exc)) from exc

    def print_candidate(self, score: dict[str, Any]) -> None:
        settings_text = ", ".join(f"{k} {v}" for k, v in score.items() if k != "log_loss")
        self.stdout.write(f"  candidate {settings_text}: cross-validated log loss {score['log_loss']:.5f}")

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

        # A bar on a terminal; elsewhere (make run > file, CI) a line now and then, so a long
        # training is never silent.
        interactive = sys.stderr.isatty()
        with tqdm(total=1, unit="round", desc="boosting", disable=not interactive) as bar:
            last_line, stage_now = [0.0], ["boosting"]

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()
                now = time.monotonic()
                if not interactive and (done >= total or now - last_line[0] >= PROGRESS_LINE_SECONDS):
                    last_line[0] = now
                    where = "done" if done >= total else f"round {done:,} of at most {total:,}"
                    self.stdout.write(f"  {stage_now[0]}: {where}")
                    self.stdout.flush()

            def stage(text: str) -> None:
                bar.set_description(text[:60])
                stage_now[0] = text[:60]

            model = self.train(schema, options, progress=progress, on_stage=stage)
        self.stdout.write(training_report(model))
        metrics = model.metrics
        auc = metrics.get("roc_auc_high_vs_rest")
        self.stdout.write(
            self.style.SUCCESS(
                f"Registered model v{model.version}: {metrics['trees_per_class']} trees per class, "
                f"ROC AUC {'adverse' if model.target == Target.BINARY else 'high'} vs rest "
                f"{auc if auc is None else format(auc, '.3f')}, log loss {metrics['log_loss']:.3f}, "
                f"accuracy {metrics['accuracy']:.3f} "
                + (
                    f"out-of-fold over {metrics['evaluation_rows']:,} rows"
                    if metrics.get("cv_folds")
                    else f"on {metrics['evaluation_rows']:,} held-out rows"
                )
            )
        )
        if options["bootstrap"]:
            try:
                model_version_bootstrap(model=model, note="first model of this installation")
            except NoUsableModel as exc:
                self.stdout.write(f"Left as a candidate: {exc}")
            else:
                self.stdout.write(self.style.SUCCESS(f"Model v{model.version} is active."))
        else:
            self.stdout.write(
                f"v{model.version} is a candidate: an approver approves and activates it "
                f"on /models/{model.version}/"
            )

"""A candidate with a replay, an evidence pack and a model card, for `make run` (DEBUG only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from applicants.schema import get_schema
from demo import synthetic
from demo.training import model_train_synthetic
from governance.evidence import evidence_pack_assemble
from governance.models import EvidencePack
from governance.replay import replay_run_inline, replay_start, replay_window
from monitoring.models import ModelBaseline
from monitoring.services.baselines import baseline_bins
from scoring.features import build_matrix
from scoring.models import ModelStatus, ModelVersion
from scoring.probabilities import tier_probabilities
from scoring.scorers import InProcessScorer


class Command(BaseCommand):
    help = "Train a demo candidate, replay the last days' decisions with it and assemble its evidence pack."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rows", type=int, default=2000, help="synthetic applicants to train on")
        parser.add_argument("--if-empty", action="store_true", help="only when no evidence pack exists yet")

    def handle(self, *args: Any, rows: int, if_empty: bool, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo governance data is only created when DEBUG is on")
        if if_empty and EvidencePack.objects.exists():
            self.stdout.write("An evidence pack exists; no demo candidate added.")
            return
        if not ModelVersion.objects.filter(status=ModelStatus.ACTIVE).exists():
            raise CommandError("no active model: run train_demo_model --bootstrap first")
        schema = get_schema()
        analyst = get_user_model().objects.filter(username="analyst").first()  # seed_demo's
        seed = 13
        candidate = model_train_synthetic(schema=schema, rows=rows, seed=seed, trained_by=analyst)
        # Its drift baseline from the rows it was trained on (monitoring's bins).
        answers, _ = synthetic.generate(schema, rows, seed=seed)
        matrix = build_matrix(schema, answers)
        probs = tier_probabilities(candidate, InProcessScorer().predict_proba(candidate, matrix))
        ModelBaseline.objects.update_or_create(
            model_version=candidate,
            defaults={
                "bins": baseline_bins(schema, matrix, probs[:, 2], bins=settings.MONITORING_PSI_BINS),
                "rows": len(matrix),
                "source": f"{rows:,} synthetic training rows (demo)",
            },
        )
        since, until = replay_window()
        run = replay_run_inline(
            replay_start(model=candidate, since=since, until=until, started_by=analyst, dispatch=False)
        )
        pack = evidence_pack_assemble(model=candidate, actor=analyst)
        failed = [g["title"] for g in pack.gates if not g["passed"]]
        gates = f"failing: {', '.join(failed)}" if failed else "every gate passes"
        version = candidate.version
        self.stdout.write(
            self.style.SUCCESS(
                f"Governance demo: candidate v{version}, replay {run.pk} ({run.total:,} decisions, "
                f"{run.moved:,} would move tier); evidence ({gates}) at "
                f"/governance/models/{version}/evidence/, "
                f"model card at /governance/models/{version}/card/"
            )
        )

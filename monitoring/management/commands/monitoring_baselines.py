"""Compute the drift baseline of every model version that has none (versions trained before
monitoring existed); --recompute does all of them again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from applicants.schema import get_schema
from monitoring.models import ModelBaseline
from monitoring.services.baselines import baseline_compute
from scoring.encoding import fits_schema
from scoring.models import ModelVersion


class Command(BaseCommand):
    help = "Compute drift baselines for model versions (once; --recompute for all)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--recompute", action="store_true", help="compute existing ones again")

    def handle(self, *args: Any, recompute: bool = False, **options: Any) -> None:
        schema = get_schema()
        for model in ModelVersion.objects.order_by("version"):
            if not fits_schema(model, schema):
                self.stdout.write(f"v{model.version}: other features than the schema's, skipped")
                continue
            if not recompute and ModelBaseline.objects.filter(model_version=model).exists():
                self.stdout.write(f"v{model.version}: has a baseline")
                continue
            baseline = baseline_compute(model=model, bins=settings.MONITORING_PSI_BINS)
            self.stdout.write(f"v{model.version}: {baseline.source}")

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from monitoring.models import VolumeDaily
from scoring.models import ModelStatus, ModelVersion


class Command(BaseCommand):
    help = "Weeks of demo decisions, labels and reviews for the monitoring dashboard (DEBUG only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=42)
        parser.add_argument("--per-day", type=int, default=120)
        parser.add_argument("--if-empty", action="store_true", help="only when no roll-up exists yet")

    def handle(self, *args: Any, days: int, per_day: int, if_empty: bool, **options: Any) -> None:
        from demo.monitoring_history import monitoring_history

        if not settings.DEBUG:
            raise CommandError("demo monitoring data is only created when DEBUG is on")
        if if_empty and VolumeDaily.objects.exists():
            self.stdout.write("Monitoring roll-ups exist; no demo history added.")
            return
        model = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
        if model is None:
            raise CommandError("no active model: run train_demo_model --bootstrap first")
        result = monitoring_history(model=model, days=days, per_day=per_day)
        self.stdout.write(
            self.style.SUCCESS(
                f"Monitoring demo: {result['decisions']:,} decisions over {days} days, {result['reviews']:,} "
                f"reviews, {result['alerts']} alert(s) raised; dashboard at /monitoring/"
            )
        )

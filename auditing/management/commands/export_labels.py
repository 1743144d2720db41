from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.types import Actor
from auditing.labels import FiltersInvalid, LabelFilters
from auditing.services.exports import ExportRefused, labels_write, record_export
from objectstore import store_for


class Command(BaseCommand):
    help = (
        "Export labelled decisions (CSV or Parquet) without personal data; applicants as "
        "keyed pseudonyms. Recorded in the audit trail with its filters and a fingerprint."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
        parser.add_argument("--since", help="first day (YYYY-MM-DD) a label took effect")
        parser.add_argument("--until", help="last day (YYYY-MM-DD), inclusive")
        parser.add_argument("--channel")
        parser.add_argument("--tier", help="the auditor's final tier")
        parser.add_argument("--model-version", dest="model_version")
        parser.add_argument(
            "--output",
            help="a file path; by default the export storage (LABEL_EXPORT_STORAGE_URL, local or S3)",
        )
        parser.add_argument("--user", help="the username the audit trail records as exporter")

    def handle(self, *args: Any, format: str, output: str | None, user: str | None, **options: Any) -> None:
        try:
            filters = LabelFilters.parse(options)
        except FiltersInvalid as exc:
            raise CommandError(
                "invalid filters: "
                + "; ".join(f"--{k.replace('_', '-')}: {v}" for k, v in exc.errors.items())
            ) from exc
        actor: Actor = "command:export_labels"
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"--user: there is no user {user!r}")
        bar = tqdm(total=0, unit="rows", disable=options.get("verbosity", 1) == 0, file=self.stderr._out)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        with tempfile.TemporaryDirectory(prefix="export-labels-") as tmp:
            path = Path(tmp) / f"labels.{format}"
            try:
                result = labels_write(filters=filters, format=format, path=path, progress=progress)
            except ExportRefused as exc:
                raise CommandError(str(exc)) from exc
            finally:
                bar.close()
            if output:
                target = Path(output).expanduser().resolve()
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                destination = f"file://{target}"
            else:
                name = f"labels-{timezone.now():%Y%m%d-%H%M%S}.{format}"
                destination = store_for(settings.LABEL_EXPORT_STORAGE_URL).put(
                    f"labels/{name}", path.read_bytes()
                )
        with transaction.atomic():
            record_export(actor=actor, filters=filters, format=format, result=result, destination=destination)
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {result.rows:,} labelled decisions to {destination}\n"
                f"fingerprint (SHA-256 of the rows): {result.fingerprint}"
            )
        )

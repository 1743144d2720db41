from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from privacy.services.rotation import (
    DEFAULT_BATCH,
    ColumnReport,
    RotationFailed,
    check_column,
    encrypted_columns,
    rotate_column,
)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the newest key in PII_ENCRYPTION_KEYS "
        "(batches, each its own short transaction; resumable; reads work throughout). "
        "With --check, only count rows still under older keys. See docs/privacy.md."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
        parser.add_argument(
            "--check", action="store_true", help="count rows not yet under the newest key; exit 1 if any"
        )
        parser.add_argument(
            "--restart", action="store_true", help="ignore the checkpoints of an earlier run under this key"
        )
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            help="only this column (app_label.Model.field); repeatable",
        )

    def handle(
        self, *args: Any, batch_size: int, check: bool, restart: bool, column: list[str], **options: Any
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        columns = encrypted_columns()
        if column:
            unknown = set(column) - {c.label for c in columns}
            if unknown:
                raise CommandError(
                    f"no encrypted column {', '.join(sorted(unknown))}; known: "
                    f"{', '.join(c.label for c in columns)}"
                )
            columns = [c for c in columns if c.label in column]
        if check:
            self._check(columns)
            return
        total_rows, total_seconds = 0, 0.0
        for encrypted in columns:
            try:
                report = rotate_column(
                    encrypted, batch_size=batch_size, restart=restart, progress=self._progress
                )
            except RotationFailed as exc:
                raise CommandError(
                    f"{exc} Nothing after this row was changed; fix the keys "
                    f"and run the command again to resume."
                ) from exc
            if report.finished and not report.batches and report.resumed_after:
                self.stdout.write(
                    f"{encrypted.label}: already done under this key (--restart to walk it again)"
                )
                continue
            total_rows += report.rows
            total_seconds += report.seconds
            self.stdout.write(self.style.SUCCESS(report.line()))
        rate = total_rows / total_seconds if total_seconds else 0.0
        self.stdout.write(
            f"done: {total_rows:,} rows in {total_seconds:.1f} s ({rate:,.0f} rows/s). "
            "Run with --check before removing an older key."
        )

    def _progress(self, report: ColumnReport) -> None:
        self.stdout.write(f"  {report.line()}  [batch {report.batches}]")

    def _check(self, columns: list[Any]) -> None:
        pending = 0
        for encrypted in columns:
            result = check_column(encrypted)
            pending += result.under_older_keys + result.unreadable
            self.stdout.write(
                f"{result.column}: {result.rows:,} rows, {result.under_older_keys:,} "
                f"under older keys, {result.unreadable:,} unreadable"
            )
        if pending:
            raise CommandError(
                f"{pending:,} rows are not under the newest key yet: run "
                "rotate_pii_keys (and keep every older key until this shows 0)"
            )
        self.stdout.write(self.style.SUCCESS("every encrypted row is under the newest key"))

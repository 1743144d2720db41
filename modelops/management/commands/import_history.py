from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from applicants.schema import get_schema
from modelops.history import MISSING_VALUES, HistoryFileError, history_import


class Command(BaseCommand):
    help = (
        "Import historical applications with their final decision (a tier) or outcome "
        "(binary: --adverse-value) from a CSV file whose columns are schema field names "
        "(any letter case; --columns maps others), a label column and optionally a date "
        "column. Rejected rows are reported and written to a rejects file; importing the same "
        "file again adds nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--label-column", default="label", help="column holding the tier or the outcome (default: label)"
        )
        parser.add_argument(
            "--date-column",
            default=None,
            help="column with the date of the decision, YYYY-MM-DD or ISO 8601 (default: "
            "decided_at when the file has it); training checks the newest rows out-of-time by it. "
            "Without one, no out-of-time check is possible",
        )
        parser.add_argument(
            "--columns",
            nargs="+",
            default=[],
            metavar="FIELD=COLUMN",
            help="schema fields whose CSV column has another name, e.g. annual_income=income",
        )
        parser.add_argument(
            "--missing-values",
            nargs="+",
            default=list(MISSING_VALUES),
            metavar="TEXT",
            help="cell values that mean missing (default: empty, NA, N/A, null, None, NaN, -)",
        )
        parser.add_argument(
            "--label-kind",
            choices=["auto", "tiers", "binary"],
            default="auto",
            help="tiers (low/medium/high) or a binary outcome; auto: binary when --adverse-value is given",
        )
        parser.add_argument(
            "--adverse-value", help="the outcome that counts as adverse, e.g. defaulted, rejected, bad"
        )
        parser.add_argument(
            "--good-value", help="the other outcome (needed when the column holds more than two values)"
        )
        parser.add_argument("--id-column", help="a column identifying each row in your system")
        parser.add_argument(
            "--rejects",
            type=Path,
            help="where to write rejected rows (default: FILE.rejects.csv beside FILE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} does not exist or is not a file")
        mapping = {}
        for pair in options["columns"]:
            field_name, sep, column = pair.partition("=")
            if not sep or not field_name.strip() or not column.strip():
                raise CommandError(f"--columns takes FIELD=COLUMN pairs; {pair!r} is not one")
            mapping[field_name.strip()] = column.strip()
        try:
            report = history_import(
                schema=get_schema(),
                path=path,
                label_column=options["label_column"],
                date_column=options["date_column"],
                label_kind=options["label_kind"],
                adverse_value=options["adverse_value"],
                good_value=options["good_value"],
                id_column=options["id_column"],
                rejects_path=options["rejects"],
                imported_by="manage.py import_history",
                columns=mapping,
                missing_values=tuple(options["missing_values"]),
            )
        except HistoryFileError as exc:
            raise CommandError(str(exc)) from exc
        record = report.history_import
        self.stdout.write(
            f"Read {record.rows_read:,} rows of {path.name} ({record.label_kind} labels "
            f"in {record.label_column!r})."
        )
        if report.ignored_columns:
            self.stdout.write(
                f"Ignored columns (not fields of {record.schema_name}): {', '.join(report.ignored_columns)}"
            )
        if not report.dated:
            self.stdout.write(
                "No date column: the rows get today's date, and training can check the model only "
                "by cross-validation, not on the newest rows (no out-of-time check)."
            )
        for item in report.rejected[:20]:
            self.stdout.write(self.style.WARNING(f"  line {item.line}: {'; '.join(item.reasons)}"))
        if len(report.rejected) > 20:
            self.stdout.write(self.style.WARNING(f"  … and {len(report.rejected) - 20:,} more"))
        if report.rejected:
            self.stdout.write(f"Rejected {len(report.rejected):,} rows; they are in {record.rejects_file}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {report.imported:,} rows; {report.already_imported:,} were already imported."
            )
        )

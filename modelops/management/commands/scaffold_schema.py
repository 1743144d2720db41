"""`manage.py scaffold_schema FILE.csv [-o schema.yaml]`: a first schema from a CSV's columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from applicants.schema import SchemaError, load_schema
from modelops.history import MISSING_VALUES
from modelops.scaffold import scaffold


class Command(BaseCommand):
    help = (
        "Write a schema YAML guessed from a history CSV (types, choices, optional fields, which "
        "columns can be features, the label, id and date columns) for you to edit, and print the "
        "import_history command that reads the file with it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("-o", "--output", type=Path, help="where to write (default: FILE with .yaml)")
        parser.add_argument("--label-column", help="the label column, when the guess is wrong")
        parser.add_argument(
            "--missing-values",
            nargs="+",
            default=list(MISSING_VALUES),
            help="cells read as missing (default: empty, NA, N/A, null, None, NaN, -)",
        )
        parser.add_argument("--force", action="store_true", help="overwrite an existing output file")

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["file"]
        if not source.is_file():
            raise CommandError(f"there is no file {source}")
        output: Path = options["output"] or source.with_suffix(".yaml")
        if output.exists() and not options["force"]:
            raise CommandError(f"{output} exists; pass --force to overwrite it")
        try:
            result = scaffold(
                source, label=options["label_column"], missing_values=tuple(options["missing_values"])
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        output.write_text(result.text(source))
        try:
            load_schema(output)
        except SchemaError as exc:  # a scaffold that does not load is a bug here, said plainly
            raise CommandError(f"the scaffold {output} does not load: {exc}") from exc
        fields = result.schema["fields"]
        features = [f["name"] for f in fields if f["feature"]]
        self.stdout.write(
            f"wrote {output}: {len(fields)} fields, {len(features)} features, {result.rows:,} rows read"
        )
        for spec in fields:
            extra = f" {spec['choices']}" if spec["type"] == "choice" else ""
            flags = ("feature" if spec["feature"] else "not a feature") + (
                "" if spec["required"] else ", optional"
            )
            self.stdout.write(f"  {spec['name']:<28} {spec['type']:<8} {flags}{extra}")
        self.stdout.write(f"label column: {result.label or 'not found (pass --label-column)'}")
        if result.id_column:
            self.stdout.write(f"id column: {result.id_column}")
        if result.date_column:
            self.stdout.write(f"date column: {result.date_column}")
        else:
            self.stdout.write("no date column: training will say no out-of-time check is possible")
        self.stdout.write("edit it (labels, reasons, protected attributes), then follow its header")

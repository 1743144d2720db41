"""A first schema YAML from a history CSV's columns (issue 14): `manage.py scaffold_schema FILE`.

Per column, from its values: a type (integer, number, boolean, date, a choice of the text
values seen when there are few of them, else free text), whether it is optional (some rows
miss it, the missing spellings as import_history reads them), and whether it can be a model
feature (numbers, booleans and choices; never free text, dates or the identifying column).
The label column is guessed (by name, else the last column with two or three values) and left
out of the fields, as are an id column and a date column, which import_history takes as
options; the header says which were guessed and the command to import with. The user edits
the file (labels, reasons, protected attributes) before pointing APPLICATION_SCHEMA at it: the
schema loader checks it strictly, and the scaffold always loads as written.
"""

from __future__ import annotations

import csv
import re
import shlex
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from modelops.history import MISSING_VALUES

MAX_CHOICES = 20
LABEL_NAMES = ("label", "target", "outcome", "default", "defaulted", "bad", "class", "y", "status", "tier")
ID_NAMES = ("id", "application_id", "applicant_id", "loan_id", "customer_id", "row_id")
DATE_NAMES = ("date", "applied_at", "application_date", "decision_date", "created_at", "applied_on")
_TRUE = {"true", "yes", "y", "t"}
_FALSE = {"false", "no", "n", "f"}


@dataclass
class Column:
    header: str
    name: str
    values: list[str] = field(default_factory=list)  # present values, as written
    missing: int = 0


@dataclass
class Scaffold:
    schema: dict[str, Any]
    label: str | None
    id_column: str | None
    date_column: str | None
    rows: int
    # field → CSV header, where import_history would not match them by name (any case)
    renamed: dict[str, str] = field(default_factory=dict)

    def columns_option(self) -> list[str]:
        """import_history's `--columns` values for the renamed fields."""
        return [f"{name}={header}" for name, header in self.renamed.items()]

    def text(self, source: Path) -> str:
        command = f"python manage.py import_history {shlex.quote(source.name)}"
        if self.label:
            command += f" --label-column {shlex.quote(self.label)}"
        if self.date_column:
            command += f" --date-column {shlex.quote(self.date_column)}"
        if self.id_column:
            command += f" --id-column {shlex.quote(self.id_column)}"
        if self.renamed:
            command += " --columns " + " ".join(shlex.quote(v) for v in self.columns_option())
        notes = [
            f"Scaffolded from {source.name} ({self.rows:,} rows) by manage.py scaffold_schema: edit it.",
            f"Label column (guessed, not a field): {self.label or 'none found, pass --label-column'}",
            f"Id column: {self.id_column or 'none'}; date column: {self.date_column or 'none'}",
            "Check each type, give labels and applicants' reasons (reason: {increases_risk: ...,",
            "decreases_risk: ...}) to the features, and mark any protected attribute",
            "(protected: true, never a feature). Then set APPLICATION_SCHEMA to this file and run",
            command,
        ]
        header = "".join(f"# {line}\n" for line in notes)
        return header + yaml.safe_dump(self.schema, sort_keys=False, allow_unicode=True, width=100)


def field_name(header: str) -> str:
    """A lower_snake_case schema name for a column header ("Loan Amount (£)" → loan_amount)."""
    name = re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"field_{name}".rstrip("_")
    return name[:63]


def _is_int(v: str) -> bool:
    return re.fullmatch(r"[-+]?\d+", v.strip()) is not None


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def _is_date(v: str) -> bool:
    try:
        date.fromisoformat(v.strip()[:10])
    except ValueError:
        return False
    return len(v.strip()) >= 10


def guess_type(values: list[str]) -> str:
    if not values:
        return "string"
    if all(v.strip().lower() in _TRUE | _FALSE for v in values):
        return "boolean"
    if all(_is_int(v) for v in values):
        return "integer"
    if all(_is_number(v) for v in values):
        return "number"
    if all(_is_date(v) for v in values):
        return "date"
    distinct = {v.strip() for v in values}
    if len(distinct) <= MAX_CHOICES and len(distinct) < max(2, len(values) // 2):
        return "choice"
    return "string"


def _read(path: Path, missing_values: tuple[str, ...]) -> tuple[list[Column], int]:
    missing = {m.strip().lower() for m in missing_values}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        headers = list(reader.fieldnames or [])
        columns = [Column(header=h, name=field_name(h)) for h in headers]
        rows = 0
        for row in reader:
            rows += 1
            for column in columns:
                value = row.get(column.header)
                if value is None or value.strip().lower() in missing:
                    column.missing += 1
                else:
                    column.values.append(value.strip())
    seen: dict[str, int] = {}
    for column in columns:  # two headers with one name: number the later ones
        count = seen.get(column.name, 0)
        seen[column.name] = count + 1
        if count:
            column.name = f"{column.name}_{count + 1}"[:63]
    return columns, rows


def _guess_label(columns: list[Column]) -> Column | None:
    by_name = {c.name: c for c in columns}
    for name in LABEL_NAMES:
        if name in by_name and len(set(by_name[name].values)) in (2, 3):
            return by_name[name]
    small = [c for c in columns if len(set(c.values)) in (2, 3) and not c.missing]
    return small[-1] if small else None


def _guess_id(columns: list[Column], rows: int) -> Column | None:
    for column in columns:
        unique = len(set(column.values)) == rows and not column.missing
        if column.name in ID_NAMES or (column.name.endswith("_id") and unique):
            return column
    return None


def _guess_date(columns: list[Column]) -> Column | None:
    dated = [c for c in columns if c.values and guess_type(c.values) == "date"]
    for column in dated:
        if column.name in DATE_NAMES or "date" in column.name:
            return column
    return dated[0] if len(dated) == 1 else None


def _field(column: Column) -> dict[str, Any]:
    type_ = guess_type(column.values)
    spec: dict[str, Any] = {
        "name": column.name,
        "label": column.header.strip() or column.name,
        "type": type_,
        "required": column.missing == 0,
    }
    if type_ == "choice":
        spec["choices"] = sorted({v.strip() for v in column.values})
    elif type_ in ("integer", "number") and column.values:
        numbers = [float(v) for v in column.values]
        low, high = min(numbers), max(numbers)
        spec["min"] = int(low) if type_ == "integer" else low
        spec["max"] = int(high) if type_ == "integer" else high
    spec["feature"] = type_ in ("integer", "number", "boolean", "choice")
    return spec


def scaffold(
    path: Path, *, label: str | None = None, missing_values: tuple[str, ...] = MISSING_VALUES
) -> Scaffold:
    """The schema a CSV's columns suggest; `label` names the label column when the guess is wrong."""
    columns, rows = _read(path, missing_values)
    if not columns:
        raise ValueError(f"{path.name} has no header row")
    if label is not None:
        wanted = field_name(label)
        label_column = next((c for c in columns if c.name == wanted or c.header == label), None)
        if label_column is None:
            raise ValueError(f"{path.name} has no column {label!r}")
    else:
        label_column = _guess_label(columns)
    rest = [c for c in columns if c is not label_column]
    id_column = _guess_id(rest, rows)
    rest = [c for c in rest if c is not id_column]
    date_column = _guess_date(rest)
    fields = [_field(c) for c in rest if c is not date_column]
    if not any(f["feature"] for f in fields):
        raise ValueError(f"{path.name}: no column can be a model feature (numbers, yes/no or choices)")
    name = field_name(path.stem)
    schema = {
        "name": name,
        "title": path.stem.replace("_", " ").capitalize(),
        "version": 1,
        "description": f"Scaffolded from {path.name}.",
        "fields": fields,
    }
    return Scaffold(
        schema=schema,
        label=label_column.header if label_column else None,
        id_column=id_column.header if id_column else None,
        date_column=date_column.header if date_column else None,
        rows=rows,
        renamed={
            c.name: c.header for c in rest if c is not date_column and c.header.strip().lower() != c.name
        },
    )

"""Importing historical applications with their final decision or outcome (import_history).

Each row is validated against the application schema the way a submission is, except that
fields the model does not use (identity, contact details, consent) may be absent: a
history exists to train models. Personal answers are dropped, never stored. Every rejected
row is reported with its reasons and written to a rejects file. A row's key is a hash of
its content (or of its id column), so importing a file again adds nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from applicants.schema import ApplicationSchema
from applicants.validation import ApplicationInvalid, validate_answers
from modelops.models import HistoricalApplication, HistoryImport
from objectstore.csv_safety import csv_dict_writer
from scoring.models import TIERS, Target


class HistoryFileError(Exception):
    """The file as a whole cannot be imported (missing column, unreadable, ambiguous labels)."""


@dataclass
class Rejected:
    line: int
    row: dict[str, str]
    reasons: list[str]


@dataclass
class ImportReport:
    history_import: HistoryImport
    imported: int = 0
    already_imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    label_values: dict[str, int] = field(default_factory=dict)
    dated: bool = True


def history_schema(schema: ApplicationSchema) -> ApplicationSchema:
    """The schema with only what the model needs still required."""
    needed = {f.name for f in schema.fields if f.feature}
    for derived in schema.derived:
        if derived.feature:
            needed |= set(derived.inputs)
    fields = tuple(
        f if f.name in needed else dataclasses.replace(f, required=False, must_be_true=False)
        for f in schema.fields
        if not f.pii
    )
    return dataclasses.replace(schema, fields=fields)


def _normal(value: str | None) -> str:
    return (value or "").strip().lower()


def _parse_when(raw: str) -> dt.datetime | None:
    raw = (raw or "").strip()
    when = parse_datetime(raw) if "T" in raw or " " in raw else None
    if when is None:
        day = parse_date(raw)
        when = dt.datetime.combine(day, dt.time()) if day else None
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when, dt.UTC)
    return when


DEFAULT_DATE_COLUMN = "decided_at"
MISSING_VALUES = ("", "NA", "N/A", "null", "NULL", "None", "NaN", "-")


def _find(header: list[str], name: str) -> str | None:
    """The header's column called `name`, ignoring case and surrounding spaces."""
    wanted = _normal(name)
    return next((column for column in header if _normal(column) == wanted), None)


def _field_columns(
    schema: ApplicationSchema, header: list[str], mapping: dict[str, str], path: Path
) -> dict[str, str]:
    """Schema field → CSV column: the mapping given, else the column of the same name."""
    unknown = sorted(set(mapping) - set(schema.by_name))
    if unknown:
        raise HistoryFileError(
            f"--columns names fields {schema.name} does not have: {', '.join(unknown)}; "
            f"its fields are: {', '.join(schema.by_name)}"
        )
    found = {}
    for name in schema.by_name:
        column = _find(header, mapping.get(name, name))
        if column is None and name in mapping:
            raise HistoryFileError(
                f"{path.name} has no column {mapping[name]!r} (--columns {name}={mapping[name]}); "
                f"its columns are: {', '.join(header)}"
            )
        if column is not None:
            found[name] = column
    return found


def _renamed(
    row: dict[str, str], fields: dict[str, str], found: dict[str, str], missing: set[str]
) -> dict[str, str]:
    """A row keyed by schema field names (and by the label/date/id option names), with the
    missing-value spellings blanked."""

    def cell(column: str) -> str:
        value = row.get(column)
        return "" if value is None or _normal(value) in missing else value

    return {
        **{name: cell(column) for name, column in fields.items()},
        **{option: cell(column) for option, column in found.items()},
    }


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise HistoryFileError(f"{path} cannot be read as CSV: {exc}") from exc


def _label_kind(kind: str, adverse_value: str | None) -> str:
    if kind == "auto":
        return Target.BINARY if adverse_value else Target.TIERS
    if kind == Target.BINARY and not adverse_value:
        raise HistoryFileError("a binary outcome needs --adverse-value (e.g. defaulted, rejected, bad)")
    return kind


def history_import(
    *,
    schema: ApplicationSchema,
    path: Path,
    label_column: str = "label",
    date_column: str | None = None,
    label_kind: str = "auto",
    adverse_value: str | None = None,
    good_value: str | None = None,
    id_column: str | None = None,
    rejects_path: Path | None = None,
    imported_by: str = "",
    columns: dict[str, str] | None = None,
    missing_values: tuple[str, ...] = MISSING_VALUES,
) -> ImportReport:
    """Import a history file. Columns match schema fields by name, ignoring case; `columns`
    maps the others (schema field → CSV column). Without a date column (none named, and no
    `decided_at`), rows get the import's time and training says no out-of-time check is
    possible. Cells spelled as in `missing_values` (NA, N/A, null, empty...) are missing."""
    kind = _label_kind(label_kind, adverse_value)
    header, raw_rows = _read(path)
    if date_column is None:
        date_column = DEFAULT_DATE_COLUMN if _find(header, DEFAULT_DATE_COLUMN) else ""
    found: dict[str, str] = {}
    for column, option in (
        (label_column, "--label-column"),
        (date_column, "--date-column"),
        (id_column, "--id-column"),
    ):
        if column:
            match = _find(header, column)
            if match is None:
                raise HistoryFileError(
                    f"{path.name} has no column {column!r} ({option}); its columns are: {', '.join(header)}"
                )
            found[column] = match
    field_columns = _field_columns(schema, header, columns or {}, path)
    missing = {_normal(value) for value in missing_values}
    rows = [_renamed(row, field_columns, found, missing) for row in raw_rows]
    labels_seen = Counter(_normal(row.get(label_column)) for row in rows)
    adverse, good = _normal(adverse_value), _normal(good_value)
    if kind == Target.BINARY:
        outcomes = {value for value in labels_seen if value}
        if adverse not in outcomes and rows:
            raise HistoryFileError(
                f"no row has the adverse value {adverse_value!r} in {label_column!r}; "
                f"values found: {_list(labels_seen)}"
            )
        if not good:
            others = outcomes - {adverse}
            if len(others) > 1:
                raise HistoryFileError(
                    f"{label_column!r} holds more than two outcomes ({_list(labels_seen)}); "
                    "say which one is the good outcome with --good-value"
                )
            good = next(iter(others), "")

    relaxed = history_schema(schema)
    known = set(field_columns.values()) | set(found.values())
    report = ImportReport(
        history_import=HistoryImport(
            file_name=str(path),
            schema_name=schema.name,
            label_column=label_column,
            label_kind=kind,
            adverse_value=adverse_value or "",
            imported_by=imported_by,
            rows_read=len(rows),
        ),
        ignored_columns=[c for c in header if c not in known],
        dated=bool(date_column),
        label_values=dict(labels_seen),
    )
    valid: list[HistoricalApplication] = []
    imported_at = timezone.now()
    seen: Counter[str] = Counter()
    for line, (row, raw) in enumerate(zip(rows, raw_rows, strict=True), start=2):  # 1 is the header
        reasons: list[str] = []
        answers = {
            name: value
            for name, value in row.items()
            if name in relaxed.by_name and value is not None and value.strip() != ""
        }
        try:
            clean = validate_answers(relaxed, answers)
        except ApplicationInvalid as exc:
            clean = {}
            reasons += [f"{name}: {' '.join(messages)}" for name, messages in exc.errors.items()]
        when = _parse_when(row.get(date_column, "")) if date_column else imported_at
        if when is None:
            reasons.append(f"{date_column}: {row.get(date_column)!r} is not a date (use YYYY-MM-DD)")
        value = _normal(row.get(label_column))
        tier, is_adverse = "", None
        if kind == Target.TIERS:
            if value in TIERS:
                tier = value
            else:
                reasons.append(f"{label_column}: {row.get(label_column)!r} is not a tier (low, medium, high)")
        elif value == adverse:
            is_adverse = True
        elif value == good:
            is_adverse = False
        else:
            reasons.append(
                f"{label_column}: {row.get(label_column)!r} is neither "
                f"{adverse_value!r} (adverse) nor {good!r}"
            )
        if reasons:
            report.rejected.append(Rejected(line, raw, reasons))
            continue
        assert when is not None  # (else a reason was given above and the row skipped)
        external = (row.get(id_column) or "").strip() if id_column else ""
        if external:
            key_source = f"id:{external}"
        else:
            # Two identical rows are two applications: the n-th copy in the file has its own key,
            # so importing the same file again still adds nothing.
            content = json.dumps(
                {"answers": clean, "label": value, "at": when.isoformat() if date_column else ""},
                sort_keys=True,
                default=str,
            )
            seen[content] += 1
            key_source = f"{content}#{seen[content]}"
        valid.append(
            HistoricalApplication(
                schema_name=schema.name,
                row_key=hashlib.sha256(key_source.encode()).hexdigest(),
                answers=clean,
                label_kind=kind,
                tier=tier,
                adverse=is_adverse,
                outcome=value,
                occurred_at=when,
            )
        )
    _store(report, valid)
    if report.rejected:
        target = rejects_path or path.with_name(f"{path.stem}.rejects.csv")
        _write_rejects(target, header, report.rejected)
        report.history_import.rejects_file = str(target)
        report.history_import.save(update_fields=["rejects_file"])
    return report


def _store(report: ImportReport, valid: list[HistoricalApplication]) -> None:
    unique = {row.row_key: row for row in valid}  # the same id twice in a file imports once
    with transaction.atomic():
        existing = set()
        keys = list(unique)
        schema_name = report.history_import.schema_name
        for start in range(0, len(keys), 5000):
            existing |= set(
                HistoricalApplication.objects.filter(
                    schema_name=schema_name, row_key__in=keys[start : start + 5000]
                ).values_list("row_key", flat=True)
            )
        new = [row for key, row in unique.items() if key not in existing]
        record = report.history_import
        record.rows_imported = len(new)
        record.rows_already_imported = len(valid) - len(new)
        record.rows_rejected = len(report.rejected)
        record.save()
        for row in new:
            row.history_import = record
        HistoricalApplication.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    report.imported, report.already_imported = record.rows_imported, record.rows_already_imported


def _write_rejects(target: Path, header: list[str], rejected: list[Rejected]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        # Rows people open in a spreadsheet: text that would run as a formula gets a '.
        writer = csv_dict_writer(handle, ["line", "reasons", *header], extrasaction="ignore")
        writer.writeheader()
        for item in rejected:
            writer.writerow({**item.row, "line": item.line, "reasons": "; ".join(item.reasons)})


def _list(counter: Counter) -> str:
    return ", ".join(f"{value or '(blank)'} x{n}" for value, n in counter.most_common(8))

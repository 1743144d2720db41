"""`manage.py scaffold_schema` (issue 14): a schema from a CSV's columns that loads, reads the
file back through import_history, and guesses types, choices, optional fields and the label."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from applicants.schema import load_schema
from modelops.scaffold import field_name, guess_type, scaffold

HEADER = [
    "Loan_ID",
    "Applied On",
    "Income",
    "Loan Amount (£)",
    "Term",
    "Home",
    "Has Guarantor",
    "Notes",
    "Default",
]
HOMES = ["rent", "own", "mortgage"]


def write_csv(path: Path, rows: int = 120) -> Path:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(rows):
            out.writerow(
                [
                    f"L{1000 + i}",
                    f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    "NA" if i % 10 == 0 else f"{20000 + 137 * i}.5",
                    str(1000 + 50 * i),
                    str((12, 24, 36)[i % 3]),
                    HOMES[i % 3],
                    "yes" if i % 4 == 0 else "no",
                    f"free text number {i}",
                    "yes" if i % 5 == 0 else "no",
                ]
            )
    return path


def test_types_choices_optional_fields_and_guessed_columns(tmp_path: Path) -> None:
    result = scaffold(write_csv(tmp_path / "loans.csv"))
    assert (result.label, result.id_column, result.date_column) == ("Default", "Loan_ID", "Applied On")
    # import_history matches a header to a field by name in any case; the others are mapped.
    assert result.renamed == {"loan_amount": "Loan Amount (£)", "has_guarantor": "Has Guarantor"}
    fields = {f["name"]: f for f in result.schema["fields"]}
    assert list(fields) == ["income", "loan_amount", "term", "home", "has_guarantor", "notes"]
    assert fields["income"]["type"] == "number" and fields["income"]["required"] is False  # NA
    assert fields["loan_amount"] == {
        "name": "loan_amount",
        "label": "Loan Amount (£)",
        "type": "integer",
        "required": True,
        "min": 1000,
        "max": 6950,
        "feature": True,
    }
    assert fields["home"]["type"] == "choice" and fields["home"]["choices"] == sorted(HOMES)
    assert fields["has_guarantor"]["type"] == "boolean" and fields["has_guarantor"]["feature"]
    assert fields["notes"]["type"] == "string" and not fields["notes"]["feature"]


def test_the_command_writes_a_schema_that_loads_and_imports_the_file(
    tmp_path: Path, settings: Any, db: Any
) -> None:
    source = write_csv(tmp_path / "loans.csv")
    out = StringIO()
    call_command("scaffold_schema", str(source), stdout=out)
    written = tmp_path / "loans.yaml"
    text = written.read_text()
    assert text.startswith("# Scaffolded from loans.csv (120 rows)")
    command = (
        "python manage.py import_history loans.csv --label-column Default --date-column 'Applied On' "
        "--id-column Loan_ID --columns 'loan_amount=Loan Amount (£)' 'has_guarantor=Has Guarantor'"
    )
    assert command in text
    assert "home" in out.getvalue() and "label column: Default" in out.getvalue()
    schema = load_schema(written)
    assert [f.name for f in schema.features] == ["income", "loan_amount", "term", "home", "has_guarantor"]

    settings.APPLICATION_SCHEMA = str(written)
    imported = StringIO()
    call_command(
        "import_history",
        str(source),
        "--label-column",
        "Default",
        "--date-column",
        "Applied On",
        "--id-column",
        "Loan_ID",
        "--columns",
        "loan_amount=Loan Amount (£)",
        "has_guarantor=Has Guarantor",
        "--adverse-value",
        "yes",
        "--rejects",
        str(tmp_path / "rejects.csv"),
        stdout=imported,
    )
    report = imported.getvalue()
    assert "Imported 120 rows; 0 were already imported." in report, report
    assert "Rejected" not in report and "Ignored columns" not in report, report

    with pytest.raises(CommandError, match=r"loans\.yaml exists; pass --force"):
        call_command("scaffold_schema", str(source), stdout=StringIO())


def test_names_types_and_clear_errors(tmp_path: Path) -> None:
    assert field_name("Loan Amount (£)") == "loan_amount"
    assert field_name("2nd applicant") == "field_2nd_applicant"
    assert guess_type(["1", "2", "-3"]) == "integer"
    assert guess_type(["1", "2.5"]) == "number"
    assert guess_type(["True", "false"]) == "boolean"
    assert guess_type(["2025-01-02", "2025-02-03"]) == "date"
    with pytest.raises(CommandError, match="there is no file"):
        call_command("scaffold_schema", str(tmp_path / "nope.csv"))
    only_text = tmp_path / "text.csv"
    only_text.write_text("name,label\n" + "".join(f"person {i},{i % 2}\n" for i in range(10)))
    with pytest.raises(CommandError, match="no column can be a model feature"):
        call_command("scaffold_schema", str(only_text))
    with pytest.raises(CommandError, match="has no column 'outcome'"):
        call_command("scaffold_schema", str(write_csv(tmp_path / "l.csv")), "--label-column", "outcome")

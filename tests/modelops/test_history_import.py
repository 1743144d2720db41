from __future__ import annotations

import csv

import pytest
from django.core.management import CommandError, call_command

from applicants.schema import get_schema
from modelops.models import HistoricalApplication, HistoryImport
from tests.modelops.history_files import write_history

pytestmark = pytest.mark.django_db


def test_a_tier_history_is_validated_imported_and_personal_data_dropped(tmp_path, capsys):
    bad = {"annual_income": "lots", "label": "low", "decided_at": "2026-01-02"}
    wrong_label = {"annual_income": "30000", "label": "meh", "decided_at": "2026-01-03"}
    path = write_history(tmp_path / "past.csv", get_schema(), 60, with_pii=True, extra=[bad, wrong_label])
    call_command("import_history", str(path))
    out = capsys.readouterr().out
    assert "Imported 60 rows; 0 were already imported." in out
    assert "Rejected 2 rows" in out and "line 62" in out and "is not a tier" in out
    assert "Ignored columns (not fields of consumer_credit): branch" in out
    row = HistoricalApplication.objects.first()
    assert row.label_kind == "tiers" and row.tier in ("low", "medium", "high")
    assert "national_id" not in row.answers and "full_name" not in row.answers
    assert "annual_income" in row.answers
    with (tmp_path / "past.rejects.csv").open() as handle:
        rejects = list(csv.DictReader(handle))
    assert [r["line"] for r in rejects] == ["62", "63"]
    assert "annual_income" in rejects[0]["reasons"] and "required" in rejects[0]["reasons"]


def test_importing_the_same_file_again_adds_nothing(tmp_path, capsys):
    path = write_history(tmp_path / "past.csv", get_schema(), 30)
    call_command("import_history", str(path))
    call_command("import_history", str(path))
    assert "Imported 0 rows; 30 were already imported." in capsys.readouterr().out
    assert HistoricalApplication.objects.count() == 30
    assert HistoryImport.objects.count() == 2


def test_a_binary_outcome_needs_its_adverse_value_and_maps_both_outcomes(tmp_path):
    path = write_history(tmp_path / "loans.csv", get_schema(), 80, binary=True)
    call_command("import_history", str(path), "--adverse-value", "defaulted")
    rows = HistoricalApplication.objects.all()
    assert {r.label_kind for r in rows} == {"binary"}
    assert {(r.outcome, r.adverse) for r in rows} == {("defaulted", True), ("paid", False)}
    with pytest.raises(CommandError, match="no row has the adverse value 'charged_off'"):
        call_command("import_history", str(path), "--adverse-value", "charged_off")


def test_file_level_problems_are_clear(tmp_path):
    path = write_history(tmp_path / "past.csv", get_schema(), 5)
    with pytest.raises(CommandError, match="has no column 'outcome' \\(--label-column\\)"):
        call_command("import_history", str(path), "--label-column", "outcome")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_history", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="needs --adverse-value"):
        call_command("import_history", str(path), "--label-kind", "binary")


def test_an_id_column_recognises_rows_imported_before_even_when_corrected(tmp_path, capsys):
    path = tmp_path / "ids.csv"
    header = (
        "ref,employment_status,annual_income,monthly_housing_cost,monthly_debt_payments,"
        "existing_credit_lines,delinquencies_2y,requested_amount,term_months,loan_purpose,label,decided_at\n"
    )
    row = "L-1,employed_full_time,{income},900,200,2,0,5000,36,car,low,2025-03-01\n"
    path.write_text(header + row.format(income=40000))
    call_command("import_history", str(path), "--id-column", "ref")
    path.write_text(header + row.format(income=41000))  # the same loan, its income corrected
    call_command("import_history", str(path), "--id-column", "ref")
    assert "Imported 0 rows; 1 were already imported." in capsys.readouterr().out
    assert HistoricalApplication.objects.get().answers["annual_income"] == 40000


HEADER = (
    "Employment_Status,ANNUAL_INCOME,housing,monthly_debt_payments,existing_credit_lines,"
    "delinquencies_2y,credit_history_years,requested_amount,term_months,loan_purpose,Label"
)
ROW = "employed_full_time,40000,900,200,2,0,{history},5000,36,car,low"


def test_columns_match_in_any_case_or_by_mapping_and_na_reads_as_missing(tmp_path, capsys):
    path = tmp_path / "theirs.csv"
    path.write_text("\n".join([HEADER, ROW.format(history="NA"), ROW.format(history="7")]))
    call_command("import_history", str(path), "--columns", "monthly_housing_cost=housing")
    out = capsys.readouterr().out
    assert "Imported 2 rows" in out and "Rejected" not in out
    answers = sorted((r.answers for r in HistoricalApplication.objects.all()), key=str)
    assert {a["annual_income"] for a in answers} == {40000}
    assert {a["monthly_housing_cost"] for a in answers} == {900}
    # "NA" is missing, not the text "NA": the optional field is absent, not rejected.
    assert sorted(str(a.get("credit_history_years")) for a in answers) == ["7.0", "None"]
    with pytest.raises(CommandError, match="does not have: housing_cost"):
        call_command("import_history", str(path), "--columns", "housing_cost=housing")


def test_identical_rows_are_two_applications_and_a_file_without_dates_imports(tmp_path, capsys):
    path = tmp_path / "twins.csv"
    same = ROW.format(history="3")
    path.write_text("\n".join([HEADER, same, same]))
    call_command("import_history", str(path), "--columns", "monthly_housing_cost=housing")
    out = capsys.readouterr().out
    assert "Imported 2 rows; 0 were already imported." in out
    assert "no out-of-time check" in out
    call_command("import_history", str(path), "--columns", "monthly_housing_cost=housing")
    assert "Imported 0 rows; 2 were already imported." in capsys.readouterr().out
    assert HistoricalApplication.objects.count() == 2

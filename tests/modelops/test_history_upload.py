"""The history upload page (issue #15): a CSV imported in the browser, its rejects listed and
downloadable, the models page's training-data panel, and files refused with a message. With
Django's test client and real PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.roles import Role
from applicants.schema import get_schema
from modelops.models import HistoricalApplication, HistoryImport, TrainingRun
from tests.modelops.history_files import write_history

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _history_folder(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.LIFECYCLE_MIN_TRAINING_ROWS = 50


def uploads(tmp_path: Path) -> list[Path]:
    root = tmp_path / "var" / "history-imports"
    return sorted(root.rglob("*")) if root.exists() else []


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, content: bytes, name: str = "past.csv", **options):
    data = {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "label_column": "label"}
    data.update(options)
    return client.post("/models/history/", data)


def history_csv(tmp_path: Path, rows: int, **kwargs) -> bytes:
    return write_history(tmp_path / "h.csv", get_schema(), rows, **kwargs).read_bytes()


def test_a_good_csv_is_imported_and_the_panel_counts_rise(erin, tmp_path):
    client = logged_in(erin)
    before = client.get("/models/").content.decode()
    assert 'id="rows-usable"><strong>0</strong>' in before
    assert "50 more rows until training is possible" in before
    assert 'id="train" disabled' in before and 'data-percent="0"' in before

    response = upload(client, history_csv(tmp_path, 30))
    page = response.content.decode()
    assert response.status_code == 200, page
    assert '<strong id="rows-imported">30</strong> rows imported' in page
    assert '<strong id="rows-rejected">0</strong> rejected' in page
    assert HistoricalApplication.objects.count() == 30
    record = HistoryImport.objects.get()
    assert record.imported_by == "erin" and record.rows_imported == 30 and not record.rejects_file
    assert uploads(tmp_path) == []  # the uploaded copy (personal columns and all) is not kept

    after = client.get("/models/").content.decode()
    assert 'id="rows-usable"><strong>30</strong>' in after and "imported history, tiers" in after
    assert "20 more rows until training is possible" in after and 'data-percent="60"' in after
    assert 'id="train" disabled' in after
    assert "style=" not in after  # the bar's width comes from data-percent (CSP: no inline style)


def test_enough_rows_enable_the_start_training_button(erin, tmp_path):
    client = logged_in(erin)
    page = upload(client, history_csv(tmp_path, 60)).content.decode()
    assert "Enough rows to train" in page and 'data-percent="100"' in page
    assert '<button type="submit" id="train">Start training</button>' in page
    response = client.post("/models/train/")
    run = TrainingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/models/training/{run.pk}/"
    assert 'id="train" disabled' not in client.get("/models/").content.decode()


def test_bad_rows_are_listed_with_reasons_and_downloadable_csv_safe(erin, make_user, tmp_path):
    bad = [
        {"annual_income": "lots", "label": "low", "decided_at": "2026-01-02"},
        {"annual_income": "30000", "label": '=HYPERLINK("http://x")', "decided_at": "2026-01-03"},
        {"annual_income": "30000", "label": "high", "decided_at": "last week"},
    ]
    client = logged_in(erin)
    page = upload(client, history_csv(tmp_path, 20, extra=bad)).content.decode()
    assert (
        '<strong id="rows-imported">20</strong>' in page and '<strong id="rows-rejected">3</strong>' in page
    )
    for line, reason in (
        ("22", "annual_income: "),
        ("23", "is not a tier (low, medium, high)"),
        ("24", "is not a date (use YYYY-MM-DD)"),
    ):
        assert f"<tr><td>{line}</td><td>" in page and reason in page
    record = HistoryImport.objects.get()
    assert f'href="/models/history/{record.pk}/rejects.csv"' in page

    response = client.get(f"/models/history/{record.pk}/rejects.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]  # a FileResponse
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [r["line"] for r in rows] == ["22", "23", "24"]
    assert rows[1]["label"] == '\'=HYPERLINK("http://x")'  # a formula in a spreadsheet no more
    assert "is not a tier" in rows[1]["reasons"]

    lead = make_user("lena", Role.AUDITOR_LEAD)  # sees the registry, may not import or download
    assert logged_in(lead).get(f"/models/history/{record.pk}/rejects.csv").status_code == 403


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("past.csv", b"", "The file is empty."),
        ("past.xlsx", b"PK\x03\x04rest-of-a-zip", "is not a .csv file"),
        ("past.csv", b"PK\x03\x04rest-of-a-zip", "an Excel workbook (.xlsx)"),
        ("past.csv", b"annual_income,label\n\xe9t\xe9,low\n", "not UTF-8 text: byte 0xe9 on line 2"),
        ("past.csv", b"a,b\x00,c\n1,2,3\n", "holds NUL bytes"),
        ("past.csv", b"annual_income;label\n30000;low\n", "separated by semicolons"),
        ("past.csv", b"colour,size,label\nred,4,low\n", "No column of the file matches a field of"),
        ("past.csv", b"annual_income,label\n", "The file has a header but no rows."),
        ("past.csv", b"annual_income,outcome\n30000,low\n", "The file has no column &#x27;label&#x27;"),
    ],
)
def test_files_that_are_not_a_usable_csv_get_a_message_and_nothing_is_imported(
    erin, tmp_path, name, content, message
):
    response = upload(logged_in(erin), content, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not HistoricalApplication.objects.exists() and not HistoryImport.objects.exists()
    assert uploads(tmp_path) == []


def test_a_file_level_problem_found_by_the_import_is_said_in_the_forms_words(erin, tmp_path):
    content = history_csv(tmp_path, 20, binary=True)
    response = upload(logged_in(erin), content, label_kind="binary", adverse_value="charged_off")
    page = response.content.decode()
    assert response.status_code == 400
    assert (
        "no row has the adverse value &#x27;charged_off&#x27;" in page
        and "--" not in page.split("form-errors")[1][:400]
    )
    assert not HistoryImport.objects.exists() and uploads(tmp_path) == []


def test_a_binary_history_with_a_column_mapping_and_own_missing_values(erin, tmp_path):
    path = write_history(tmp_path / "loans.csv", get_schema(), 41, binary=True)
    rows = list(csv.DictReader(path.open()))
    rows[-1]["annual_income"] = "unknown"  # line 42
    out = io.StringIO()
    writer = csv.DictWriter(out, [("Income" if c == "annual_income" else c) for c in rows[0]])
    writer.writeheader()
    writer.writerows({("Income" if k == "annual_income" else k): v for k, v in row.items()} for row in rows)
    content = out.getvalue().encode()
    response = upload(
        logged_in(erin),
        content,
        label_kind="binary",
        adverse_value="defaulted",
        columns="annual_income=Income\n",
        missing_values="NA, unknown",
    )
    page = response.content.decode()
    assert response.status_code == 200, page
    assert (
        '<strong id="rows-imported">40</strong>' in page and '<strong id="rows-rejected">1</strong>' in page
    )
    reasons = page.split("<tr><td>42</td><td>", 1)[1].split("</td>", 1)[0]
    assert reasons.startswith("annual_income: ") and "required" in reasons, reasons  # "unknown" is missing
    imported = HistoricalApplication.objects.all()
    assert {r.label_kind for r in imported} == {"binary"}
    assert all("annual_income" in r.answers for r in imported)
    assert "imported history, binary" in logged_in(erin).get("/models/").content.decode()


def test_a_mapping_that_names_no_field_is_refused(erin, tmp_path):
    response = upload(logged_in(erin), history_csv(tmp_path, 5), columns="salary=Income\nnot a pair")
    page = response.content.decode()
    assert response.status_code == 400 and "is not schema_field=csv_column" in page
    response = upload(logged_in(erin), history_csv(tmp_path, 5), columns="salary=Income")
    assert "salary: not fields of consumer_credit" in response.content.decode()
    assert not HistoryImport.objects.exists()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(erin, tmp_path, monkeypatch):
    from modelops import forms, views_history

    monkeypatch.setattr(forms, "HISTORY_UPLOAD_MAX_BYTES", 1000)
    content = history_csv(tmp_path, 30)
    response = upload(logged_in(erin), content)  # the form's own check
    assert response.status_code == 400
    assert "the limit here is 1,000 bytes. Split it" in response.content.decode()
    monkeypatch.setattr(views_history, "HISTORY_UPLOAD_MAX_BYTES", 1000)
    monkeypatch.setattr(views_history, "_BODY_SLACK", 0)
    response = upload(logged_in(erin), content)  # Content-Length, before the body is parsed
    assert response.status_code == 413
    assert "the limit here is 1,000 bytes. Split the file" in response.content.decode()
    assert not HistoryImport.objects.exists() and uploads(tmp_path) == []


def test_an_upload_without_the_csrf_token_is_refused(erin, tmp_path):
    """The view reads Content-Length before the body (csrf_exempt), then checks CSRF itself."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(erin)
    assert upload(client, history_csv(tmp_path, 5)).status_code == 403
    assert not HistoryImport.objects.exists()


def test_roles_that_may_not_train_may_not_import(alice, dave, make_user, tmp_path):
    lead = make_user("lena", Role.AUDITOR_LEAD)
    content = history_csv(tmp_path, 5)
    for user in (alice, dave, lead):
        client = logged_in(user)
        assert client.get("/models/history/").status_code == 403
        assert upload(client, content).status_code == 403
    assert "Import a history file" not in logged_in(lead).get("/models/").content.decode()
    assert Client().get("/models/history/").status_code == 302
    assert not HistoryImport.objects.exists()

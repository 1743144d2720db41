"""Labelled exports: no personal data, stable keyed pseudonyms, CSV and Parquet, filters,
background jobs in a real worker, files in S3, and every export in the audit trail."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from applicants.crypto import pseudonym
from auditing.models import ExportJob, JobStatus
from auditing.services.exports import export_file, export_job_create, export_job_run
from auditing.services.queue import review_item_claim
from auditing.services.reviews import review_record
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db

PERSONAL = ("Jane Q. Example", "jane@example.com", "1986-04-23", "Example Street", "EX1 2MP")


@pytest.fixture
def labelled(routed, answers, risky, dave):
    """Two reviewed applications of the same person: one confirmed, one overridden."""

    def review(item, **kwargs):
        review_item_claim(item_id=item.pk, user=dave)
        return review_record(item_id=item.pk, auditor=dave, **kwargs)

    first = routed(answers, national_id="AB-123456-C")
    second = routed(risky, national_id="AB-123456-C", channel="mail")
    review(first, final_tier=first.model_tier)
    review(second, final_tier="medium", reason_code="income_not_supported", note="payslips")
    for item in (first, second):
        item.application.refresh_from_db()
    return first, second


def _export(tmp_path: Path, name: str, **options) -> tuple[Path, str]:
    out = io.StringIO()
    target = tmp_path / name
    call_command("export_labels", output=str(target), stdout=out, stderr=io.StringIO(), **options)
    return target, out.getvalue()


def test_a_csv_export_has_no_personal_data_and_is_recorded_with_its_fingerprint(labelled, tmp_path, heidi):
    first, _ = labelled
    path, said = _export(tmp_path, "labels.csv", user="heidi")
    text = path.read_text()
    for value in PERSONAL:
        assert value not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    assert "answer_full_name" not in rows[0] and "answer_national_id" not in rows[0]
    assert rows[0]["applicant_ref"] == rows[1]["applicant_ref"]  # the same person
    assert rows[0]["applicant_ref"] == pseudonym(f"applicant:{first.application.applicant_id}")
    assert str(first.application_id) not in text  # applications are pseudonymous too
    override = next(r for r in rows if r["outcome"] == "overridden")
    assert override["model_tier"] == "high" and override["final_tier"] == "medium"
    assert override["reason_code"] == "income_not_supported" and override["blind"] == "False"
    assert float(override["seconds_open"]) >= 0 and override["feature_debt_to_income"]
    assert float(override["answer_requested_amount"]) == 40000

    entry = TrailEntry.objects.get(action="labels.exported")
    assert entry.actor == heidi and entry.after["rows"] == 2 and entry.after["format"] == "csv"
    assert entry.after["fingerprint"] in said

    again, _ = _export(tmp_path, "again.csv")
    assert [r["applicant_ref"] for r in csv.DictReader(again.open())] == [r["applicant_ref"] for r in rows]
    assert TrailEntry.objects.filter(action="labels.exported").count() == 2


def test_pseudonyms_change_with_the_key_so_they_cannot_be_recomputed_without_it(labelled, tmp_path, settings):
    path, _ = _export(tmp_path, "a.csv")
    settings.PSEUDONYM_KEY = "another-key-entirely"
    other, _ = _export(tmp_path, "b.csv")
    refs = {r["applicant_ref"] for r in csv.DictReader(path.open())}
    assert refs.isdisjoint({r["applicant_ref"] for r in csv.DictReader(other.open())})


def test_a_parquet_export_keeps_types_and_follows_the_filters(labelled, tmp_path):
    path, _ = _export(tmp_path, "labels.parquet", format="parquet", channel="mail")
    table = pq.read_table(path)
    assert table.num_rows == 1
    assert str(table.schema.field("prob_high").type) == "double"
    assert str(table.schema.field("blind").type) == "bool"
    assert str(table.schema.field("answer_delinquencies_2y").type) == "int64"
    assert table.column("channel").to_pylist() == ["mail"]
    path, _ = _export(tmp_path, "high.parquet", format="parquet", tier="high")
    assert pq.read_table(path).num_rows == sum(i.application.final_tier == "high" for i in labelled)
    path, _ = _export(tmp_path, "none.parquet", format="parquet", since="2020-01-01", until="2020-12-31")
    assert pq.read_table(path).num_rows == 0


def test_bad_filters_are_refused_with_a_message(db, tmp_path):
    with pytest.raises(CommandError, match="--since: 'yesterday' is not a date"):
        _export(tmp_path, "x.csv", since="yesterday")
    with pytest.raises(CommandError, match="--model-version: there is no model version 99"):
        _export(tmp_path, "x.csv", model_version="99")
    with pytest.raises(CommandError, match="--until: the end of the period is before its start"):
        _export(tmp_path, "x.csv", since="2026-03-01", until="2026-02-01")


def test_an_export_job_stores_its_file_in_s3(labelled, heidi, s3_bucket, settings, aws_stand_in):
    settings.LABEL_EXPORT_STORAGE_URL = f"s3://{s3_bucket}/exports"
    job = export_job_create(requested_by=heidi, format="parquet", filters={"tier": "medium"})
    done = export_job_run(job_id=job.pk)
    assert done is not None and done.status == JobStatus.DONE and done.rows_done == done.rows_total == 1
    assert done.file_url.startswith(f"s3://{s3_bucket}/exports/labels/")
    keys = [
        o["Key"]
        for o in boto3.client("s3", endpoint_url=aws_stand_in).list_objects_v2(Bucket=s3_bucket)["Contents"]
    ]
    assert keys == [done.file_url.split(f"{s3_bucket}/", 1)[1]]
    assert pq.read_table(io.BytesIO(export_file(done))).num_rows == 1
    assert export_job_run(job_id=job.pk) is None  # a second delivery finds nothing to do


def test_the_exports_page_refuses_bad_filters(heidi):
    client = Client()
    client.force_login(heidi)
    response = client.post(reverse("auditing:exports"), {"format": "csv", "model_version": "42"})
    assert response.status_code == 400 and "there is no model version 42" in response.content.decode()
    assert not ExportJob.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_export_runs_in_the_background_with_progress_and_a_download(
    celery_worker_process, labelled, heidi, make_user, wait_for
):
    client = Client()
    client.force_login(heidi)
    response = client.post(reverse("auditing:exports"), {"format": "csv"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    status_url = reverse("auditing:export-status", args=[job.pk])
    wait_for(lambda: client.get(status_url).json()["status"] == "done", 30, "the export job")
    status = client.get(status_url).json()
    assert status["percent"] == 100 and status["rows_done"] == 2 and status["download"]
    download = client.get(status["download"])
    assert download.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(download.content.decode())))) == 2
    entry = TrailEntry.objects.get(action="labels.exported")
    assert entry.after["fingerprint"] == download["X-Export-Fingerprint"] == status["fingerprint"]
    # Another analyst's export does not exist for you.
    colleague = Client()
    colleague.force_login(make_user("colleague", "analyst"))
    assert colleague.get(status["download"]).status_code == 404


# --- spreadsheet formulas (CSV injection) ------------------------------------------------------

HYPERLINK = '=HYPERLINK("http://x","y")'


def test_free_text_that_would_run_as_a_formula_is_neutralised_in_the_labelled_export(
    routed, answers, risky, dave, tmp_path
):
    item = routed({**risky, "employer": HYPERLINK})
    review_item_claim(item_id=item.pk, user=dave)
    review_record(item_id=item.pk, auditor=dave, final_tier="medium", reason_code="other", note=HYPERLINK)
    path, _ = _export(tmp_path, "labels.csv")
    text = path.read_text()
    assert f'"\'{HYPERLINK.replace(chr(34), chr(34) * 2)}"' in text  # quoted CSV, with its '
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["answer_employer"] == "'" + HYPERLINK
    assert float(row["prob_high"]) > 0  # numbers are written as numbers, never quoted
    assert not any(value.startswith(("=", "@")) for value in row.values())


def test_the_trail_export_neutralises_an_override_reason_written_as_a_formula(routed, risky, dave):
    from auditing.selectors import TrailFilters
    from auditing.services.trail_export import trail_export_csv

    item = routed(risky)
    review_item_claim(item_id=item.pk, user=dave)
    review_record(item_id=item.pk, auditor=dave, final_tier="medium", reason_code="other", note=HYPERLINK)
    data, _rows, _fingerprint = trail_export_csv(
        filters=TrailFilters(application=str(item.application_id), action="review."), actor=dave
    )
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert [row["note"] for row in rows] == ["'" + HYPERLINK]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.5", "-12.5"),  # text that is only a number stays that number
        ("+3e4", "+3e4"),
        (-7, -7),  # numbers are never touched
        (-0.25, -0.25),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (None, None),
    ],
)
def test_csv_safe_prefixes_text_that_a_spreadsheet_would_run_and_nothing_else(value, written):
    from objectstore.csv_safety import csv_safe

    assert csv_safe(value) == written


def test_every_csv_writer_in_the_platform_goes_through_the_safe_helper():
    """A new `csv.writer`/`DictWriter` outside objectstore/csv_safety.py fails this test."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    # The project's own files only (not var/'s virtual environments or node_modules).
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    for relative in tracked:
        if relative.startswith("tests/") or relative == "objectstore/csv_safety.py":
            continue
        text = (root / relative).read_text(encoding="utf-8", errors="replace")
        if "csv.writer(" in text or "csv.DictWriter(" in text:
            offenders.append(relative)
    assert offenders == []

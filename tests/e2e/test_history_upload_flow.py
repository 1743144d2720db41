"""An approver with no labels yet finds a way forward in the browser (issue #15): the models
page says how many rows training still needs, the history upload imports a small CSV and
lists its rejected rows (downloadable), and training starts from the report. Screenshots go
to var/test-artifacts/modelops/ (MODEL_PAGE_SCREENSHOTS=<folder> puts them elsewhere)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from applicants.schema import get_schema
from modelops.models import TrainingRun
from modelops.services import training_run_execute
from tests.modelops.history_files import write_history

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("MODEL_PAGE_SCREENSHOTS") or ROOT / "var" / "test-artifacts" / "modelops")
BAD_ROWS = [
    {"annual_income": "lots", "label": "low", "decided_at": "2026-01-02"},
    {"annual_income": "30000", "label": "=1+1", "decided_at": "2026-01-03"},
]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_too_few_rows_then_upload_see_rejects_and_start_training(
    browser_as, live_server, erin, settings, tmp_path
):
    settings.VAR_DIR = tmp_path / "var"
    needed = settings.LIFECYCLE_MIN_TRAINING_ROWS
    path = write_history(tmp_path / "past.csv", get_schema(), needed + 40, extra=BAD_ROWS)
    page = browser_as("erin")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(f"{live_server.url}/models/")
    assert page.locator("#rows-usable").inner_text() == "0"
    assert f"{needed} more rows until training is possible" in page.locator("#rows-missing").inner_text()
    assert page.locator("#train").is_disabled()
    assert page.locator("#training-data .bar").evaluate("bar => bar.style.width") == "0%"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#training-data").screenshot(path=str(SHOTS / "training-data-too-few.png"))

    page.get_by_role("link", name="import a history (CSV)").click()
    page.set_input_files("#id_file", str(path))
    page.locator("#upload").click()
    assert page.locator("#rows-imported").inner_text() == str(needed + 40)
    assert page.locator("#rows-rejected").inner_text() == "2"
    rejects = page.locator("#rejects tbody tr")
    assert rejects.count() == 2
    assert rejects.nth(0).inner_text().startswith(f"{needed + 42}")
    assert "is not a tier" in rejects.nth(1).inner_text()
    with page.expect_download() as download:
        page.locator("#rejects-download").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [r["line"] for r in rows] == [str(needed + 42), str(needed + 43)]
    assert rows[1]["label"] == "'=1+1"  # CSV-safe: text, not a formula

    assert page.locator("#training-data .bar").evaluate("bar => bar.style.width") == "100%"
    page.screenshot(path=str(SHOTS / "history-upload-report.png"), full_page=True, caret="initial")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(f"{live_server.url}/models/training/*/")
    assert "waiting for a worker" in page.locator("main").inner_text()

    run = TrainingRun.objects.get()
    training_run_execute(run_id=run.pk)  # what the worker does with the queued run
    page.reload()
    assert "Registered v" in page.locator("main").inner_text()
    assert not [m for m in console if "Content Security Policy" in m]

"""get_schema() trusts the configured file for a moment (no stat per call), yet a changed
setting is seen at once and an edited file once the moment has passed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from applicants.schema import SchemaError, configured, get_schema
from tests.conftest import CAR_SCHEMA, DEFAULT_SCHEMA


def copy_of(source: Path, folder: Path) -> Path:
    path = folder / "schema.yaml"
    path.write_text(source.read_text())
    return path


def test_a_changed_setting_is_seen_at_once_back_and_forth(settings, monkeypatch):
    monkeypatch.setattr(configured, "RECHECK_SECONDS", 3600.0)
    for _ in range(2):
        settings.APPLICATION_SCHEMA = CAR_SCHEMA
        assert get_schema().name == "car_insurance_claim"
        settings.APPLICATION_SCHEMA = str(DEFAULT_SCHEMA)  # a str or a Path, as configured
        assert get_schema().name == "consumer_credit"


def test_the_file_is_not_checked_again_until_the_moment_has_passed(settings, monkeypatch, tmp_path):
    monkeypatch.setattr(configured, "RECHECK_SECONDS", 3600.0)
    path = copy_of(DEFAULT_SCHEMA, tmp_path)
    settings.APPLICATION_SCHEMA = path
    schema = get_schema()
    path.unlink()  # not looked at: the schema in hand is given again
    assert get_schema() is schema
    monkeypatch.setattr(configured, "RECHECK_SECONDS", 0.0)
    with pytest.raises(SchemaError, match="cannot be read"):
        get_schema()


def test_an_edited_file_is_read_again_once_the_moment_has_passed(settings, monkeypatch, tmp_path):
    monkeypatch.setattr(configured, "RECHECK_SECONDS", 0.0)
    path = copy_of(DEFAULT_SCHEMA, tmp_path)
    settings.APPLICATION_SCHEMA = path
    assert get_schema().name == "consumer_credit"
    path.write_text(CAR_SCHEMA.read_text())
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later edit, surely
    assert get_schema().name == "car_insurance_claim"

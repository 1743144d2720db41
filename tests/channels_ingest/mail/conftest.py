"""Mail entry's fixtures: a supervisor, two clerks, a batch with a scanned form, and what the
paper form says (as a clerk types it)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from accounts.roles import Role

ROOT = Path(__file__).resolve().parents[3]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the signature is what is judged
_ids = itertools.count(810_000)
_batches = itertools.count(1)


def paper_form(**changes: Any) -> dict[str, str]:
    """The example application as a clerk would type it from paper (text, local formats)."""
    answers = json.loads((ROOT / "examples" / "application.json").read_text())["answers"]
    typed = {k: ("yes" if v is True else "no" if v is False else str(v)) for k, v in answers.items()}
    typed["date_of_birth"] = "23/04/1986"
    typed["annual_income"] = "£54,000"
    typed["national_id"] = f"MA{next(_ids)}R"
    return {**typed, **changes}


@pytest.fixture
def scan_store(settings: Any, tmp_path: Path) -> Path:
    settings.MAIL_SCAN_STORAGE_URL = f"file://{tmp_path / 'scans'}"
    return tmp_path / "scans"


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    from accounts.services import user_create_with_roles

    def make(name: str, *roles: Role) -> Any:
        return user_create_with_roles(username=f"mail_{name}", password="pw-for-tests", roles=list(roles))

    return {
        "clerk_a": make("clerk_a", Role.CLERK),
        "clerk_b": make("clerk_b", Role.CLERK),
        "supervisor": make("supervisor", Role.MAIL_SUPERVISOR),
        "auditor": make("auditor", Role.AUDITOR),
    }


@pytest.fixture
def scanned_item(people: dict[str, Any], scan_store: Path) -> Any:
    from channels_ingest.mail.services import batch_open, scan_upload

    batch = batch_open(
        number=f"T-{next(_batches)}", received_on=dt.date.today(), forms_count=2, actor=people["supervisor"]
    )
    item = batch.items.get(sequence=1)
    return scan_upload(item=item, data=PNG, actor=people["clerk_a"])

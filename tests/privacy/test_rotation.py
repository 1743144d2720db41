"""Rotating the field-encryption key: every encrypted column re-encrypted in batches while
the platform keeps reading and writing, against the real PostgreSQL."""

from __future__ import annotations

import threading
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from applicants.drafts import draft_start
from applicants.models import Applicant, Application, Channel, Draft
from applicants.services import application_submit
from privacy.models import RotationCheckpoint
from privacy.services.rotation import encrypted_columns, rotate_column

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def _submit(answers: dict[str, Any], n: int, prefix: str) -> list[str]:
    ids = []
    for i in range(n):
        submitted = application_submit(
            answers={**answers, "national_id": f"{prefix}{i:05d}X", "full_name": f"Rota {prefix} {i}"},
            channel=Channel.API,
            idempotency_key=None,
        )
        ids.append(str(submitted.application.pk))
    return ids


def _raw(table: str, pk: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pii FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _everything_readable() -> dict[str, Any]:
    return {
        **{f"app:{a.pk}": a.pii for a in Application.objects.all()},
        **{f"person:{p.pk}": p.pii for p in Applicant.objects.all()},
        **{f"draft:{d.pk}": (d.answers, d.provenance) for d in Draft.objects.all()},
    }


def test_the_scan_finds_every_encrypted_column():
    labels = {column.label for column in encrypted_columns()}
    assert {
        "applicants.Application.pii",
        "applicants.Applicant.pii",
        "applicants.Draft.answers",
        "applicants.Draft.provenance",
    } <= labels


@pytest.mark.django_db
def test_rotation_moves_every_row_to_the_new_key_so_the_old_key_can_go(settings, answers, make_user):
    settings.PII_ENCRYPTION_KEYS = [KEY_A]
    ids = _submit(answers, 7, "ROTA")
    draft = draft_start(channel=Channel.WEB, owner_user=make_user("drafter"))
    Draft.objects.filter(pk=draft.pk).update(
        answers={"full_name": "Draft Person"}, provenance={"full_name": [{"value": "Draft Person"}]}
    )
    before = _everything_readable()
    token_before = _raw("applicants_application", ids[0])

    settings.PII_ENCRYPTION_KEYS = [KEY_B, KEY_A]  # deploy the new key first, then rotate
    assert _everything_readable() == before
    out = StringIO()
    call_command("rotate_pii_keys", "--batch-size", "3", stdout=out)
    text = out.getvalue()
    assert "applicants.Application.pii: 7 rows (7 re-encrypted" in text
    assert "[batch 3]" in text and "rows/s" in text
    assert "applicants.Draft.answers: 1 rows (1 re-encrypted" in text  # found by the scan
    assert _raw("applicants_application", ids[0]) != token_before
    call_command("rotate_pii_keys", "--check", stdout=StringIO())

    settings.PII_ENCRYPTION_KEYS = [KEY_B]  # the old key is gone: everything still reads
    assert _everything_readable() == before
    assert Application.objects.get(pk=ids[3]).pii["full_name"] == "Rota ROTA 3"


@pytest.mark.django_db
def test_a_second_run_is_a_no_op_and_an_interrupted_run_resumes(settings, answers):
    settings.PII_ENCRYPTION_KEYS = [KEY_A]
    _submit(answers, 5, "RSUM")
    settings.PII_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    column = next(c for c in encrypted_columns() if c.label == "applicants.Application.pii")

    class Interrupted(Exception):
        pass

    batches = []

    def stop_at_the_third(batch: Any) -> None:
        batches.append(batch)
        if len(batches) == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        rotate_column(column, batch_size=2, before_write=stop_at_the_third)
    checkpoint = RotationCheckpoint.objects.get(column=column.label)
    assert checkpoint.rotated == 4 and checkpoint.finished_at is None
    resumed = rotate_column(column, batch_size=2)
    assert resumed.resumed_after == checkpoint.last_pk
    assert resumed.rotated == 1 and resumed.already_current == 0
    again = rotate_column(column, batch_size=2, restart=True)
    assert again.rotated == 0 and again.already_current == 5


@pytest.mark.django_db
def test_a_row_written_while_its_batch_is_rotated_keeps_the_new_value(settings, answers):
    settings.PII_ENCRYPTION_KEYS = [KEY_A]
    ids = _submit(answers, 4, "RACE")
    settings.PII_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    column = next(c for c in encrypted_columns() if c.label == "applicants.Application.pii")
    target = Application.objects.get(pk=ids[2])
    changed = {**target.pii, "email": "changed.meanwhile@example.org"}

    def platform_writes(batch: Any) -> None:
        # Another process changes a row between the rotation's read and its write.
        if target.pk in batch.pks:
            Application.objects.filter(pk=target.pk).update(pii=changed)

    report = rotate_column(column, batch_size=10, before_write=platform_writes)
    assert report.changed_meanwhile == 1 and report.rotated == 3
    settings.PII_ENCRYPTION_KEYS = [KEY_B]
    assert Application.objects.get(pk=target.pk).pii == changed


@pytest.mark.django_db
def test_a_value_no_key_opens_stops_the_rotation_with_a_clear_message(settings, answers):
    settings.PII_ENCRYPTION_KEYS = [KEY_A]
    _submit(answers, 1, "LOST")
    settings.PII_ENCRYPTION_KEYS = [KEY_B]  # the old key was dropped too early
    with pytest.raises(CommandError, match="cannot be decrypted with any key"):
        call_command("rotate_pii_keys", stdout=StringIO())
    with pytest.raises(CommandError, match="not under the newest key"):
        call_command("rotate_pii_keys", "--check", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_submissions_during_a_rotation_are_neither_lost_nor_unreadable(settings, answers):
    settings.PII_ENCRYPTION_KEYS = [KEY_A]
    _submit(answers, 30, "CONC")
    settings.PII_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    failures: list[BaseException] = []

    def rotate() -> None:
        try:
            for column in encrypted_columns():
                rotate_column(column, batch_size=4)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=rotate)
    thread.start()
    during = _submit(answers, 15, "DURG")
    thread.join(timeout=60)
    assert not failures and not thread.is_alive()
    settings.PII_ENCRYPTION_KEYS = [KEY_B]
    readable = _everything_readable()
    assert Application.objects.count() == 45
    for i, pk in enumerate(during):
        assert readable[f"app:{pk}"]["full_name"] == f"Rota DURG {i}"

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from trail.models import TrailEntry
from trail.services import trail_record, trail_seal, trail_verify

pytestmark = pytest.mark.django_db


def record(n: int) -> list[TrailEntry]:
    return [
        trail_record(action="test.event", object_type="thing", object_id=i, after={"n": i}) for i in range(n)
    ]


def test_entries_are_sealed_into_an_intact_chain():
    record(5)
    assert trail_seal() == 5
    record(2)
    assert trail_seal() == 2
    report = trail_verify()
    assert report.ok and report.checked == 7
    assert list(TrailEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 8))


def test_entries_cannot_be_changed_or_deleted_through_the_application():
    entry = record(1)[0]
    entry.note = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        TrailEntry.objects.all().delete()


def test_an_entry_edited_in_the_database_is_caught():
    entries = record(6)
    trail_seal()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE trail_trailentry SET after = %s WHERE id = %s", ['{"n": 999}', entries[3].pk])
    report = trail_verify()
    assert not report.ok
    assert report.first_broken_seq == 4 and report.checked == 3
    with pytest.raises(CommandError, match="BROKEN:\nentry seq=4"):
        call_command("verify_audit_chain")


def test_an_entry_deleted_in_the_database_is_caught():
    entries = record(4)
    trail_seal()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM trail_trailentry WHERE id = %s", [entries[1].pk])
    assert trail_verify().problem == "entry 2 is missing (deleted?)"


def test_entries_deleted_from_the_end_are_caught():
    entries = record(3)
    trail_seal()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM trail_trailentry WHERE id = %s", [entries[-1].pk])
    report = trail_verify()
    assert not report.ok and "deleted from the end" in report.problem


def test_the_command_seals_and_proves_the_chain(capsys):
    record(3)
    call_command("verify_audit_chain")
    out = capsys.readouterr().out
    assert "audit chain intact: 3 entries verified (3 sealed just now); no anchors yet" in out

"""The chain is keyed: someone who can write the database but holds no trail key cannot
rewrite it, forge into it or backdate it without `verify_audit_chain` saying where."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.trail.conftest import KEY_A, KEY_B, keys
from tests.trail.tampering import edit_after, recompute_unkeyed, seal_unkeyed, sql
from trail.hashing import legacy_hash
from trail.models import TrailEntry
from trail.services import trail_anchor, trail_record, trail_seal, trail_verify

pytestmark = pytest.mark.django_db


def record(n: int, action: str = "test.event") -> list[TrailEntry]:
    return [trail_record(action=action, object_type="thing", object_id=i, after={"n": i}) for i in range(n)]


def test_entries_are_sealed_with_the_current_key_id_and_an_hmac():
    record(3)
    trail_seal()
    assert set(TrailEntry.objects.values_list("key_id", flat=True)) == {KEY_A[0]}
    assert trail_verify().ok


def test_an_edited_row_with_the_chain_recomputed_without_the_key_is_caught():
    entries = record(6)
    trail_seal()
    edit_after(entries[3].pk, {"n": 999})
    recompute_unkeyed(from_seq=4)
    report = trail_verify()
    assert not report.ok
    assert report.first_broken_seq == 4 and report.checked == 3
    assert "does not match the chain (edited?)" in report.problem


def test_a_chain_stripped_of_its_keys_and_recomputed_is_caught():
    entries = record(5)
    trail_seal()
    edit_after(entries[1].pk, {"n": "rewritten"})
    recompute_unkeyed(from_seq=2, strip_keys=True)
    report = trail_verify()
    assert report.first_broken_seq == 2
    assert "unkeyed but follows keyed entries" in report.problem


def test_a_whole_chain_rewritten_unkeyed_is_caught_by_its_anchor():
    entries = record(4)
    trail_anchor()
    edit_after(entries[0].pk, {"n": "rewritten"})
    recompute_unkeyed(from_seq=1, strip_keys=True)
    report = trail_verify()
    assert not report.ok and report.problem == ""  # every hash recomputes: only the anchor knows
    assert len(report.anchor_problems) == 1
    assert "says entry 4 has hash" in report.anchor_problems[0]
    assert "entries up to 4 were rewritten" in report.anchor_problems[0]


def test_a_forged_backdated_approval_is_caught():
    record(3)
    trail_seal()
    three_weeks_ago = timezone.now() - dt.timedelta(days=21)
    # Inserted straight into the table, unsealed, for the sealer to pick up like any entry.
    sql(
        "INSERT INTO trail_trailentry (at, actor_label, action, object_type, object_id, before, "
        "after, note, prev_hash, hash, key_id) VALUES (%s, 'erin', 'model.approved', "
        "'model_version', '7', '{}', '{}', '', '', '', '')",
        three_weeks_ago,
    )
    record(1)
    trail_seal()
    report = trail_verify()
    assert report.first_broken_seq == 4
    assert "backdated" in report.problem and "before entry 3" in report.problem


def test_a_forged_entry_with_its_own_sequence_and_hash_is_caught():
    record(2)
    trail_seal()
    head = TrailEntry.objects.get(seq=2)
    forged = TrailEntry(
        at=timezone.now(),
        action="model.approved",
        object_type="model_version",
        object_id="7",
        actor_label="erin",
    )
    digest = legacy_hash(forged, head.hash, 3)
    sql(
        "INSERT INTO trail_trailentry (at, actor_label, action, object_type, object_id, before, "
        "after, note, seq, prev_hash, hash, key_id) VALUES (%s, 'erin', 'model.approved', "
        "'model_version', '7', '{}', '{}', '', 3, %s, %s, %s)",
        forged.at,
        head.hash,
        digest,
        KEY_A[0],
    )
    sql("UPDATE trail_trailhead SET last_seq = 3, last_hash = %s", digest)
    report = trail_verify()
    assert report.first_broken_seq == 3 and "edited?" in report.problem


def test_a_rotated_key_seals_new_entries_and_old_ones_still_verify(settings):
    record(3)
    trail_seal()
    settings.TRAIL_HMAC_KEYS = keys(KEY_B, KEY_A)
    record(2)
    assert trail_seal() == 3  # two entries and the key change before them
    chain = list(TrailEntry.objects.order_by("seq").values_list("action", "key_id"))
    assert (
        chain
        == [("test.event", KEY_A[0])] * 3 + [("trail.key_changed", KEY_B[0])] + [("test.event", KEY_B[0])] * 2
    )
    change = TrailEntry.objects.get(action="trail.key_changed")
    assert (change.before, change.after) == ({"key_id": KEY_A[0]}, {"key_id": KEY_B[0]})
    report = trail_verify()
    assert report.ok and report.checked == 6


def test_dropping_a_key_that_sealed_entries_is_reported_by_name(settings):
    record(2)
    trail_seal()
    settings.TRAIL_HMAC_KEYS = keys(KEY_B)
    report = trail_verify()
    assert report.first_broken_seq == 1
    assert f"sealed with key {KEY_A[0]!r}, which is not among TRAIL_HMAC_KEYS" in report.problem


def test_a_chain_sealed_before_keying_verifies_as_legacy_and_is_pinned_by_the_first_keyed_entry():
    old = record(4)
    seal_unkeyed(old)
    assert trail_verify().ok and trail_verify().legacy == 4
    record(2)
    trail_seal()
    chain = list(TrailEntry.objects.order_by("seq").values_list("action", "key_id"))
    assert chain[:4] == [("test.event", "")] * 4
    assert chain[4] == ("trail.key_changed", KEY_A[0])
    report = trail_verify()
    assert report.ok and report.legacy == 4 and report.checked == 7
    # The unkeyed part can be recomputed by anyone, but the keyed entry after it holds its end.
    edit_after(old[1].pk, {"n": "rewritten"})
    recompute_unkeyed(from_seq=1, to_seq=4)
    report = trail_verify()
    assert report.first_broken_seq == 5 and "link to the entry before it" in report.problem
    sql("UPDATE trail_trailentry SET prev_hash = %s WHERE seq = 5", TrailEntry.objects.get(seq=4).hash)
    report = trail_verify()
    assert report.first_broken_seq == 5 and "edited?" in report.problem


def test_the_command_names_the_broken_entry_and_the_anchor(capsys):
    entries = record(3)
    call_command("anchor_audit_trail")
    call_command("verify_audit_chain")
    out = capsys.readouterr().out
    assert "audit chain intact: 3 entries verified (0 sealed just now); 1 anchors in" in out
    assert "(the last at entry 3; 0 entries since)" in out
    edit_after(entries[2].pk, {"n": "x"})
    recompute_unkeyed(from_seq=3)
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit_chain")
    message = str(caught.value)
    assert "entry seq=3" in message and "edited?" in message

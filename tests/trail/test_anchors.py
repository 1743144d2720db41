"""Anchors: the chain head written outside the database (an append-only file here, S3 with
Object Lock in production), and the verifier holding the chain to every one of them."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from urllib.parse import urlparse

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command

from tests.trail.conftest import KEY_A
from tests.trail.tampering import recompute_unkeyed, sql
from trail.models import TrailEntry
from trail.services import TrailNotAnchored, trail_anchor, trail_record, trail_seal, trail_verify

pytestmark = pytest.mark.django_db


def record(n: int) -> None:
    for i in range(n):
        trail_record(action="test.event", object_type="thing", object_id=i, after={"n": i})


def anchor_lines(settings) -> list[dict]:
    path = Path(urlparse(settings.TRAIL_ANCHOR_URL).path)
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_anchors_are_appended_to_the_file_one_json_line_each_when_the_head_moves(settings):
    record(3)
    first = trail_anchor()
    assert first is not None and first.seq == 3
    assert trail_anchor() is None  # nothing new: no second line
    first_line = Path(urlparse(settings.TRAIL_ANCHOR_URL).path).read_text()
    record(2)
    trail_anchor()
    assert Path(urlparse(settings.TRAIL_ANCHOR_URL).path).read_text().startswith(first_line)
    lines = anchor_lines(settings)
    assert [(line["seq"], line["key_id"]) for line in lines] == [(3, KEY_A[0]), (5, KEY_A[0])]
    assert [line["hash"] for line in lines] == [TrailEntry.objects.get(seq=seq).hash for seq in (3, 5)]
    assert dt.datetime.fromisoformat(lines[1]["at"]).tzinfo is not None


def test_the_tail_truncated_after_an_anchor_is_caught(settings):
    record(6)
    trail_anchor()
    record(3)
    trail_anchor()
    record(2)
    trail_anchor()  # anchors at 6, 9, 11
    four = TrailEntry.objects.get(seq=4)
    # Cut everything after entry 4 and make the head row agree: the database looks whole.
    sql("UPDATE trail_trailentry SET seq = -seq WHERE seq > 4")  # (rows cannot be deleted
    sql("DELETE FROM trail_trailentry WHERE seq < 0")  # through the app; SQL can)
    sql("UPDATE trail_trailhead SET last_seq = 4, last_hash = %s", four.hash)
    report = trail_verify()
    assert report.problem == "" and not report.ok
    assert len(report.anchor_problems) == 3
    assert "names entry 6, but the chain ends at 4: entries 5..6 were removed" in report.anchor_problems[0]
    assert "entries 5..11 were removed (tail truncated)" in report.anchor_problems[2]


def test_the_anchor_writer_refuses_to_vouch_for_a_stretch_that_does_not_verify(settings):
    record(2)
    trail_anchor()
    record(2)
    trail_seal()
    sql("UPDATE trail_trailentry SET note = 'rewritten' WHERE seq = 3")
    with pytest.raises(TrailNotAnchored, match="entry seq=3"):
        trail_anchor()
    assert [line["seq"] for line in anchor_lines(settings)] == [2]


def test_an_unreadable_anchor_line_is_reported(settings):
    record(1)
    trail_anchor()
    path = Path(urlparse(settings.TRAIL_ANCHOR_URL).path)
    with path.open("a") as handle:
        handle.write("not json\n")
    report = trail_verify()
    assert not report.ok and "line 2 is not an anchor" in report.anchor_problems[0]


@pytest.fixture
def locked_bucket(aws_stand_in, monkeypatch) -> str:
    """A bucket on the local S3 emulator created with Object Lock enabled."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_stand_in)
    name = f"riskscore-anchors-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=aws_stand_in).create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def test_anchors_land_in_s3_under_object_lock_and_cannot_be_deleted(settings, locked_bucket, aws_stand_in):
    settings.TRAIL_ANCHOR_URL = f"s3://{locked_bucket}/trail/anchors"
    settings.TRAIL_ANCHOR_LOCK_MODE = "COMPLIANCE"
    settings.TRAIL_ANCHOR_RETAIN_DAYS = 30
    record(3)
    trail_anchor()
    record(1)
    trail_anchor()
    assert trail_anchor() is None
    s3 = boto3.client("s3", endpoint_url=aws_stand_in)
    objects = s3.list_object_versions(Bucket=locked_bucket, Prefix="trail/anchors/")["Versions"]
    head = TrailEntry.objects.get(seq=4)
    keys = sorted(item["Key"] for item in objects)
    assert keys[-1] == f"trail/anchors/{4:015d}-{KEY_A[0]}-{head.hash}.json"
    assert len(keys) == 2
    latest = next(item for item in objects if item["Key"] == keys[-1])
    lock = s3.head_object(Bucket=locked_bucket, Key=keys[-1], VersionId=latest["VersionId"])
    assert lock["ObjectLockMode"] == "COMPLIANCE"
    assert lock["ObjectLockRetainUntilDate"] > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
    body = json.loads(s3.get_object(Bucket=locked_bucket, Key=keys[-1])["Body"].read())
    assert (body["seq"], body["hash"], body["key_id"]) == (4, head.hash, KEY_A[0])
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=locked_bucket, Key=keys[-1], VersionId=latest["VersionId"])

    report = trail_verify()
    assert report.ok and report.anchors_checked == 2 and report.last_anchor_seq == 4
    # Someone rewrites entry 2 and rehashes the whole chain unkeyed: only the anchors know.
    sql("UPDATE trail_trailentry SET note = 'rewritten' WHERE seq = 2")
    recompute_unkeyed(from_seq=1, strip_keys=True)
    report = trail_verify()
    assert report.problem == "" and len(report.anchor_problems) == 2
    assert f"s3://{locked_bucket}/trail/anchors/{3:015d}-" in report.anchor_problems[0]
    assert "says entry 3 has hash" in report.anchor_problems[0]
    assert "says entry 4 has hash" in report.anchor_problems[1]


def test_the_anchor_command_reports_what_it_wrote(capsys):
    record(2)
    call_command("anchor_audit_trail")
    assert "anchored entry 2" in capsys.readouterr().out
    call_command("anchor_audit_trail")
    assert "nothing new to anchor" in capsys.readouterr().out

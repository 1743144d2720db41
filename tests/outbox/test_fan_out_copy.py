"""A large fan-out (a rescoring chunk's) goes to PostgreSQL by COPY: the rows are the same as
the few a decision makes through the ORM, in the same order."""

from __future__ import annotations

import pytest

from outbox.models import OutboxMessage, OutboxStatus
from outbox.services import COPY_AT_LEAST, outbox_claim, outbox_fan_out

pytestmark = pytest.mark.django_db


def _stored(key_prefix: str) -> list[tuple[object, ...]]:
    return list(
        OutboxMessage.objects.filter(key__startswith=key_prefix)
        .order_by("id")
        .values_list("topic", "key", "payload", "status", "attempts", "last_error", "next_attempt_at")
    )


def test_a_large_fan_out_stores_the_same_rows_as_a_small_one_in_order(
    settings, django_capture_on_commit_callbacks
):
    settings.SINKS = ["dynamodb", "warehouse"]
    many = [(f"big-{i:04d}", {"decision_id": i, "note": "ü \t\\ ' \""}) for i in range(COPY_AT_LEAST)]
    few = [(f"small-{i:04d}", {"decision_id": i, "note": "ü \t\\ ' \""}) for i in range(2)]
    with django_capture_on_commit_callbacks() as callbacks:
        assert outbox_fan_out(event="decision", items=many) == 2 * COPY_AT_LEAST
    assert len(callbacks) == 1  # the drains are woken after commit, as for a small one
    outbox_fan_out(event="decision", items=few)

    big, small = _stored("big-"), _stored("small-")
    assert [row[:2] for row in big] == [
        (f"sink:{sink}", key) for sink in ("dynamodb", "warehouse") for key, _ in many
    ]
    assert big[0][2] == {"event": "decision", "decision_id": 0, "note": "ü \t\\ ' \""}
    # Every column the ORM fills from the model's defaults, COPY writes alike.
    assert {row[3:] for row in big} == {row[3:] for row in small} == {(OutboxStatus.PENDING, 0, "", None)}
    assert not OutboxMessage.objects.filter(created_at__isnull=True).exists()
    # A drain claims them oldest first, as any other.
    claimed = outbox_claim(topic="sink:dynamodb", limit=3)
    assert [m.key for m in claimed][:3] == ["big-0000", "big-0001", "big-0002"]

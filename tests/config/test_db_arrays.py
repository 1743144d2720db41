"""`in_array`: the same rows as `__in`, with the list bound as one parameter, on PostgreSQL
(the test database) and on SQLite (the embedded default of `make run`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from applicants.models import Applicant
from config.db_arrays import in_array
from outbox.models import OutboxMessage

# Past SQLite's limit on the parameters of one statement (32,766 since 3.32; 999 before).
MANY = 40_000


@pytest.mark.django_db
def test_in_array_finds_the_rows_of_integer_and_uuid_lists_on_postgresql():
    messages = OutboxMessage.objects.bulk_create(OutboxMessage(topic="t", key=str(i)) for i in range(5))
    people = Applicant.objects.bulk_create(Applicant() for _ in range(3))
    wanted = [messages[1].pk, messages[3].pk, 10**12]
    assert sorted(
        OutboxMessage.objects.filter(in_array("pk", wanted)).values_list("pk", flat=True)
    ) == sorted(wanted[:2])
    assert set(Applicant.objects.filter(in_array("id", [people[0].pk, uuid.uuid4()]))) == {people[0]}
    # Strings go through the field's preparation, as `__in` does.
    assert OutboxMessage.objects.filter(in_array("key", ["2", "4", "nine"])).count() == 2
    # Nothing matches an empty list; everything is outside it.
    assert not OutboxMessage.objects.filter(in_array("pk", [])).exists()
    assert OutboxMessage.objects.exclude(in_array("pk", [])).count() == 5


@pytest.mark.django_db
def test_in_array_binds_one_parameter_however_long_the_list(django_assert_num_queries):
    OutboxMessage.objects.bulk_create(OutboxMessage(topic="t", key=str(i)) for i in range(3))
    ids = [*OutboxMessage.objects.values_list("pk", flat=True), *range(10**12, 10**12 + MANY)]
    query = OutboxMessage.objects.filter(in_array("pk", ids), topic="t")
    sql, params = query.query.sql_with_params()
    assert "= ANY(%s::bigint[])" in sql
    assert len(params) == 2
    assert query.count() == 3
    # Usable in writes and locks, joins included.
    with django_assert_num_queries(1):
        assert query.update(status="delivered") == 3
    assert connection.vendor == "postgresql"


@pytest.fixture
def sqlite(django_db_blocker: Any) -> Iterator[Any]:
    """An in-memory SQLite connection of its own (not the test database), with the two
    tables the test reads."""
    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    database = handler["default"]
    with django_db_blocker.unblock():
        with database.schema_editor() as editor:
            editor.create_model(OutboxMessage)
            editor.create_model(Applicant)
        yield database
        database.close()


def _rows(queryset: Any, database: Any) -> list[Any]:
    return [row[0] for row in queryset.query.get_compiler(connection=database).results_iter()]


def test_in_array_on_sqlite_reads_a_list_longer_than_its_parameter_limit(sqlite):
    people = [uuid.uuid4() for _ in range(3)]
    with sqlite.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO outbox_outboxmessage (topic, key, payload, status, attempts, last_error, "
            "created_at) VALUES ('t', %s, '{}', 'pending', 0, '', '2026-01-01')",
            [[str(i)] for i in range(5)],
        )
        cursor.executemany(
            "INSERT INTO applicants_applicant (id, pii, created_at, updated_at) "
            "VALUES (%s, '', '2026-01-01', '2026-01-01')",
            [[p.hex] for p in people],
        )
    ids = [2, 4, *range(10**9, 10**9 + MANY)]
    assert sorted(_rows(OutboxMessage.objects.filter(in_array("pk", ids)).values_list("pk"), sqlite)) == [
        2,
        4,
    ]
    found = _rows(
        Applicant.objects.filter(in_array("id", [people[1], uuid.uuid4()])).values_list("id"), sqlite
    )
    assert found == [people[1]]
    keys = _rows(OutboxMessage.objects.filter(in_array("key", ["1", "3"])).values_list("key"), sqlite)
    assert sorted(keys) == ["1", "3"]

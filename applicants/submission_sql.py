"""PostgreSQL: a new application, its trail entry and its scoring request in one statement.

The ORM took a round trip and a compiled INSERT for each of the three rows (about a third of
a POST's CPU); here one INSERT ... RETURNING feeds the other two (trail_insert_per_row,
outbox_insert_per_row), with SQL text built once per process and only the values bound.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from typing import Any, cast

from django.db import connection, connections, models
from django.db.models import Field

from applicants.models import Application
from outbox.services import outbox_insert_per_row
from trail.models import TrailEntry
from trail.services import trail_insert_per_row


def insert_submission(
    application: Application, entry: TrailEntry, *, topic: str, prepared: dict[str, Any]
) -> None:
    """Write `application` (unsaved, its id set), `entry` about it and a pending `topic`
    message keyed by its id. `prepared` holds column values already in their database form
    by attname (the encrypted personal data, which the applicant's row shares). Raises
    IntegrityError as Model.save() would (a reused Idempotency-Key), and writes nothing then."""
    head, fields, pk = _application_insert(connection.vendor)
    db = connections[connection.alias]  # the proxy costs a lookup per use
    params = []
    for f in fields:
        if f.attname in prepared:
            params.append(prepared[f.attname])
            continue
        value = f.pre_save(application, True)
        # Most columns are plain values that PostgreSQL takes as they are (what the field's
        # preparation would return); the rest (JSON, choices' enums) go through the field.
        plain = type(value) in _AS_IS and type(f) in _PLAIN_FIELDS
        params.append(value if plain else f.get_db_prep_save(value, db))
    created_id = f"created.{pk}::text"
    trail_sql, trail_params = trail_insert_per_row(entry, rows="created", object_id_sql=created_id)
    outbox_sql, outbox_params = outbox_insert_per_row(topic=topic, rows="created", key_sql=created_id)
    statement = f"WITH created AS ({head} RETURNING {pk}), recorded AS ({trail_sql}) {outbox_sql}"
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *trail_params, *outbox_params])
    application._state.adding = False
    application._state.db = connection.alias


_AS_IS = frozenset({str, bool, int, type(None), dt.datetime, uuid.UUID})
_PLAIN_FIELDS = frozenset(
    {
        models.CharField,
        models.TextField,
        models.BooleanField,
        models.PositiveSmallIntegerField,
        models.DateTimeField,
        models.UUIDField,
        models.ForeignKey,
    }
)


@functools.cache
def _application_insert(vendor: str) -> tuple[str, list[Field[Any, Any]], str]:
    """The INSERT ... VALUES of every column (the id included: it is made in Python), the
    fields in its order, and the quoted id column."""
    fields = cast("list[Field[Any, Any]]", list(Application._meta.concrete_fields))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(cast(str, f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = quote(Application._meta.db_table)
    pk = quote(cast(str, Application._meta.pk.column))
    # The model's names only; the values go as parameters.
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", fields, pk  # noqa: S608

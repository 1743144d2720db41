"""The review queue's writes of many items at once, on PostgreSQL: a rescoring chunk adds or
refreshes thousands, which bulk_create would build as model instances first and a refresh
wrote as one UPDATE per item. Here each is one statement reading the rows from one JSON
parameter (`jsonb_to_recordset`), typed as the item's fields."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

from auditing.models import ItemState, ReviewItem


def _records(rows: list[dict[str, Any]]) -> tuple[str, str]:
    """`rows` as one JSON parameter and the column list that reads it back in SQL
    (`jsonb_to_recordset(%s::jsonb) AS r(<columns>)`), typed as the item's fields. One
    statement for thousands of items, where bulk_create builds a model instance each."""
    quote = connection.ops.quote_name
    fields = {field.attname: field for field in ReviewItem._meta.concrete_fields}
    columns = ", ".join(f"{quote(name)} {fields[name].cast_db_type(connection)}" for name in rows[0])
    # default=str: UUIDs, and datetimes to the microsecond (DjangoJSONEncoder cuts to the ms).
    return json.dumps(rows, default=str), columns


def items_insert_from_json(items: list[dict[str, Any]]) -> None:
    """PostgreSQL: the items in one INSERT … ON CONFLICT DO NOTHING (bulk_create's
    ignore_conflicts: an item another transaction made meanwhile stays as it is)."""
    if not items:
        return
    data, columns = _records(items)
    names = ", ".join(map(connection.ops.quote_name, items[0]))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ReviewItem._meta.db_table} ({names}) "  # noqa: S608 (names are the model's)
            f"SELECT {names} FROM jsonb_to_recordset(%s::jsonb) AS r({columns}) ON CONFLICT DO NOTHING",
            [data],
        )


def waiting_items_update_from_json(fields: dict[Any, dict[str, Any]]) -> int:
    """PostgreSQL: every refresh in one UPDATE … FROM, each item still waiting only (one
    an auditor claimed and labelled meanwhile is left alone); how many changed."""
    data, columns = _records([{"id": pk, **values} for pk, values in fields.items()])
    names = map(connection.ops.quote_name, next(iter(fields.values())))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ReviewItem._meta.db_table} AS t SET "  # noqa: S608 (names are the model's)
            + ", ".join(f"{name} = r.{name}" for name in names)
            + f" FROM jsonb_to_recordset(%s::jsonb) AS r({columns}) WHERE t.id = r.id AND t.state = %s",
            [data, ItemState.WAITING.value],
        )
        return cursor.rowcount

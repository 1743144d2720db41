"""INSERT ... SELECT of one model row per row of an SQL relation (PostgreSQL).

For a caller that writes what follows from the rows it inserts or moves in the same
statement (`WITH moved AS (UPDATE ... RETURNING id) INSERT ... SELECT ... FROM moved`): one
round trip, and the same SQL text whatever the number of rows, where bulk_create binds every
value of every row. The model's names make the text (built once per model and column); the
values go as parameters.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from django.db import connection
from django.db.models import Field, Model


def insert_per_row(template: Model, *, computed: str, expression: str, rows: str) -> tuple[str, list[Any]]:
    """An INSERT of `template`'s values once for each row of `rows` (an SQL relation the
    caller names), its `computed` column (an attname) taken from `expression`, SQL over
    those rows. Fields filled on save (auto_now_add) are filled as save() would."""
    columns, values, fields = _insert_select(type(template), computed, connection.vendor)
    params = [f.get_db_prep_save(f.pre_save(template, True), connection) for f in fields]
    select = values.replace("{computed}", expression)
    # The model's names and the caller's SQL; the values go as parameters.
    return f"{columns} SELECT {select} FROM {rows}", params  # noqa: S608


@functools.cache
def _insert_select(model: type[Model], computed: str, vendor: str) -> tuple[str, str, list[Field[Any, Any]]]:
    """`INSERT INTO table (columns)`, the SELECT list (`{computed}` where the caller's
    expression goes) and the fields whose values it takes as parameters."""
    quote = connection.ops.quote_name
    columns, values, fields = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(quote(cast(str, f.column)))
        if f.attname == computed:
            values.append("{computed}")
            continue
        values.append(f"CAST(%s AS {f.cast_db_type(connection)})")
        fields.append(f)
    if "{computed}" not in values:
        raise ValueError(f"{model.__name__} has no column {computed!r}")
    table = quote(model._meta.db_table)
    return f"INSERT INTO {table} ({', '.join(columns)})", ", ".join(values), fields

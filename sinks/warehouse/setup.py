"""Creating the warehouse: the database (local PostgreSQL only) and the tables."""

from __future__ import annotations

from urllib.parse import urlparse, urlunparse

import psycopg
from django.conf import settings

from applicants.models import Channel
from sinks.warehouse.connection import warehouse_connect
from sinks.warehouse.loader import WarehouseLoader
from sinks.warehouse.schema import DIM_CHANNEL, ddl


def warehouse_database_ensure(url: str | None = None) -> bool:
    """Create the database named in the URL on its PostgreSQL server if it is missing
    (True when created). Redshift databases are created by their cluster, not here."""
    url = url or settings.WAREHOUSE_URL
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    maintenance = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(
        maintenance, autocommit=True, connect_timeout=settings.WAREHOUSE_CONNECT_TIMEOUT_SECONDS
    ) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
        return True


def warehouse_tables_ensure(url: str | None = None, *, dialect: str | None = None) -> list[str]:
    """Create the star schema's tables (if missing) and fill dim_channel. Returns the
    statements run."""
    dialect = dialect or settings.WAREHOUSE_DIALECT
    statements = ddl(dialect)
    with warehouse_connect(url) as conn:
        for statement in statements:
            conn.execute(statement)
        WarehouseLoader(conn, dialect="postgresql").merge(
            DIM_CHANNEL, [{"channel_code": code, "label": label} for code, label in Channel.choices]
        )
        conn.commit()
    return statements

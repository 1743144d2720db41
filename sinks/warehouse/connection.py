"""The one way to reach the warehouse: psycopg, for Redshift and PostgreSQL alike
(Redshift speaks PostgreSQL's wire protocol; `redshift_connector` cannot reach a stock
PostgreSQL server, psycopg reaches both)."""

from __future__ import annotations

import psycopg
from django.conf import settings


def warehouse_connect(url: str | None = None, *, autocommit: bool = False) -> psycopg.Connection:
    """A new connection with a connect time-out and a statement time-out, so an unreachable
    or stuck warehouse fails a drain in seconds instead of holding it."""
    conn = psycopg.connect(
        url or settings.WAREHOUSE_URL,
        connect_timeout=settings.WAREHOUSE_CONNECT_TIMEOUT_SECONDS,
        autocommit=True,
        # Notice a peer that vanished without closing the connection.
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
    )
    conn.execute(f"SET statement_timeout TO {int(settings.WAREHOUSE_STATEMENT_TIMEOUT_SECONDS * 1000)}")
    conn.autocommit = autocommit
    return conn

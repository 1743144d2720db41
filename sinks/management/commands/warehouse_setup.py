from __future__ import annotations

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sinks.warehouse.schema import ddl
from sinks.warehouse.setup import warehouse_database_ensure, warehouse_tables_ensure


class Command(BaseCommand):
    help = (
        "Create the warehouse's star schema (dim_channel, dim_model_version, fact_decision, "
        "fact_review). Locally also creates the PostgreSQL database if it is missing. "
        "--print shows the DDL of a dialect without connecting."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--print", action="store_true", dest="print_only", help="print the DDL and do nothing"
        )
        parser.add_argument(
            "--dialect", choices=["postgresql", "redshift"], default=None, help="default: WAREHOUSE_DIALECT"
        )

    def handle(self, *args, print_only=False, dialect=None, **options):
        dialect = dialect or settings.WAREHOUSE_DIALECT
        if print_only:
            self.stdout.write(";\n\n".join(ddl(dialect)) + ";")
            return
        try:
            if dialect == "postgresql" and warehouse_database_ensure():
                self.stdout.write(f"created the database of {settings.WAREHOUSE_URL}")
            statements = warehouse_tables_ensure(dialect=dialect)
        except psycopg.Error as exc:
            raise CommandError(f"warehouse {settings.WAREHOUSE_URL}: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"warehouse ready ({dialect}): {len(statements)} statements, tables and indexes in place"
            )
        )

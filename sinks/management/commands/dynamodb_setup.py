from __future__ import annotations

import json

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sinks.dynamodb_table import dynamodb_table_ensure, table_definition


class Command(BaseCommand):
    help = (
        "Create the DynamoDB table of applications (key application_id; GSIs by_applicant "
        "and by_status_tier) if it is missing, and check an existing one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--table", default=None, help="default: DYNAMODB_TABLE")
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_only",
            help="print the CreateTable request and do nothing",
        )
        parser.add_argument("--wait", type=float, default=60, help="seconds to wait for ACTIVE")

    def handle(self, *args, table=None, print_only=False, wait=60, **options):
        table = table or settings.DYNAMODB_TABLE
        if print_only:
            self.stdout.write(json.dumps(table_definition(table), indent=2))
            return
        endpoint = settings.DYNAMODB_ENDPOINT_URL or "AWS"
        try:
            created, problems = dynamodb_table_ensure(table=table, wait_seconds=wait)
        except (ClientError, BotoCoreError) as exc:
            raise CommandError(f"DynamoDB at {endpoint}: {exc}") from exc
        if problems:
            raise CommandError(f"table {table} at {endpoint} differs: " + "; ".join(problems))
        verb = "created" if created else "already exists and matches"
        self.stdout.write(self.style.SUCCESS(f"DynamoDB table {table} at {endpoint}: {verb}"))

"""The DynamoDB table of applications: its definition, `dynamodb_setup`, and the two
queries the GSIs exist for (see sinks/dynamodb.py for the items and how they are written).

    key              application_id (S)
    GSI by_applicant    applicant_id (S)  + created_at (S)   an applicant's applications
    GSI by_status_tier  status_tier (S)   + updated_at (S)   e.g. "in_review#high", newest last
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from sinks.dynamodb import _unwire, dynamodb_client


def table_definition(name: str) -> dict[str, Any]:
    """CreateTable arguments: the key, the two GSIs, on-demand capacity."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": attr, "AttributeType": "S"}
            for attr in ("application_id", "applicant_id", "created_at", "status_tier", "updated_at")
        ],
        "KeySchema": [{"AttributeName": "application_id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_applicant",
                "KeySchema": [
                    {"AttributeName": "applicant_id", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by_status_tier",
                "KeySchema": [
                    {"AttributeName": "status_tier", "KeyType": "HASH"},
                    {"AttributeName": "updated_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    }


def dynamodb_table_ensure(
    *, client: Any = None, table: str | None = None, wait_seconds: float = 60
) -> tuple[bool, list[str]]:
    """Create the table if it is missing and wait until it is active. Returns (created,
    problems): problems name what an existing table lacks (a GSI, the key)."""
    client = client or dynamodb_client()
    table = table or settings.DYNAMODB_TABLE
    wanted = table_definition(table)
    created = False
    try:
        existing = client.describe_table(TableName=table)["Table"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        client.create_table(**wanted)
        created = True
        existing = None
    deadline = time.monotonic() + wait_seconds
    while existing is None or existing["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            return created, [f"table {table} is not ACTIVE after {wait_seconds}s"]
        time.sleep(0.1)
        existing = client.describe_table(TableName=table)["Table"]
    problems = []
    if existing["KeySchema"] != wanted["KeySchema"]:
        problems.append(f"key is {existing['KeySchema']}, expected application_id (HASH)")
    have = {g["IndexName"]: g["KeySchema"] for g in existing.get("GlobalSecondaryIndexes", [])}
    for index in wanted["GlobalSecondaryIndexes"]:
        if have.get(index["IndexName"]) != index["KeySchema"]:
            problems.append(f"GSI {index['IndexName']} is missing or has another key")
    return created, problems


def query_by_applicant(applicant_id: str, *, client: Any = None) -> list[dict[str, Any]]:
    """An applicant's items, oldest first (what the API and agents use)."""
    client = client or dynamodb_client()
    response = client.query(
        TableName=settings.DYNAMODB_TABLE,
        IndexName="by_applicant",
        KeyConditionExpression="applicant_id = :a",
        ExpressionAttributeValues={":a": {"S": applicant_id}},
    )
    return [_unwire(row) for row in response.get("Items", [])]


def query_by_status_tier(
    status: str, tier: str, *, limit: int = 100, client: Any = None
) -> list[dict[str, Any]]:
    """Items in one status and tier, most recently changed first (operations dashboards)."""
    client = client or dynamodb_client()
    response = client.query(
        TableName=settings.DYNAMODB_TABLE,
        IndexName="by_status_tier",
        KeyConditionExpression="status_tier = :st",
        ExpressionAttributeValues={":st": {"S": f"{status}#{tier}"}},
        ScanIndexForward=False,
        Limit=limit,
    )
    return [_unwire(row) for row in response.get("Items", [])]

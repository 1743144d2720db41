"""Which sinks exist, by the names SINKS uses. Above the sinks themselves (each imports
sinks/base.py for its contract), so the contract never imports an implementation."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from sinks.base import Sink


def get_sink(name: str) -> Sink:
    if name == "dynamodb":
        from sinks.dynamodb import DynamoDBSink

        return DynamoDBSink()
    if name == "warehouse":
        from sinks.warehouse.sink import WarehouseSink

        return WarehouseSink()
    raise ImproperlyConfigured(f"unknown sink {name!r} (known: dynamodb, warehouse)")

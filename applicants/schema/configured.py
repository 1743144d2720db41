"""The configured schema: the file settings.APPLICATION_SCHEMA names, loaded once and
re-read when the file changes (or when a test overrides the setting)."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from applicants.schema.application import ApplicationSchema
from applicants.schema.elements import SchemaError
from applicants.schema.loading import load_schema

# How long the file is trusted unchanged: a submission asks for the schema several times
# (validation, the caller index...) and a stat per ask was a measurable share of a POST.
# An edited file is picked up within this; a changed setting at once.
RECHECK_SECONDS = 1.0


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int) -> ApplicationSchema:
    return load_schema(path)


# (the setting's value, when its file was last checked (monotonic), the schema it gave)
_last: tuple[Any, float, ApplicationSchema] | None = None


def get_schema() -> ApplicationSchema:
    """The schema named by settings.APPLICATION_SCHEMA (re-read if the file changes)."""
    global _last
    configured = settings.APPLICATION_SCHEMA
    now = time.monotonic()
    last = _last
    if last is not None and now - last[1] < RECHECK_SECONDS and last[0] == configured:
        return last[2]
    path = Path(configured)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise SchemaError(f"APPLICATION_SCHEMA={path} cannot be read: {exc}") from exc
    schema = _cached(str(path), mtime)
    _last = (configured, now, schema)
    return schema


@receiver(setting_changed)
def _forget_schema(*, setting: str, **kwargs: Any) -> None:
    global _last
    if setting == "APPLICATION_SCHEMA":
        _last = None
        _cached.cache_clear()

"""The configured schema: the file settings.APPLICATION_SCHEMA names, loaded once and
re-read when the file changes (or when a test overrides the setting)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from applicants.schema.application import ApplicationSchema
from applicants.schema.elements import SchemaError
from applicants.schema.loading import load_schema


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int) -> ApplicationSchema:
    return load_schema(path)


def get_schema() -> ApplicationSchema:
    """The schema named by settings.APPLICATION_SCHEMA (re-read if the file changes)."""
    path = Path(settings.APPLICATION_SCHEMA)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise SchemaError(f"APPLICATION_SCHEMA={path} cannot be read: {exc}") from exc
    return _cached(str(path), mtime)


@receiver(setting_changed)
def _forget_schema(*, setting: str, **kwargs: Any) -> None:
    if setting == "APPLICATION_SCHEMA":
        _cached.cache_clear()

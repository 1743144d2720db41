from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from applicants.schema import get_schema


def apply_title(request: HttpRequest) -> dict[str, Any]:
    """The application's title for the web form's header, on every page of it (allauth's
    account pages included); read only by templates that show it."""
    return {"apply_title": SimpleLazyObject(lambda: get_schema().title)}

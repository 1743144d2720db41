"""The API's own exception; problems.py turns it into a problem document.

Apart from problems.py so that parsers and pagination, which DRF imports while it loads its
settings, can raise it without importing DRF's views (an import cycle).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions


class ProblemException(exceptions.APIException):
    """A problem with its own type slug, title and optional extra members."""

    def __init__(self, *, status_code: int, slug: str, title: str, detail: str, **extra: Any):
        self.status_code, self.slug, self.title, self.extra = status_code, slug, title, extra
        super().__init__(detail)

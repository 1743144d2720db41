"""Errors as application/problem+json (RFC 9457), with per-field errors where they apply."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from applicants.services import IdempotencyConflict
from applicants.validation import ApplicationInvalid

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://riskscore.readthedocs.io/problems/"


class ProblemException(exceptions.APIException):
    """A problem with its own type slug, title and optional extra members."""

    def __init__(self, *, status_code: int, slug: str, title: str, detail: str,
                 **extra: Any):
        self.status_code, self.slug, self.title, self.extra = status_code, slug, title, extra
        super().__init__(detail)


def problem_response(*, status_code: int, slug: str, title: str, detail: str,
                     headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status_code, "detail": detail,
            **extra}
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationInvalid):
        return problem_response(
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY, slug="invalid-answers",
            title="The application has invalid answers",
            detail="Some answers are missing or invalid; see errors for each field.",
            errors=exc.errors,
        )
    if isinstance(exc, IdempotencyConflict):
        return problem_response(
            status_code=status.HTTP_409_CONFLICT, slug="idempotency-key-reused",
            title="Idempotency-Key reused with different answers", detail=str(exc),
            application_id=str(exc.application.pk),
        )
    if isinstance(exc, ProblemException):
        return problem_response(status_code=exc.status_code, slug=exc.slug, title=exc.title,
                                detail=str(exc.detail), **exc.extra)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling and logging take over
    detail: Any = response.data
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        extra["errors"] = detail if isinstance(detail, dict) else {"__all__": detail}
        detail = "The request is invalid; see errors."
    elif isinstance(detail, dict) and "detail" in detail:
        detail = detail["detail"]
    title = {
        400: "Bad request", 401: "Authentication required", 403: "Forbidden",
        404: "Not found", 405: "Method not allowed", 406: "Not acceptable",
        415: "Unsupported media type", 429: "Too many requests",
    }.get(response.status_code, "Error")
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after_seconds"] = int(exc.wait)
    return problem_response(
        status_code=response.status_code,
        slug=getattr(exc, "default_code", "error").replace("_", "-"),
        title=title,
        detail=str(detail),
        headers={k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After",
                                                             "Allow")},
        **extra,
    )

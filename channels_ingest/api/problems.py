"""Errors as application/problem+json (RFC 9457), with per-field errors where they apply."""

from __future__ import annotations

import logging
from typing import Any, TypedDict

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from applicants.services import IdempotencyConflict
from applicants.validation import ApplicationInvalid
from channels_ingest.api.exceptions import ProblemException

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "ProblemException",
    "problem_exception_handler",
    "problem_json_response",
    "problem_response",
]

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://riskscore.readthedocs.io/problems/"
logger = logging.getLogger("django.request")  # where Django logs the 500s it handles itself


def problem_response(
    *,
    status_code: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status_code, "detail": detail, **extra}
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_json_response(*, status_code: int, slug: str, title: str, detail: str) -> JsonResponse:
    """The same document outside DRF (middleware, handler404/500): no renderer needed."""
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status_code, "detail": detail}
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


class Problem(TypedDict):
    status_code: int
    slug: str
    title: str
    detail: str


SERVER_ERROR: Problem = {
    "status_code": 500,
    "slug": "server-error",
    "title": "Internal server error",
    "detail": "The server failed to handle this request; it has been logged. Try again later.",
}


def request_too_large() -> Response:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return problem_response(
        status_code=413,
        slug="request-too-large",
        title="Request too large",
        detail=f"The request body is larger than {limit} bytes.",
        limit_bytes=limit,
    )


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationInvalid):
        return problem_response(
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
            slug="invalid-answers",
            title="The application has invalid answers",
            detail="Some answers are missing or invalid; see errors for each field.",
            errors=exc.errors,
        )
    if isinstance(exc, IdempotencyConflict):
        return problem_response(
            status_code=status.HTTP_409_CONFLICT,
            slug="idempotency-key-reused",
            title="Idempotency-Key reused with different answers",
            detail=str(exc),
            application_id=str(exc.application.pk),
        )
    if isinstance(exc, ProblemException):
        return problem_response(
            status_code=exc.status_code, slug=exc.slug, title=exc.title, detail=str(exc.detail), **exc.extra
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE
        return request_too_large()
    elif isinstance(exc, SuspiciousOperation):  # e.g. too many form fields: the client's fault
        return problem_response(
            status_code=400,
            slug="request-refused",
            title="Bad request",
            detail=f"The request was refused: {exc}",
        )

    response = exception_handler(exc, context)
    if response is None:
        # A real server error: logged with its traceback, answered without it.
        request = context.get("request")
        logger.error(
            "Internal Server Error: %s",
            getattr(request, "path", "?"),
            exc_info=exc,
            extra={"status_code": 500, "request": getattr(request, "_request", None)},
        )
        set_rollback()
        return problem_response(**SERVER_ERROR)
    detail: Any = response.data
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        extra["errors"] = detail if isinstance(detail, dict) else {"__all__": detail}
        detail = "The request is invalid; see errors."
    elif isinstance(detail, dict) and "detail" in detail:
        detail = detail["detail"]
    title = {
        400: "Bad request",
        401: "Authentication required",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        406: "Not acceptable",
        413: "Request too large",
        415: "Unsupported media type",
        429: "Too many requests",
    }.get(response.status_code, "Error")
    # Throttled sets `wait` in __init__; djangorestframework-stubs does not declare it.
    wait = exc.wait if isinstance(exc, exceptions.Throttled) else None  # type: ignore[attr-defined]
    if wait is not None:
        extra["retry_after_seconds"] = int(wait)
    return problem_response(
        status_code=response.status_code,
        slug=getattr(exc, "default_code", "error").replace("_", "-"),
        title=title,
        detail=str(detail),
        headers={k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")},
        **extra,
    )

"""Errors on API routes as application/problem+json, whatever raised them.

DRF views already answer problems (channels_ingest/api/problems.py). This covers the rest:
an exception in a plain view under /api/ (ApiProblemMiddleware, even with DEBUG on, so no
traceback page leaves the server) and Django's own error pages (handler400/403/404/500,
named in config/urls.py), which answer a problem under /api/ and the HTML page elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from channels_ingest.api.problems import SERVER_ERROR, problem_json_response

logger = logging.getLogger("django.request")
API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


class ApiProblemMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.core.exceptions import PermissionDenied, SuspiciousOperation
        from django.http import Http404

        if not is_api_request(request) or isinstance(
            exception, Http404 | PermissionDenied | SuspiciousOperation
        ):
            return None  # Django answers these with handler404/403/400 below
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"status_code": 500, "request": request},
        )
        return problem_json_response(**SERVER_ERROR)


def bad_request(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(
            status_code=400, slug="bad-request", title="Bad request", detail="The request could not be read."
        )
    return defaults.bad_request(request, exception, **kwargs)


def permission_denied(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(
            status_code=403,
            slug="permission-denied",
            title="Forbidden",
            detail="You do not have permission to do this.",
        )
    return defaults.permission_denied(request, exception, **kwargs)


def page_not_found(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(
            status_code=404, slug="not-found", title="Not found", detail="No resource at this address."
        )
    return defaults.page_not_found(request, exception, **kwargs)


def server_error(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(**SERVER_ERROR)
    return defaults.server_error(request, **kwargs)

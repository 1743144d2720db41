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

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404
from django.utils.http import url_has_allowed_host_and_scheme
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


class BrandedNotFoundWithDebugMiddleware:
    """A 404 is the branded page even with DEBUG on (`make run`), where Django would show its
    technical page (the URL patterns, "Raised by"): Django has no setting for this, it picks the
    technical page in response_for_exception whenever DEBUG is on. So: an Http404 from a view
    (process_exception) and an address no pattern matches (a 404 that never resolved: no
    resolver_match) both get page_not_found. It sits inside CommonMiddleware, which still turns
    a 404 for a missing slash into a redirect. A 500 keeps the technical page: there the
    developer needs the traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and request.resolver_match is None:
            return page_not_found(request, Resolver404())
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None


def _same_site_referer(request: HttpRequest) -> str:
    """Where the visitor came from, when it was a page of this site (a way back)."""
    referer = request.headers.get("Referer", "")
    if not referer:
        return ""
    try:
        host = request.get_host()
    except DisallowedHost:  # the 400 for a bad Host header itself
        return ""
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={host}, require_https=request.is_secure()):
        return referer if referer != request.build_absolute_uri() else ""
    return ""


def _page(request: HttpRequest, *, status: int, title: str, reason: str) -> HttpResponse:
    """A branded error page inside the app's layout, with the reason and a way back."""
    if not hasattr(request, "user"):  # refused before the authentication middleware ran (a bad Host)
        request.user = AnonymousUser()
    return render(
        request,
        f"{status}.html",
        {
            "error_code": status,
            "error_title": title,
            "error_reason": reason,
            "back_url": _same_site_referer(request),
        },
        status=status,
    )


def _said(exception: Exception) -> str:
    """The reason a view gave when it refused (PermissionDenied("...") texts are written for
    the person reading them); Django's own exceptions carry dicts or nothing."""
    if exception.args and isinstance(exception.args[0], str):
        return exception.args[0].strip()
    return ""


def bad_request(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(
            status_code=400, slug="bad-request", title="Bad request", detail="The request could not be read."
        )
    return _page(
        request,
        status=400,
        title="This request could not be read",
        reason="Something in the address or the form sent was not valid (for example a link that was "
        "cut short, or a form sent from another site). Go back and try again.",
    )


def permission_denied(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(
            status_code=403,
            slug="permission-denied",
            title="Forbidden",
            detail="You do not have permission to do this.",
        )
    said = _said(exception)
    reason = said[:1].upper() + said[1:] if said else "Your roles do not allow this page."
    if not reason.endswith("."):
        reason += "."
    return _page(request, status=403, title="You cannot open this page", reason=reason)


def page_not_found(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(
            status_code=404, slug="not-found", title="Not found", detail="No resource at this address."
        )
    return _page(
        request,
        status=404,
        title="Nothing here",
        reason="There is no page at this address, or what it names does not exist (any more) or is "
        "not visible to you. Check the address, or start again from the start page.",
    )


def server_error(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(**SERVER_ERROR)
    # Without the request's context: whatever failed (the database, a template) may fail again.
    return defaults.server_error(request, **kwargs)

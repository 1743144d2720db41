"""Ask for the second factor before any page.

After a password login, an account with a confirmed device (or one that must use a second
factor: accounts.access.second_factor_required) is sent to the code page before anything else,
the admin site included; the API answers 403 problem+json to such a session. Only logging in
and out, the two-factor pages, static files and the health checks stay open.
Goes after django_otp's OTPMiddleware (which gives request.user.is_verified()).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from accounts.access import second_factor_required
from accounts.signals import SECOND_FACTOR_DUE
from accounts.types import AnyUser

OPEN_URL_NAMES = (
    "login",
    "logout",
    "two-factor-verify",
    "two-factor-enrol",
    "admin:logout",
    "healthz",
    "readyz",
)


def second_factor_page(user: AnyUser, next_path: str) -> str:
    """Where to send an unverified user: the code page, or enrolment if they have no device."""
    from accounts.two_factor import has_second_factor

    name = "two-factor-verify" if has_second_factor(user) else "two-factor-enrol"
    return f"{reverse(name)}?{urlencode({'next': next_path})}"


def _open_paths() -> set[str]:
    paths = set()
    for name in OPEN_URL_NAMES:
        with contextlib.suppress(NoReverseMatch):
            paths.add(reverse(name))
    return paths


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_verify_first(request):
            return self._ask(request)
        return self.get_response(request)

    def _must_verify_first(self, request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if getattr(user, "is_verified", lambda: False)():
            return False
        # Most users (applicants) owe no second factor: asked first, the open paths (a dozen
        # reverse() calls) are built only for the few who do.
        if not (request.session.get(SECOND_FACTOR_DUE) or second_factor_required(user)):
            return False
        path = request.path_info
        return not (path.startswith("/" + settings.STATIC_URL.lstrip("/")) or path in _open_paths())

    def _ask(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {
                    "type": "https://riskscore.readthedocs.io/problems/second-factor-required",
                    "title": "Two-factor authentication required",
                    "status": 403,
                    "detail": "Enter the code of your authenticator app on the web pages first.",
                },
                status=403,
                content_type="application/problem+json",
            )
        return redirect(second_factor_page(request.user, request.get_full_path()))

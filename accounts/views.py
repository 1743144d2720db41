"""Two-factor pages: enrol an authenticator app, and give its code after the password."""

from __future__ import annotations

from typing import Protocol, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.access import can_enrol_second_factor, second_factor_required
from accounts.forms import CodeForm
from accounts.middleware import second_factor_page
from accounts.two_factor import (
    has_second_factor,
    second_factor_verify,
    totp_enrolment_confirm,
    totp_enrolment_start,
)
from accounts.types import AuthenticatedHttpRequest


class _OTPUser(Protocol):
    def is_verified(self) -> bool: ...


def _verified(request: HttpRequest) -> bool:
    """Whether this session gave its second factor. django_otp's OTPMiddleware gives the
    request's user is_verified(), which the user model's type does not declare."""
    return cast(_OTPUser, request.user).is_verified()


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@never_cache  # the page shows the secret
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not can_enrol_second_factor(request.user):
        raise PermissionDenied
    if has_second_factor(request.user):
        if not _verified(request):
            return redirect(second_factor_page(request.user, _next_url(request)))
        return render(request, "accounts/two_factor_enrolled.html")
    enrolment = totp_enrolment_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_enrolment_confirm(request=request, device=enrolment.device, token=form.cleaned_data["code"]):
            return redirect(_next_url(request))
        form.add_error("code", "That code does not match. Wait for the next one and try again.")
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "enrolment": enrolment,
            "next": _next_url(request),
            "required": second_factor_required(request.user),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if _verified(request):
        return redirect(_next_url(request))
    if not has_second_factor(request.user):
        return redirect(second_factor_page(request.user, _next_url(request)))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor_verify(request=request, token=form.cleaned_data["code"]):
            return redirect(_next_url(request))
        form.add_error(
            "code",
            "That code does not match (or came too soon after a wrong one). "
            "Wait a moment and try the code your app shows now.",
        )
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )

"""The API's login: a username and password for a token, limited like every other login.

- the throttle (scope "token") fails open when the cache is away (accounts/throttling.py);
- django-axes refuses a username and client IP after LOGIN_FAILURE_LIMIT failures, even with
  the right password, until the cool-off has passed: 429 problem+json with Retry-After;
- accounts that must use a second factor get no token (accounts.access.can_use_api_token).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import can_use_api_token
from accounts.authentication import SECOND_FACTOR_DETAIL
from accounts.lockout import lockout_problem, lockout_seconds_left, login_name
from accounts.throttling import FailOpenScopedRateThrottle
from channels_ingest.api.problems import PROBLEM_CONTENT_TYPE, ProblemException


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for an API token."""

    throttle_classes = [FailOpenScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        auth=[],
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="wrong username or password"),
            403: OpenApiResponse(description="this account must use two-factor authentication"),
            429: OpenApiResponse(description="too many attempts; see Retry-After"),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        # axes marks the request it was given (DRF's, not Django's) when the pair is locked.
        if getattr(request, "axes_locked_out", False):
            seconds = lockout_seconds_left(
                username=login_name(None, serializer.initial_data),
                ip_address=getattr(request, "axes_ip_address", None),
            )
            return Response(
                lockout_problem(seconds),
                status=429,
                headers={"Retry-After": str(seconds)},
                content_type=PROBLEM_CONTENT_TYPE,
            )
        if not valid:
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        if not can_use_api_token(user):
            raise ProblemException(
                status_code=403,
                slug="second-factor-required",
                title="Two-factor authentication required",
                detail=SECOND_FACTOR_DETAIL,
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

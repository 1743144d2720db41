"""The client address that throttling and lockout count is taken from trusted-proxy settings
only (issue 8, defect 5): a client cannot pick its own by sending X-Forwarded-For."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.test import APIClient
from rest_framework.throttling import BaseThrottle

from accounts.client_ip import client_ip


def drf_ident(request) -> str:
    return BaseThrottle().get_ident(request)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, "10.0.0.5"),
        (0, "192.0.2.1", "10.0.0.5"),  # nothing trusted: the header is the client's word
        (1, "192.0.2.1", "192.0.2.1"),  # our one proxy saw 192.0.2.1
        (1, "6.6.6.6, 192.0.2.1", "192.0.2.1"),  # the client prepended a forged hop
        (2, "6.6.6.6, 192.0.2.1, 10.0.0.9", "192.0.2.1"),
        (2, "192.0.2.1", "192.0.2.1"),  # fewer hops than proxies: the leftmost
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", **extra)
    assert client_ip(request) == expected
    assert drf_ident(request) == expected  # throttles and lockout agree


def test_the_settings_default_to_no_trusted_proxy(settings):
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    assert settings.AXES_CLIENT_IP_CALLABLE == "accounts.client_ip.client_ip"
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == 0


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_escape_the_token_throttle(alice):
    cache.clear()
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "nobody", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(25)
    ]
    assert statuses[-1] == 429
    assert (
        client.post("/api/v1/auth/token/", {"username": "nobody", "password": "x"})
        .json()["type"]
        .endswith("/throttled")
    )
    cache.clear()

"""The client's IP address, for login lockout and throttling: from trusted-proxy settings only.

`X-Forwarded-For` is whatever the client sent unless a proxy of ours set it. With
TRUSTED_PROXY_COUNT = 0 (the default: nothing in front of the app) it is ignored and the peer
address (REMOTE_ADDR) counts; with N proxies in front, each appends the address it saw, so the
Nth entry from the right is the one our outermost proxy saw (anything further left was sent by
the client and may be forged). DRF's throttles use the same rule (REST_FRAMEWORK["NUM_PROXIES"]
is set from the same setting in config/settings/accounts.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def client_ip(request: Any) -> str:
    remote_addr = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote_addr
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote_addr
    return hops[-min(proxies, len(hops))]

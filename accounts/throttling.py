"""Rate limits that fail open when the cache is away: DRF's throttles, allauth's limits.

The cache lives on Redis in the documented deployments (docker-compose puts it on the broker's
Redis), and the throttles read it on every API request. A Redis outage must not turn every
submission into a 500: while the cache cannot be reached, requests are let through unthrottled
(one warning in the log when the outage starts, one line when the cache answers again), and the
cache is not asked again for CACHE_OUTAGE_RETRY_SECONDS, so requests stay fast while it is away.
Login lockout does not depend on the cache (django-axes keeps attempts in the database), so
logins stay limited meanwhile. allauth's rate limits (the applicants' login, sign-up, password
reset) read the same cache; accounts.apps hands them a FailOpenCache for the same reason.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

log = logging.getLogger(__name__)


def _outage_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError]  # socket errors of any cache client
    try:
        import redis

        errors.append(redis.exceptions.RedisError)  # ConnectionError, TimeoutError, ...
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return tuple(errors)


CACHE_OUTAGE_ERRORS = _outage_errors()


class CacheOutage:
    """This process's view of whether the cache is reachable (shared by all throttles)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down = False

    def skipping(self) -> bool:
        """True while a recent failure says not to ask the cache yet."""
        return time.monotonic() < self._down_until

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + settings.CACHE_OUTAGE_RETRY_SECONDS
            if not self._down:
                self._down = True
                log.warning(
                    "cache unreachable (%s: %s); rate limits are off until it answers "
                    "again (login lockout is not)",
                    type(exc).__name__,
                    exc,
                )

    def answered(self) -> None:
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    log.warning("cache answers again; rate limits are back on")


cache_outage = CacheOutage()


class FailOpenThrottleMixin:
    """allow_request reads and writes the cache; any outage error lets the request through."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if cache_outage.skipping():
            return True
        try:
            allowed = super().allow_request(request, view)  # type: ignore[misc]
        except CACHE_OUTAGE_ERRORS as exc:
            cache_outage.failed(exc)
            return True
        # Only a throttle that asked the cache knows it is back (not one that does not apply,
        # e.g. the anonymous throttle for a signed-in user).
        if getattr(self, "rate", None) is not None and getattr(self, "key", None) is not None:
            cache_outage.answered()
        return allowed


class FailOpenAnonRateThrottle(FailOpenThrottleMixin, AnonRateThrottle):
    pass


class FailOpenUserRateThrottle(FailOpenThrottleMixin, UserRateThrottle):
    pass


class FailOpenScopedRateThrottle(FailOpenThrottleMixin, ScopedRateThrottle):
    pass


class FailOpenCache:
    """A cache that answers "nothing stored" while the real one is away, for rate limiters
    that keep counts in it: get gives the default, add succeeds (a lock is "taken"), set and
    delete do nothing. Everything else is passed through unchanged."""

    def __init__(self, cache: Any):
        self._cache = cache

    def _call(self, method: str, fallback: Any, *args: Any, **kwargs: Any) -> Any:
        if cache_outage.skipping():
            return fallback
        try:
            result = getattr(self._cache, method)(*args, **kwargs)
        except CACHE_OUTAGE_ERRORS as exc:
            cache_outage.failed(exc)
            return fallback
        cache_outage.answered()
        return result

    def get(self, key: Any, default: Any = None, **kwargs: Any) -> Any:
        return self._call("get", default, key, default, **kwargs)

    def add(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> bool:
        return self._call("add", True, key, value, *args, **kwargs)

    def set(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        return self._call("set", None, key, value, *args, **kwargs)

    def delete(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete", False, key, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cache, name)

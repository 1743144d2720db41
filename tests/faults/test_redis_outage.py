"""A Redis outage with the documented production cache layout (issue 8, defect 10).

docker-compose puts Django's cache on the broker's Redis (CACHE_URL=redis://redis:6379/1), and
the API's throttles read that cache on every request. Here the cache is Django's RedisCache
with its default options, on a redis-server this test starts and kills: while it is away,
submissions are still acknowledged (202) and the token endpoint still answers, with one log
line; once it is back the applications are scored and throttling works again.
"""

from __future__ import annotations

import logging
import time

import pytest
import redis
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import throttling
from scoring.models import Decision
from scoring.services import score_waiting_applications
from tests.conftest import token_client
from tests.plugins.sinks import RedisServer, use_broker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_cache(settings, private_redis: RedisServer, monkeypatch):
    """The production layout: the broker on Redis database 0, the cache on database 1 of the
    same server (as docker-compose), the cache backend with its default timeouts."""
    if private_redis.process is None:
        private_redis.start()
    private_redis.flush()
    cache_url = private_redis.url.rsplit("/", 1)[0] + "/1"
    redis.Redis.from_url(cache_url).flushdb()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": cache_url}
    }
    # Every request tries the dead cache (no pause between tries), the hardest case for
    # "one log line per outage".
    settings.CACHE_OUTAGE_RETRY_SECONDS = 0.0
    monkeypatch.setattr(throttling, "cache_outage", throttling.CacheOutage())
    with use_broker(private_redis.url):
        yield cache_url
    if private_redis.process is None:
        private_redis.start()


def submit(client: APIClient, answers: dict, n: int) -> str:
    response = client.post(
        "/api/v1/applications/",
        {"answers": {**answers, "national_id": f"RDS{n:07d}"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"redis-outage-{n}",
    )
    assert response.status_code == 202, response.content
    return response.json()["id"]


def get_token(username: str) -> int:
    return (
        APIClient()
        .post("/api/v1/auth/token/", {"username": username, "password": "pw-for-tests"}, format="json")
        .status_code
    )


def test_submissions_and_tokens_keep_working_while_the_cache_redis_is_away(
    redis_cache, private_redis, active_model, alice, answers, caplog
):
    client = token_client(alice)
    ids = [submit(client, answers, 1)]
    assert get_token("alice") == 200
    # The throttles really keep their history in this Redis.
    assert any(b"throttle" in key for key in redis.Redis.from_url(redis_cache).keys("*"))

    private_redis.stop()
    caplog.set_level(logging.WARNING, logger="accounts.throttling")
    started = time.monotonic()
    ids += [submit(client, answers, n) for n in range(2, 6)]
    assert get_token("alice") == 200
    print(f"5 requests during the outage: {time.monotonic() - started:.2f}s")
    assert time.monotonic() - started < 10  # no request waits on the dead cache
    outage_lines = [r for r in caplog.records if r.name == "accounts.throttling"]
    assert len(outage_lines) == 1 and "unreachable" in outage_lines[0].getMessage()

    private_redis.start()  # same port, empty
    cache.close()
    while score_waiting_applications().claimed:
        pass
    assert Decision.objects.filter(application_id__in=ids, is_current=True).count() == len(ids)

    # Throttling is back on: the token endpoint's 20 a minute.
    statuses = [get_token("alice") for _ in range(21)]
    assert statuses[-1] == 429 and statuses[0] == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "accounts.throttling"]
    assert len(lines) == 2 and "answers again" in lines[-1]


def test_applicants_log_in_and_reset_passwords_while_the_cache_redis_is_away(
    redis_cache, private_redis, caplog
):
    """allauth's rate limits keep their counts in the same cache (accounts.apps)."""
    from allauth.account.models import EmailAddress
    from django.core import mail
    from django.test import Client

    from accounts.roles import Role
    from accounts.services import user_create_with_roles

    user = user_create_with_roles(
        username="grace", password="pw-for-tests", roles=[Role.APPLICANT], email="grace@example.com"
    )
    EmailAddress.objects.create(user=user, email="grace@example.com", verified=True, primary=True)
    private_redis.stop()
    caplog.set_level(logging.WARNING, logger="accounts.throttling")
    client = Client()
    login = client.post("/apply/account/login/", {"login": "grace@example.com", "password": "pw-for-tests"})
    assert login.status_code == 302 and "_auth_user_id" in client.session
    reset = Client().post("/apply/account/password/reset/", {"email": "grace@example.com"})
    assert reset.status_code == 302 and len(mail.outbox) == 1
    assert len([r for r in caplog.records if r.name == "accounts.throttling"]) == 1

"""The production settings behind a real gunicorn, with static files collected by the
Dockerfile's own command: every page renders (a file missing from the manifest is a 500),
and the security headers and cookies are what a browser needs.

The server runs on a database of its own, migrated by the production settings and dropped at
the end: what it commits (staff users, their logins in the audit trail) must not leak into the
test database, which other tests expect to start empty (a reused test database kept it for the
next run).
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings

from tests.config.production_env import clean_environ, production_env
from tests.conftest import ROOT

HOST = "risk.example.com"
STAFF = ("prodstaff", "cookiestaff")
PASSWORD = "a-long-password-for-production-tests"
ANONYMOUS_PAGES = [
    "/",
    "/accounts/login/",
    "/admin/login/",
    "/api/docs/",
    "/api/docs/?script=",
    "/api/schema/",
    "/apply/",
]
STAFF_PAGES = [
    "/",
    "/review/",
    "/review/quality/",
    "/review/trail/",
    "/review/exports/",
    "/models/",
    "/models/rescoring/",
    "/admin/",
]


def dockerfile_collectstatic_command() -> str:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    run = next(line for line in text.splitlines() if "collectstatic" in line)
    return run.removeprefix("RUN ").split("&&")[0].strip()


@pytest.fixture(scope="module")
def static_root(tmp_path_factory: Any) -> Path:
    """Static files as the image build makes them: the Dockerfile's command, run here."""
    root = tmp_path_factory.mktemp("staticfiles")
    env = {
        **clean_environ(),
        "STATIC_ROOT": str(root),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    command = dockerfile_collectstatic_command()
    assert "DJANGO_SETTINGS_MODULE=config.settings.build" in command
    result = subprocess.run(
        ["sh", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert (root / "staticfiles.json").exists()
    return root


MAKE_STAFF = (
    "from accounts.roles import Role\n"
    "from accounts.services import user_create_with_roles\n"
    f"for name in {STAFF!r}:\n"
    f"    user_create_with_roles(username=name, password={PASSWORD!r},\n"
    "                           roles=[Role.AUDITOR, Role.APPROVER, Role.ADMIN])\n"
)


def run_with_production_settings(env: dict[str, str], code: str) -> None:
    prelude = "from django.contrib.auth import get_user_model\nUser = get_user_model()\n"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", prelude + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, port: int):
        self.port = port

    def request(
        self,
        method: str,
        path: str,
        *,
        https: bool = True,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:  # an http.client.HTTPResponse, its body read into `.text`
        connection_ = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        all_headers = {"Host": HOST, **({"X-Forwarded-Proto": "https"} if https else {}), **(headers or {})}
        connection_.request(method, path, body=body, headers=all_headers)
        response = connection_.getresponse()
        response.text = response.read().decode("utf-8", "replace")  # type: ignore[attr-defined]
        connection_.close()
        return response


@pytest.fixture(scope="module")
def production_database() -> Iterator[str]:
    database = settings.DATABASES["default"]
    server = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
    name = f"{database['TEST']['NAME']}_production"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def production_server(static_root: Path, production_database: str, tmp_path_factory: Any) -> Iterator[Server]:
    port = _free_port()
    env = {
        **clean_environ(),
        **production_env(
            DATABASE_URL=production_database,
            DJANGO_ALLOWED_HOSTS=HOST,
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            CACHE_URL=settings.CELERY_BROKER_URL,
            STATIC_ROOT=str(static_root),
            MODEL_STORAGE_URL=f"file://{tmp_path_factory.mktemp('models')}",
            # Staff pages render without enrolling a second factor here; tests/accounts
            # covers the production requirement.
            OTP_REQUIRED_FOR_STAFF="false",
        ),
    }
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    log = (tmp_path_factory.mktemp("gunicorn") / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(port)
    deadline = time.monotonic() + 60
    while True:
        try:
            if server.request("GET", "/healthz").status == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.close()
            raise AssertionError(f"gunicorn did not start:\n{Path(log.name).read_text()[-3000:]}")
        time.sleep(0.2)
    # Made by the production settings themselves (their password hasher).
    run_with_production_settings(env, MAKE_STAFF)
    yield server
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    log.close()


def static_links(html: str) -> list[str]:
    return sorted(set(re.findall(r"""(?:href|src)=["'](/static/[^"'?#]+)""", html)))


def assert_renders_with_its_static_files(
    server: Server, path: str, cookies: dict[str, str] | None = None
) -> None:
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
    response = server.request("GET", path, headers=headers)
    assert response.status == 200, f"{path}: {response.status}\n{response.text[:2000]}"
    for link in static_links(response.text):
        asset = server.request("GET", link)
        assert asset.status == 200, f"{path} links {link}: {asset.status}"
        # Hashed names from the manifest: cached for ever by browsers and proxies.
        assert re.search(r"\.[0-9a-f]{12}\.", link), link


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_every_public_page_renders_under_production_settings(production_server, path):
    assert_renders_with_its_static_files(production_server, path)


def cookies_of(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name] = rest.split(";")[0]
    return found


def log_in(server: Server, username: str) -> tuple[dict[str, str], http.client.HTTPResponse]:
    page = server.request("GET", "/accounts/login/")
    cookies = cookies_of(page)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = server.request(
        "POST",
        "/accounts/login/",
        body=f"csrfmiddlewaretoken={token}&username={username}&password={PASSWORD}&next=/",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Referer": f"https://{HOST}/accounts/login/",
            "Origin": f"https://{HOST}",
        },
    )
    assert response.status == 302, response.text[:2000]
    return {**cookies, **cookies_of(response)}, response


def test_every_staff_page_renders_under_production_settings(production_server):
    cookies, _ = log_in(production_server, "prodstaff")
    for path in STAFF_PAGES:
        assert_renders_with_its_static_files(production_server, path, cookies)


def test_security_headers_under_production_settings(production_server):
    response = production_server.request("GET", "/accounts/login/")
    headers = response.headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    # Static files and API answers carry them too.
    for path in ["/api/v1/schema/", static_links(response.text)[0]]:
        assert "Content-Security-Policy" in production_server.request("GET", path).headers


def test_plain_http_is_redirected_to_https(production_server):
    response = production_server.request("GET", "/accounts/login/", https=False)
    assert response.status == 301
    assert response.headers["Location"] == f"https://{HOST}/accounts/login/"


def test_session_and_csrf_cookies_are_secure_httponly_and_same_site(production_server):
    _, response = log_in(production_server, "cookiestaff")
    set_cookies = {h.split("=", 1)[0]: h for h in response.headers.get_all("Set-Cookie")}
    session = set_cookies["sessionid"]
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in session, session
    csrf = set_cookies["csrftoken"]
    assert "Secure" in csrf and "SameSite=Lax" in csrf


def test_an_unexpected_api_path_is_a_problem_not_an_html_page(production_server):
    response = production_server.request("GET", "/api/v1/applications/" + "-" * 36 + "/")
    assert response.status in (401, 404)
    assert response.headers["Content-Type"] == "application/problem+json"

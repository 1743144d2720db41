"""A real browser for the page tests: Playwright driving the Chromium of the machine's
package manager (Debian's `chromium`), headless, with a fresh profile per user.

`playwright install` cannot download browsers here, so the set-up installs the OS package
itself when it is missing, and fails with a clear message when it cannot: nothing is
skipped silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
    )


def _install_chromium() -> str:
    if shutil.which("apt-get") is None:
        return "apt-get is not available on this machine"
    result = _apt("install", "-y", "--no-install-recommends", "chromium")
    if result.returncode != 0:  # a stale package list: refresh it once and try again
        _apt("update")
        result = _apt("install", "-y", "--no-install-recommends", "chromium")
    return "" if result.returncode == 0 else (result.stderr or result.stdout)[-1500:]


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        problem = _install_chromium()
        if not CHROMIUM.exists():
            pytest.fail(
                f"The browser tests need Chromium at {CHROMIUM} (Debian package `chromium`), "
                f"and installing it failed: {problem or 'the package installed no such file'}. "
                "Install it with `apt-get install -y chromium` (or set CHROMIUM_PATH).",
                pytrace=False,
            )
    return CHROMIUM


@pytest.fixture
def playwright_driver(chromium: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; Django refuses ORM calls next
    # to a running loop unless told the calls are synchronous, which they are here. Only for
    # the life of this test's driver.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser_as(playwright_driver: Any, chromium: Path, live_server: Any) -> Iterator[Callable[..., Any]]:
    """`browser_as(username)`: a logged-in page in its own fresh profile (own cookies)."""
    contexts = []
    profiles = []

    def open_as(username: str, password: str = "pw-for-tests") -> Any:  # noqa: S107
        profile = tempfile.mkdtemp(prefix="e2e-chromium-")
        profiles.append(profile)
        context = playwright_driver.chromium.launch_persistent_context(
            profile,
            executable_path=str(chromium),
            headless=True,
            args=ARGS,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{live_server.url}/accounts/login/?next=/review/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/review/")
        return page

    yield open_as
    for context in contexts:
        context.close()
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)

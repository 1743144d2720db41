"""Under the Content-Security-Policy, in a real browser: Swagger UI still renders, a form that
asks for confirmation still asks, and no page logs a policy violation."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from accounts.roles import Role
from applicants.schema import get_schema
from modelops.models import ModelVersion
from modelops.registry import model_version_approve, model_version_register
from tests.e2e.conftest import browser_as, chromium, playwright_driver  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _without_evidence_gates(settings):
    """These tests check approval's own rules (statuses, two people, what follows approval);
    the evidence gates approval also runs are tested in tests/governance."""
    settings.GOVERNANCE_GATES_ENABLED = False


def watch_for_violations(page: Any) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_pages_work_with_no_policy_violation(
    browser_as,  # noqa: F811
    make_user,
    erin,
    active_model,
    trained_default,
    live_server,
):
    make_user("cspcheck", Role.AUDITOR, Role.APPROVER)
    candidate = model_version_register(trained=trained_default, schema=get_schema(), training_source="tests")
    model_version_approve(model=candidate, actor=erin, note="fine")
    page = browser_as("cspcheck")
    violations = watch_for_violations(page)

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Applicant risk scoring API" in page.inner_text(".swagger-ui .info .title")

    # The activate form asks first (static/js/confirm.js): dismissed, nothing happens.
    page.goto(f"{live_server.url}/models/{candidate.version}/")
    questions: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.click("button[name=activate]")
    page.wait_for_timeout(300)
    assert questions == [f"Score new applications with v{candidate.version}?"]
    assert ModelVersion.objects.get(pk=candidate.pk).status == "approved"
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    with page.expect_navigation():
        page.click("button[name=activate]")
    assert ModelVersion.objects.get(pk=candidate.pk).status == "active"

    for path in ("/", "/review/", "/review/exports/", "/review/quality/", "/models/"):
        page.goto(f"{live_server.url}{path}")
    assert violations == []

    # The policy is enforced and the watch sees it: an injected inline script is refused.
    with contextlib.suppress(Exception):
        page.add_script_tag(content="window.injected = 1")
    assert page.evaluate("window.injected") is None
    assert violations and "script-src" in violations[0]

"""Mail entry in a real browser (headless Chromium), driven by the keyboard: two clerks key
the same paper form blind, with one difference; a supervisor who keyed neither resolves it
on the comparison screen beside the scan; the application reaches the review queue with
provenance naming both clerks. A clerk cannot key the second pass of their own form.

Set MAIL_SCREENSHOTS=<folder> to keep screenshots of the pages these tests visit.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest

from accounts.roles import Role
from applicants.models import Application
from applicants.schema import get_schema
from channels_ingest.webform import presenters
from tests.auditing.review_helpers import sent_to_review
from tests.e2e.keyboard import choose_option

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("MAIL_SCREENSHOTS", "")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True, caret="initial")


def watch_console(page: Any) -> list[str]:
    problems: list[str] = []

    def on_console(m: Any) -> None:
        if m.type == "error":
            problems.append(f"{page.url}: {m.text}")

    page.on("console", on_console)
    return problems


def focused(page: Any) -> str:
    return page.evaluate("document.activeElement.name || document.activeElement.id")


def typed_form(answers: dict[str, Any], **changes: str) -> dict[str, str]:
    """What a clerk types for each field, reading the paper: local date and money formats,
    choice labels (a closed select picks the option its label starts with)."""
    schema = get_schema()
    typed: dict[str, str] = {}
    for spec in schema.fields:
        value = answers.get(spec.name)
        if value is None:
            continue
        if spec.type == "choice":
            typed[spec.name] = next(c.label for c in spec.choices if c.value == value)
        elif spec.type == "date":
            typed[spec.name] = dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        elif spec.type == "boolean":
            typed[spec.name] = "yes" if value else "no"
        else:
            typed[spec.name] = str(value)
    typed["annual_income"] = f"£{int(answers['annual_income']):,}"
    return {**typed, **changes}


def key_whole_form(page: Any, typed: dict[str, str]) -> None:
    """Field after field with Tab (never the mouse), as the paper reads; then Ctrl+Enter."""
    schema = get_schema()
    order = [f for s in presenters.steps(schema) for f in s.fields] + presenters.consent_fields(schema)
    for spec in order:
        for _ in range(6):
            if focused(page) == spec.name:
                break
            page.keyboard.press("Tab")
        assert focused(page) == spec.name, f"Tab never reached {spec.name}"
        if spec.must_be_true:
            if typed.get(spec.name) == "yes":
                page.keyboard.press("Space")
        elif spec.type == "choice":
            choose_option(page, f"[name={spec.name}]", typed[spec.name])
        else:
            page.keyboard.press("Control+A")
            page.keyboard.type(typed.get(spec.name, ""))
        page.keyboard.press("Tab")
    page.keyboard.press("Control+Enter")


@pytest.fixture
def mail_people(db: Any) -> dict[str, Any]:
    from accounts.services import user_create_with_roles

    roles = {
        "clerk_ann": [Role.CLERK],
        "clerk_bob": [Role.CLERK],
        "super_sue": [Role.MAIL_SUPERVISOR],
        "auditor_al": [Role.AUDITOR],
    }
    return {
        name: user_create_with_roles(username=name, password="pw-for-tests", roles=r)
        for name, r in roles.items()
    }


@pytest.fixture
def scanned_form(mail_people: dict[str, Any], answers: dict[str, Any], settings: Any, tmp_path: Path) -> Any:
    from channels_ingest.mail import services
    from demo.mail_scans import render_form

    settings.MAIL_SCAN_STORAGE_URL = f"file://{tmp_path / 'scans'}"
    batch = services.batch_open(
        number="E2E-1", received_on=dt.date.today(), forms_count=1, actor=mail_people["super_sue"]
    )
    item = batch.items.get()
    scan = render_form(get_schema(), answers, title="E2E-1 / 1")
    return services.scan_upload(item=item, data=scan, actor=mail_people["super_sue"])


def start_keying(page: Any, base: str, item: Any) -> None:
    page.goto(f"{base}/mail/")
    button = page.get_by_role("button", name=f"Key form {item}")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/mail/passes/\d+/"))


def test_two_clerks_double_key_a_form_a_supervisor_resolves_it_and_it_reaches_review(
    browser_as, live_server, mail_people, scanned_form, answers, active_model
):

    base, item = live_server.url, scanned_form
    ann = browser_as("clerk_ann")
    problems = watch_console(ann)
    start_keying(ann, base, item)
    assert ann.locator("img.scan-image").evaluate("i => i.complete && i.naturalWidth > 0")
    assert focused(ann) == "full_name"  # keying starts at once
    shot(ann, "key")
    key_whole_form(ann, typed_form(answers))
    ann.wait_for_url(f"{base}/mail/")
    assert "keyed (pass 1)" in ann.content()

    # Ann cannot take the second pass of her own form: it is not even offered to her.
    assert ann.get_by_role("button", name=re.compile("Key form")).count() == 0

    bob = browser_as("clerk_bob")
    problems += watch_console(bob)
    start_keying(bob, base, item)
    assert answers["full_name"] not in bob.content()  # blind: nothing of Ann's pass
    # Bob misreads the income and types the rest differently but equally.
    key_whole_form(
        bob, typed_form(answers, annual_income="45000", full_name=f"  {answers['full_name'].upper()} ")
    )
    bob.wait_for_url(f"{base}/mail/")
    assert Application.objects.filter(channel="mail").count() == 0  # nothing before agreement

    sue = browser_as("super_sue")
    problems += watch_console(sue)
    sue.goto(f"{base}/mail/")
    link = sue.get_by_role("link", name=f"Resolve form {item}")
    link.focus()
    sue.keyboard.press("Enter")
    sue.wait_for_url(re.compile(r"/mail/forms/\d+/resolve/"))
    mismatched = sue.locator("tr.mismatch")
    assert mismatched.count() == 1 and "Annual income" in mismatched.inner_text()
    assert "45,000" in mismatched.inner_text() and "54,000" in mismatched.inner_text()
    shot(sue, "resolve")
    assert focused(sue) == "choice-annual_income"
    sue.keyboard.press("Space")  # 1 · first: Ann's value, as the scan shows
    sue.keyboard.press("Control+Enter")
    sue.wait_for_url(f"{base}/mail/")
    assert "resolved and submitted" in sue.content()
    assert problems == []

    application = Application.objects.get(channel="mail")
    assert application.all_answers["annual_income"] == answers["annual_income"]
    review = sent_to_review(application.pk)

    auditor = browser_as("auditor_al")
    auditor.goto(f"{base}/review/items/{review.pk}/")
    text = auditor.content()
    assert "clerk_ann + clerk_bob" in text  # both clerks, by name
    assert "double-keyed" in text
    shot(auditor, "review-item")


def test_a_clerk_cannot_key_the_second_pass_of_their_own_form(
    browser_as, live_server, mail_people, scanned_form, answers
):
    from channels_ingest.mail import services

    first = services.pass_start(item=scanned_form, clerk=mail_people["clerk_ann"])
    services.pass_finish(keying=first, clerk=mail_people["clerk_ann"], raw=typed_form(answers))
    ann = browser_as("clerk_ann")
    ann.goto(f"{live_server.url}/mail/")
    assert ann.get_by_role("button", name=re.compile("Key form")).count() == 0
    # Asked for anyway (a forged post): refused with the reason, no second pass.
    with ann.expect_navigation(url=f"{live_server.url}/mail/"):
        ann.evaluate(
            """id => { const f = document.createElement('form'); f.method = 'post';
        f.action = '/mail/forms/' + id + '/key/';
        const t = document.createElement('input'); t.type = 'hidden'; t.name = 'csrfmiddlewaretoken';
        t.value = document.querySelector('[name=csrfmiddlewaretoken]')?.value
          || document.cookie.replace(/.*csrftoken=([^;]*).*/, '$1');
        f.appendChild(t); document.body.appendChild(f); f.submit(); }""",
            scanned_form.pk,
        )
    assert "another clerk" in ann.content()
    assert scanned_form.passes.count() == 1

"""Applicants in a real browser (headless Chromium): a new person signs up, verifies their
email from the outbox, fills the multi-step form with an error caught inline and corrected,
leaves, logs in again from another device, resumes, submits and sees the decision with its
reasons; the car-insurance schema renders and submits; and everything works without
JavaScript.

Set WEBFORM_SCREENSHOTS=<folder> to keep a screenshot of every page these tests visit.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress

from accounts.roles import Role
from applicants.models import Application, Status
from modelops.registry import model_version_bootstrap, model_version_register
from scoring.models import Decision
from scoring.services import score_waiting_applications
from tests.conftest import CAR_SCHEMA
from tests.e2e.conftest import ARGS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-pass-phrase-9"
SHOTS = os.environ.get("WEBFORM_SCREENSHOTS", "")


@pytest.fixture
def fast_status(settings: Any) -> None:
    settings.APPLICANT_STATUS_POLL_SECONDS = 1


@pytest.fixture
def unsampled_model(db: Any, trained_default: Any) -> Any:
    """The default model, with no random sample of low decisions sent to review: a low
    decision is then final at once, so the applicant sees it."""
    from applicants.schema import get_schema

    model = model_version_register(
        trained=trained_default,
        schema=get_schema(),
        training_source="tests",
        review_policy={"review_tiers": ["medium", "high"], "low_sample_rate": 0.0},
    )
    return model_version_bootstrap(model=model, note="web form tests")


@pytest.fixture
def open_browser(playwright_driver: Any, chromium: Path) -> Iterator[Callable[..., Any]]:
    """`open_browser(javascript=True)`: a page in a fresh profile (a new device: no cookies)."""
    contexts, profiles = [], []

    def open_page(*, javascript: bool = True, width: int = 1100, height: int = 900) -> Any:
        profile = tempfile.mkdtemp(prefix="e2e-apply-")
        profiles.append(profile)
        context = playwright_driver.chromium.launch_persistent_context(
            profile,
            executable_path=str(chromium),
            headless=True,
            args=ARGS,
            java_script_enabled=javascript,
            viewport={"width": width, "height": height},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.console_problems = []
        page.on(
            "console",
            lambda m: (
                m.type == "error" and page.console_problems.append(f"{page.url}: {m.text} at {m.location}")
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        # caret="initial": hiding the caret would inject a style element, which the
        # Content-Security-Policy refuses (and the console check below would catch).
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def verified_applicant(make_user: Any) -> Callable[[str], Any]:
    def make(username: str) -> Any:
        user = make_user(username, Role.APPLICANT)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user

    return make


def log_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/apply/account/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/apply/")


def fill_step(page: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        selector = f"#f-{name}"
        tag = page.eval_on_selector(f"[name={name}]", "el => el.tagName + ':' + el.type")
        if tag.startswith("SELECT"):
            page.select_option(selector, value)
        elif tag.endswith(":radio"):
            page.check(f"[name={name}][value='{value}']")
        else:
            page.fill(selector, value)


def save_and_continue(page: Any) -> None:
    current = page.url
    page.click("button[value=next]")
    page.wait_for_url(lambda url: url != current)


STEPS = [
    (
        "employment",
        {"employment_status": "employed_full_time", "employer": "Example Ltd", "years_employed": "6"},
    ),
    (
        "finances",
        {"annual_income": "£54,000", "monthly_housing_cost": "1,100", "monthly_debt_payments": "350"},
    ),
    ("credit", {"existing_credit_lines": "3", "delinquencies_2y": "0", "credit_history_years": "11"}),
    ("loan", {"requested_amount": "12,000", "term_months": "36", "loan_purpose": "home_improvement"}),
]


def test_a_new_person_signs_up_applies_leaves_resumes_and_sees_the_decision(
    open_browser, live_server, mailoutbox, unsampled_model, fast_status
):
    base = live_server.url
    page = open_browser()
    page.goto(f"{base}/apply/")
    shot(page, "01-welcome")
    page.click("text=Create an account to start")
    page.fill("#id_email", "sam.new@example.com")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    shot(page, "02-sign-up")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/apply/account/confirm-email/$"))
    shot(page, "03-verify-your-email")

    # The verification link, from the mail the platform sent.
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["sam.new@example.com"]
    link = re.search(r"https?://\S+/apply/account/confirm-email/\S+/", mailoutbox[0].body).group(0)
    page.goto(link)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/apply/")
    page.click("#start-application")
    page.wait_for_url(re.compile(r"/identity/$"))
    assert "Step 1 of 7" in page.inner_text(".progress")

    # An impossible date is caught as soon as the field is left (htmx, the one-field service).
    page.fill("#f-full_name", "Sam New")
    page.fill("#f-date_of_birth", "31/02/1990")
    page.press("#f-date_of_birth", "Tab")
    page.wait_for_selector("#error-date_of_birth:has-text('Date of birth is not a real date')")
    assert page.get_attribute("#f-date_of_birth", "aria-invalid") == "true"
    shot(page, "04-inline-error")
    page.fill("#f-date_of_birth", "23/04/1986")
    page.press("#f-date_of_birth", "Tab")
    page.wait_for_selector("#q-date_of_birth:not(.has-error)")
    # A malformed ID is refused on submit: the summary links to it and focus moves there.
    page.fill("#f-national_id", "A!")
    page.click("button[value=next]")
    page.wait_for_selector(".error-summary")
    assert page.evaluate("document.activeElement.id") == "f-national_id"
    shot(page, "05-step-error-summary")
    page.fill("#f-national_id", "SN-998877-A")
    save_and_continue(page)
    assert page.url.endswith("/contact/")

    fill_step(
        page,
        {
            "email": "sam.new@example.com",
            "phone": "+44 20 7946 0001",
            "address": "2 Example Street, Exampletown",
            "postcode": "EX1 3MP",
        },
    )
    shot(page, "06-contact-step")
    page.click("button[value=save]")  # leave mid-way
    page.wait_for_url(f"{base}/apply/")
    assert "Your answers are saved" in page.inner_text(".notices")
    assert "2 of 6 steps done" in page.inner_text("main")
    shot(page, "07-saved-list")
    page.click("header button:has-text('Log out')")
    page.wait_for_url(f"{base}/apply/")
    assert "Create an account to start" in page.inner_text("main")

    # Later, on another device: log in, continue where they stopped.
    later = open_browser(width=390, height=844)  # a phone-sized screen
    log_in(later, base, "sam.new@example.com", PASSWORD)
    later.click("text=Continue")
    later.wait_for_url(re.compile(r"/contact/$"))
    assert later.input_value("#f-email") == "sam.new@example.com"
    shot(later, "08-resumed-on-a-phone")
    save_and_continue(later)
    for _section, values in STEPS:
        fill_step(later, values)
        save_and_continue(later)
    assert later.url.endswith("/review/")
    review = later.inner_text("main")
    assert "54,000" in review and "23/04/1986" in review and "Home improvement" in review
    later.check("#f-consent")
    shot(later, "09-review")
    later.click("#submit-application")
    later.wait_for_url(re.compile(r"/apply/applications/[0-9a-f-]+/$"))
    assert later.inner_text("#status-headline") in ("Received", "Being assessed")
    shot(later, "10-status-received")

    application = Application.objects.get()
    assert application.owner.email == "sam.new@example.com" and application.channel == "web"
    assert application.provenance["date_of_birth"][0]["method"] == "typed"
    score_waiting_applications()
    decision = Decision.objects.get(application=application)
    assert decision.tier == "low" and not decision.routed_to_review

    # The page updates by itself: the outcome in plain words and the main reasons.
    later.wait_for_selector("#outcome", timeout=10_000)
    assert later.inner_text("#status-headline") == "Decided"
    assert "looks good" in later.inner_text("#outcome")
    shown = [line.strip() for line in later.inner_text("#reasons").splitlines() if line.strip()]
    assert shown and set(shown) <= {r["statement"] for r in decision.reasons}
    assert not re.search(r"\d\.\d{2,}|%", later.inner_text("#status"))  # never a probability
    shot(later, "11-status-decided")
    assert page.console_problems == [] and later.console_problems == []


def test_the_car_insurance_schema_renders_and_submits(
    open_browser, live_server, verified_applicant, settings
):
    settings.APPLICATION_SCHEMA = CAR_SCHEMA
    user = verified_applicant("casey")
    page = open_browser()
    log_in(page, live_server.url, user.email, "pw-for-tests")
    page.click("#start-application")
    page.wait_for_url(re.compile(r"/application/$"))
    assert page.inner_text("h1") == "Car insurance claim"
    assert page.eval_on_selector("[name=incident_type]", "el => el.tagName") == "SELECT"
    assert page.eval_on_selector("[name=police_report]", "el => el.type") == "radio"
    fill_step(
        page,
        {
            "policy_number": "POL123456",
            "claimant_name": "Casey Driver",
            "date_of_birth": "01/06/1979",
            "vehicle_age_years": "7",
            "vehicle_value": "12,000",
            "claim_amount": "90,000",
            "incident_type": "theft",
            "police_report": "no",
            "prior_claims_3y": "1",
        },
    )
    page.click("button[value=next]")
    page.wait_for_selector("#error-claim_amount:has-text('one and a half times')")
    shot(page, "20-car-claim-rule-error")
    page.fill("#f-claim_amount", "4,200")
    save_and_continue(page)
    assert page.url.endswith("/review/")
    assert "Casey Driver" in page.inner_text("main")
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/apply/applications/"))
    application = Application.objects.get()
    assert application.schema_name == "car_insurance_claim" and application.owner == user
    assert application.answers["claim_amount"] == 4200.0
    assert application.status == Status.RECEIVED


def test_everything_works_without_javascript(
    open_browser, live_server, verified_applicant, unsampled_model, fast_status
):
    user = verified_applicant("noel")
    page = open_browser(javascript=False)
    base = live_server.url
    log_in(page, base, user.email, "pw-for-tests")
    page.click("#start-application")
    page.wait_for_url(re.compile(r"/identity/$"))
    fill_step(page, {"full_name": "Noel Script", "date_of_birth": "1986-04-23", "national_id": "NS-123456-B"})
    save_and_continue(page)
    fill_step(
        page,
        {
            "email": "noel@example.com",
            "phone": "+44 20 7946 0002",
            "address": "3 Example Street, Exampletown",
            "postcode": "EX1 4MP",
        },
    )
    save_and_continue(page)
    fill_step(page, STEPS[0][1])
    save_and_continue(page)
    # A cross-field rule, judged on the server when the step is sent.
    fill_step(
        page, {"annual_income": "30000", "monthly_housing_cost": "900", "monthly_debt_payments": "2,600"}
    )
    page.click("button[value=next]")
    page.wait_for_selector(".error-summary")
    message = page.inner_text("#error-monthly_debt_payments")
    assert "Monthly debt payments cannot exceed monthly income." in message
    assert page.evaluate("document.activeElement.id") == "f-monthly_debt_payments"
    shot(page, "30-no-js-rule-error")
    fill_step(page, {"monthly_debt_payments": "350", "annual_income": "54000"})
    save_and_continue(page)
    for _section, values in STEPS[2:]:
        fill_step(page, values)
        save_and_continue(page)
    page.click("#submit-application")  # consent not ticked
    page.wait_for_selector(".error-summary")
    assert "must be given to proceed" in page.inner_text("#error-consent")
    assert Application.objects.count() == 0
    page.check("#f-consent")
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/apply/applications/"))
    score_waiting_applications()
    # Without JavaScript the page refreshes itself (a meta refresh inside <noscript>).
    page.wait_for_selector("#outcome", timeout=10_000)
    assert Application.objects.get().owner == user
    shot(page, "31-no-js-decided")

"""The web form without JavaScript, through Django's test client: steps, errors next to the
field with focus on the first, save and resume, review and consent, one application for a
double submit, the status page, and access (another applicant's draft or application is 404).
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.core import mail
from django.test import Client

from accounts.roles import Role
from applicants.models import Application, Draft, DraftStatus
from applicants.schema import get_schema
from channels_ingest.webform import presenters

pytestmark = pytest.mark.django_db

STEPS = {
    "identity": {"full_name": "Jane Q. Example", "date_of_birth": "23/04/1986", "national_id": "AB-123456-C"},
    "contact": {
        "email": "jane@example.com",
        "phone": "+44 20 7946 0000",
        "address": "1 Example Street, Exampletown",
        "postcode": "EX1 2MP",
    },
    "employment": {
        "employment_status": "employed_full_time",
        "employer": "Example Ltd",
        "years_employed": "6",
    },
    "finances": {"annual_income": "£54,000", "monthly_housing_cost": "1,100", "monthly_debt_payments": "350"},
    "credit": {"existing_credit_lines": "3", "delinquencies_2y": "0", "credit_history_years": "11"},
    "loan": {"requested_amount": "12,000", "term_months": "36", "loan_purpose": "home_improvement"},
}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start(client: Client) -> Draft:
    response = client.post("/apply/new/")
    assert response.status_code == 302
    draft = Draft.objects.latest("created_at")
    assert response["Location"] == f"/apply/drafts/{draft.pk}/steps/identity/"
    return draft


def post_step(client, draft, section, data, action="next"):
    return client.post(f"/apply/drafts/{draft.pk}/steps/{section}/", {**data, "action": action})


def test_the_welcome_page_invites_to_sign_up(client):
    page = client.get("/apply/")
    assert page.status_code == 200
    assert b"Create an account to start" in page.content
    assert b"/apply/account/signup/" in page.content


def test_a_step_is_drawn_from_the_schema_with_labels_help_and_required_marks(alice):
    client = logged_in(alice)
    draft = start(client)
    page = client.get(f"/apply/drafts/{draft.pk}/steps/identity/").content.decode()
    assert "<h1>About you</h1>" in page
    assert "Step 1 of 7" in page  # six steps and the review
    assert '<label class="label" for="f-full_name">Full name <span class="req">(required)</span>' in page
    assert 'id="help-date_of_birth"' in page and "For example 23/04/1986" in page
    assert 'aria-describedby="help-date_of_birth"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    # No inline script, style or event handler: the Content-Security-Policy allows none.
    assert "<script>" not in page and " style=" not in page and not re.search(r" on\w+=", page)
    employment = client.get(f"/apply/drafts/{draft.pk}/steps/employment/").content.decode()
    assert '<select name="employment_status"' in employment  # eight choices: a select
    loan = client.get(f"/apply/drafts/{draft.pk}/steps/loan/").content.decode()
    assert '<select name="term_months"' in loan and '<select name="loan_purpose"' in loan


def test_a_wrong_answer_is_shown_next_to_its_field_with_focus_and_fixed(alice):
    client = logged_in(alice)
    draft = start(client)
    response = post_step(client, draft, "identity", {**STEPS["identity"], "date_of_birth": "31/02/1990"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert '<a href="#f-date_of_birth">Date of birth is not a real date' in page
    assert 'aria-describedby="help-date_of_birth error-date_of_birth"' in page
    assert 'aria-invalid="true" ' in page or 'aria-invalid="true">' in page
    assert re.search(r'id="f-date_of_birth" value="31/02/1990"[^>]*autofocus', page)
    # The good answers of the step are kept already.
    assert Draft.objects.get(pk=draft.pk).answers["full_name"] == "Jane Q. Example"

    fixed = post_step(client, draft, "identity", STEPS["identity"])
    assert fixed["Location"] == f"/apply/drafts/{draft.pk}/steps/contact/"
    assert Draft.objects.get(pk=draft.pk).answers["date_of_birth"] == "1986-04-23"


def test_leaving_and_coming_back_resumes_where_the_applicant_stopped(alice):
    client = logged_in(alice)
    draft = start(client)
    post_step(client, draft, "identity", STEPS["identity"])
    saved = post_step(client, draft, "contact", STEPS["contact"], action="save")
    assert saved["Location"] == "/apply/"
    home = client.get("/apply/").content.decode()
    assert "Your answers are saved" in home and "2 of 6 steps done" in home

    other_device = logged_in(alice)
    resumed = other_device.get(f"/apply/drafts/{draft.pk}/")
    assert resumed["Location"] == f"/apply/drafts/{draft.pk}/steps/contact/"
    page = other_device.get(resumed["Location"]).content.decode()
    assert 'value="jane@example.com"' in page


def fill_all(client, draft):
    for section, data in STEPS.items():
        response = post_step(client, draft, section, data)
        assert response.status_code == 302, response.content.decode()[:2000]


def test_review_shows_every_answer_with_edit_links_and_submits_once(alice):
    client = logged_in(alice)
    draft = start(client)
    fill_all(client, draft)
    review = client.get(f"/apply/drafts/{draft.pk}/review/").content.decode()
    assert "Check your answers before sending" in review
    assert "54,000" in review and "23/04/1986" in review and "Home improvement" in review
    assert f'href="/apply/drafts/{draft.pk}/steps/finances/?return=review"' in review
    assert 'type="checkbox" name="consent"' in review

    refused = client.post(f"/apply/drafts/{draft.pk}/review/", {})
    assert refused.status_code == 200
    assert "must be given to proceed" in refused.content.decode()
    assert Application.objects.count() == 0

    sent = client.post(f"/apply/drafts/{draft.pk}/review/", {"consent": "yes"})
    application = Application.objects.get()
    assert sent["Location"] == f"/apply/applications/{application.pk}/"
    assert application.owner == alice and application.channel == "web"
    assert application.provenance["annual_income"][0]["method"] == "typed"
    # A second click (or a second tab) finds the same application.
    again = client.post(f"/apply/drafts/{draft.pk}/review/", {"consent": "yes"})
    assert again["Location"] == f"/apply/applications/{application.pk}/"
    assert Application.objects.count() == 1
    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.SUBMITTED


def test_an_edit_from_the_review_returns_to_the_review(alice):
    client = logged_in(alice)
    draft = start(client)
    fill_all(client, draft)
    response = client.post(
        f"/apply/drafts/{draft.pk}/steps/finances/",
        {**STEPS["finances"], "annual_income": "60000", "return": "review"},
    )
    assert response["Location"] == f"/apply/drafts/{draft.pk}/review/"


def test_the_status_page_says_received_and_polls(alice, answers):
    client = logged_in(alice)
    draft = start(client)
    fill_all(client, draft)
    client.post(f"/apply/drafts/{draft.pk}/review/", {"consent": "yes"})
    application = Application.objects.get()
    page = client.get(f"/apply/applications/{application.pk}/").content.decode()
    assert "Received" in page and "This page updates by itself" in page
    assert f'hx-get="/apply/applications/{application.pk}/"' in page and 'hx-trigger="every 3s"' in page
    fragment = client.get(f"/apply/applications/{application.pk}/", HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<section id="status"')


def test_another_applicants_draft_and_application_are_404(alice, bob):
    alice_client = logged_in(alice)
    draft = start(alice_client)
    fill_all(alice_client, draft)
    bob_client = logged_in(bob)
    for url in (
        f"/apply/drafts/{draft.pk}/",
        f"/apply/drafts/{draft.pk}/steps/identity/",
        f"/apply/drafts/{draft.pk}/review/",
    ):
        assert bob_client.get(url).status_code == 404
    assert bob_client.post(f"/apply/drafts/{draft.pk}/steps/identity/", STEPS["identity"]).status_code == 404
    assert (
        bob_client.post(f"/apply/drafts/{draft.pk}/answers/full_name/", {"full_name": "Bob"}).status_code
        == 404
    )
    assert bob_client.post(f"/apply/drafts/{draft.pk}/review/", {"consent": "yes"}).status_code == 404
    alice_client.post(f"/apply/drafts/{draft.pk}/review/", {"consent": "yes"})
    application = Application.objects.get()
    assert bob_client.get(f"/apply/applications/{application.pk}/").status_code == 404
    assert "Jane" not in bob_client.get("/apply/").content.decode()


def test_pages_need_an_applicant_login(client, make_user):
    response = client.post("/apply/new/")
    assert response.status_code == 302 and response["Location"].startswith("/apply/account/login/")
    auditor = logged_in(make_user("dora", Role.AUDITOR))
    assert auditor.post("/apply/new/").status_code == 403
    assert Draft.objects.count() == 0


def test_the_one_field_service_answers_an_htmx_request_with_the_field(alice):
    client = logged_in(alice)
    draft = start(client)
    bad = client.post(
        f"/apply/drafts/{draft.pk}/answers/annual_income/", {"annual_income": "lots"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 200
    html = bad.content.decode()
    assert html.lstrip().startswith('<div class="field has-error" id="q-annual_income"')
    assert "Annual income must be a number." in html and 'role="alert"' in html
    client.post(f"/apply/drafts/{draft.pk}/answers/annual_income/", {"annual_income": "30000"})
    rule = client.post(
        f"/apply/drafts/{draft.pk}/answers/monthly_debt_payments/", {"monthly_debt_payments": "2,600"}
    ).content.decode()
    assert "Monthly debt payments cannot exceed monthly income." in rule
    # Lowering the income breaks the housing rule: its message is swapped in out of band.
    client.post(f"/apply/drafts/{draft.pk}/answers/monthly_housing_cost/", {"monthly_housing_cost": "2000"})
    lowered = client.post(
        f"/apply/drafts/{draft.pk}/answers/annual_income/", {"annual_income": "20000"}
    ).content.decode()
    assert 'id="error-monthly_housing_cost" hx-swap-oob="true"' in lowered
    assert "Monthly housing cost cannot exceed monthly income." in lowered
    assert client.post(f"/apply/drafts/{draft.pk}/answers/nonsense/", {}).status_code == 404


def test_sign_up_makes_an_applicant_after_email_verification(client):
    response = client.post(
        "/apply/account/signup/",
        {
            "email": "new.person@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/apply/account/confirm-email/\S+/)", str(mail.outbox[0].body)).group(
        1
    )
    confirm = client.post(link)
    assert confirm.status_code == 302
    home = client.get("/apply/")
    assert home.context["may_apply"] is True
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email="new.person@example.com")
    assert list(user.groups.values_list("name", flat=True)) == ["applicant"]


def test_steps_of_a_schema_without_sections_and_consent_fields(settings):
    from tests.conftest import CAR_SCHEMA

    settings.APPLICATION_SCHEMA = CAR_SCHEMA
    schema = get_schema()
    steps = presenters.steps(schema)
    assert [s.title for s in steps] == ["Car insurance claim"]
    assert presenters.consent_fields(schema) == []


def test_a_forgotten_password_is_reset_through_a_mailed_link(client, alice):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    response = client.post("/apply/account/password/reset/", {"email": alice.email})
    assert response.status_code == 302
    link = re.search(
        r"https?://[^/\s]+(/apply/account/password/reset/key/\S+/)", str(mail.outbox[-1].body)
    ).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": "another-long-phrase-7", "password2": "another-long-phrase-7"},
    )
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another-long-phrase-7")


def test_sign_up_is_throttled_per_address(settings):
    """Sign-ups from one address beyond the limit are refused (429) and make no account."""
    from django.contrib.auth import get_user_model

    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "3/m/ip"}
    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"  # counts are kept in the cache, per address
    answers = []
    for n in range(4):
        client = Client(REMOTE_ADDR=address)
        answers.append(
            client.post(
                "/apply/account/signup/",
                {
                    "email": f"many{n}@example.com",
                    "password1": "a-long-pass-phrase-9",
                    "password2": "a-long-pass-phrase-9",
                },
            ).status_code
        )
    assert answers == [302, 302, 302, 429]
    assert not get_user_model().objects.filter(email="many3@example.com").exists()

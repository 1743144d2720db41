from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from applicants.models import Application
from scoring.services import score_waiting_applications
from tests.conftest import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"


def post(client: APIClient, answers: dict[str, Any], key: str | None = "k-1") -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, {"answers": answers}, format="json", **headers)


def test_a_token_is_exchanged_for_username_and_password(alice):
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "pw-for-tests"})
    assert response.status_code == 200 and len(response.json()["token"]) == 40


def test_bad_credentials_are_a_problem_document(alice):
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "no"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "Unable to log in" in str(response.json()["errors"])


def test_submitting_answers_202_with_a_link_then_the_scored_decision(alice, answers, active_model, make_user):
    client = token_client(alice)
    response = post(client, answers)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "received" and response["Location"] == body["link"]

    score_waiting_applications()
    detail = client.get(body["link"]).json()
    assert detail["status"] in ("scored", "in_review")
    outcome = detail["outcome"]  # the applicant's view (applicants.outcome): no model figures
    assert outcome["stage"] in ("decided", "review") and outcome["next_steps"]
    assert outcome["stage"] == "review" or outcome["tier"] in ("low", "medium", "high")
    assert outcome["stage"] == "review" or outcome["reasons"][0]
    assert "decision" not in detail

    agent = token_client(make_user("agent-ann", Role.AGENT))  # staff keep the model's decision
    decision = agent.get(body["link"]).json()["decision"]
    assert decision["tier"] in ("low", "medium", "high")
    assert set(decision["probabilities"]) == {"low", "medium", "high"}
    assert decision["model_version"] == active_model.version
    assert decision["reasons"][0]["statement"]


def test_a_retried_request_returns_the_original(alice, answers):
    client = token_client(alice)
    first = post(client, answers).json()
    again = post(client, answers)
    assert again.status_code == 202 and again.json()["id"] == first["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Application.objects.count() == 1


def test_a_reused_key_with_new_answers_is_409(alice, answers):
    client = token_client(alice)
    post(client, answers)
    answers["requested_amount"] = 5000
    response = post(client, answers)
    assert response.status_code == 409
    assert response.json()["type"].endswith("idempotency-key-reused")


def test_the_idempotency_key_is_required(alice, answers):
    response = post(token_client(alice), answers, key=None)
    assert response.status_code == 400
    assert response.json()["title"] == "Idempotency-Key header required"
    assert not Application.objects.exists()


def test_invalid_answers_get_422_with_errors_per_field(alice, answers):
    answers.update(annual_income=-1, date_of_birth="2015-02-02")
    response = post(token_client(alice), answers)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert errors["annual_income"] == ["Annual income must be at least 0."]
    assert errors["date_of_birth"] == ["The applicant must be at least 18 years old."]
    assert not Application.objects.exists()


def test_a_body_without_answers_is_a_clear_400(alice):
    response = token_client(alice).post(URL, {"nope": 1}, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert response.status_code == 400
    assert response.json()["errors"]["answers"] == ["This field is required."]


def test_an_applicant_cannot_read_another_applicants_application(alice, bob, answers):
    link = post(token_client(alice), answers).json()["link"]
    response = token_client(bob).get(link)
    assert response.status_code == 404
    assert token_client(bob).get(URL).json()["count"] == 0
    assert token_client(alice).get(URL).json()["count"] == 1


def test_staff_who_work_applications_can_read_them(alice, carol, dave, erin, answers):
    link = post(token_client(alice), answers).json()["link"]
    assert token_client(carol).get(link).status_code == 200
    # Auditors read applications on the review pages, which keep a blind review blind.
    assert token_client(dave).get(link).status_code == 404
    assert token_client(erin).get(link).status_code == 404  # approvers work on models


def test_roles_that_do_not_apply_cannot_submit(dave, answers):
    assert post(token_client(dave), answers).status_code == 403


def test_anonymous_requests_are_401_problems(answers):
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert APIClient().get(f"{URL}{uuid.uuid4()}/").status_code == 401


def test_unknown_ids_are_404(alice):
    assert token_client(alice).get(f"{URL}{uuid.uuid4()}/").status_code == 404
    assert token_client(alice).get(f"{URL}not-an-id/").status_code == 404


def test_the_list_is_paginated(alice, answers):
    client = token_client(alice)
    for i in range(25):
        post(client, {**answers, "national_id": f"PAGE{i:05d}"}, key=f"page-{i}")
    first = client.get(URL).json()
    assert first["count"] == 25 and len(first["results"]) == 20 and first["next"]


def test_the_application_schema_is_public_for_building_forms():
    body = APIClient().get("/api/v1/schema/").json()
    fields = {f["name"]: f for f in body["fields"]}
    assert fields["term_months"]["choices"][0] == {"value": 12, "label": "12 months"}
    assert fields["date_of_birth"]["min_age"] == 18
    assert fields["annual_income"]["prompt"]


def test_openapi_and_swagger_ui_are_served():
    schema = APIClient().get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/applications/" in schema.content
    docs = APIClient().get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content


def test_token_requests_are_throttled(alice, settings):
    from django.core.cache import cache

    cache.clear()
    client = APIClient()
    statuses = [
        client.post("/api/v1/auth/token/", {"username": "alice", "password": "x"}).status_code
        for _ in range(25)
    ]
    assert statuses[-1] == 429
    cache.clear()

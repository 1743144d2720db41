"""What a client can send must never be a 500: deep or huge bodies, odd ids, odd pages; and
when the server does fail, an API client still gets a problem document, never a traceback."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from applicants.models import Application
from channels_ingest.api.parsers import json_nesting_depth
from tests.conftest import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"
PROBLEM = "application/problem+json"


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    if slug:
        assert body["type"].endswith("/" + slug)
    assert "Traceback" not in response.content.decode()
    return body


# --- #4: deeply nested JSON ----------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_deeply_nested_json_is_a_400_on_the_token_endpoint(debug, settings):
    settings.DEBUG = debug
    response = Client().post("/api/v1/auth/token/", nested(1000), content_type="application/json")
    body = assert_problem(response, 400, "json-too-deep")
    assert "more than 20 levels deep" in body["detail"]


def test_deeply_nested_json_is_a_400_when_submitting(alice):
    body = json.dumps({"answers": {"x": json.loads(nested(100))}}).encode()
    response = token_client(alice).post(
        URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep"
    )
    assert_problem(response, 400, "json-too-deep")
    assert not Application.objects.exists()


def test_deeply_nested_json_is_a_400_even_before_authentication():
    response = Client().post(URL, nested(5000), content_type="application/json")
    # Authentication is asked first (401); what matters is no RecursionError anywhere.
    assert response.status_code in (400, 401)
    assert response["Content-Type"] == PROBLEM


def test_brackets_inside_strings_do_not_count():
    raw = json.dumps({"a": '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[[[[', "b": [[1]]}).encode()
    assert json_nesting_depth(raw, give_up_past=20) == 3


def test_a_body_over_the_limit_is_413(alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = json.dumps({"answers": {"note": "x" * 5000}})
    response = token_client(alice).post(
        URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="big"
    )
    assert assert_problem(response, 413, "request-too-large")["limit_bytes"] == 2048


def test_a_form_body_over_the_limit_is_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = Client().post(
        "/api/v1/auth/token/", "username=" + "a" * 5000, content_type="application/x-www-form-urlencoded"
    )
    assert_problem(response, 413, "request-too-large")


def test_too_many_form_fields_is_a_400(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(50))
    response = Client().post("/api/v1/auth/token/", body, content_type="application/x-www-form-urlencoded")
    assert_problem(response, 400, "request-refused")


def test_normal_json_and_form_logins_still_work(alice):
    as_json = Client().post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "pw-for-tests"},
        content_type="application/json",
    )
    as_form = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "pw-for-tests"})
    assert as_json.status_code == as_form.status_code == 200


# --- #9: ids and pages -----------------------------------------------------------------------


@pytest.mark.parametrize("odd_id", ["-" * 36, "0" * 32 + "----", "g" * 32, "%00", "1" * 37])
def test_an_id_that_is_not_a_uuid_is_a_404_problem(alice, odd_id):
    assert_problem(token_client(alice).get(f"{URL}{odd_id}/"), 404)


def test_a_uuid_without_dashes_still_finds_the_application(alice, answers):
    created = (
        token_client(alice)
        .post(URL, {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="plain")
        .json()
    )
    response = token_client(alice).get(f"{URL}{created['id'].replace('-', '').upper()}/")
    assert response.status_code == 200 and response.json()["id"] == created["id"]


@pytest.mark.parametrize(
    "query", ["page=1&page=2", "page=abc", "page=0", "page=-1", "page=last", "page=1.5", "page=99999999999"]
)
def test_page_must_be_one_positive_integer(alice, query):
    body = assert_problem(token_client(alice).get(f"{URL}?{query}"), 400, "invalid-page")
    assert "must be given once" in body["detail"]


def test_a_page_past_the_last_is_a_404_problem(alice):
    assert token_client(alice).get(f"{URL}?page=1").status_code == 200
    assert_problem(token_client(alice).get(f"{URL}?page=2"), 404)


def test_unknown_api_addresses_are_404_problems(alice):
    assert_problem(token_client(alice).get("/api/v1/nothing-here/"), 404)
    assert_problem(Client().get("/api/nothing/"), 404)


# --- #12: unexpected errors ------------------------------------------------------------------


@override_settings(ROOT_URLCONF="tests.channels_ingest.api.failing_urls")
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/test-failure/drf/", "/api/v1/test-failure/plain/"])
def test_an_unexpected_error_on_an_api_route_is_a_500_problem_and_is_logged(path, debug, settings, caplog):
    settings.DEBUG = debug
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Client(raise_request_exception=False).get(path)
    body = assert_problem(response, 500, "server-error")
    assert "secret detail" not in response.content.decode() and "KeyError" not in body["detail"]
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and logged[0].getMessage() == f"Internal Server Error: {path}"


def test_django_500_handler_answers_a_problem_under_api_and_html_elsewhere(rf):
    from config.errors import server_error

    api = server_error(rf.get("/api/v1/applications/"))
    assert api.status_code == 500 and api["Content-Type"] == PROBLEM
    page = server_error(rf.get("/review/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")

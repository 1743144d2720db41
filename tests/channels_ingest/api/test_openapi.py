"""The OpenAPI contract names every answer a client can get: each error as a problem
document, the Idempotency-Key's format, and a page that is one integer."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from channels_ingest.api.views import IDEMPOTENCY_KEY_PATTERN

pytestmark = pytest.mark.django_db
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def openapi(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()


def operations(openapi: dict):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_documents_its_errors_as_problems(openapi):
    assert len(list(operations(openapi))) >= 5
    for path, method, operation in operations(openapi):
        responses = operation["responses"]
        for code in ("400", "401", "403", "429"):
            assert code in responses, (method, path, code)
        for code, response in responses.items():
            if code.startswith("4"):
                assert response["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}, (
                    method,
                    path,
                    code,
                )
        if "{" in path:
            assert "404" in responses, (method, path)
        if method == "post":
            assert {"413", "415"} <= set(responses), path


def test_the_problem_document_is_described(openapi):
    problem = openapi["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


def test_the_idempotency_key_format_is_in_the_schema(openapi):
    parameters = openapi["paths"]["/api/v1/applications/"]["post"]["parameters"]
    key = next(p for p in parameters if p["name"] == "Idempotency-Key")
    assert key["required"] is True and key["in"] == "header"
    assert key["schema"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": IDEMPOTENCY_KEY_PATTERN,
    }


def test_page_is_one_integer_and_a_page_past_the_end_is_documented(openapi):
    operation = openapi["paths"]["/api/v1/applications/"]["get"]
    page = next(p for p in operation["parameters"] if p["name"] == "page")
    assert page["schema"]["type"] == "integer" and page["schema"]["minimum"] == 1
    assert page["explode"] is False and "at most once" in page["description"]
    assert "404" in operation["responses"]


def test_application_ids_are_uuids_in_the_schema(openapi):
    import re
    import uuid

    parameter = openapi["paths"]["/api/v1/applications/{id}/"]["get"]["parameters"][0]
    pattern = re.compile(parameter["schema"]["pattern"])
    assert pattern.match(str(uuid.uuid4())) and pattern.match(uuid.uuid4().hex)
    assert not pattern.match("-" * 36) and not pattern.match("not-an-id")

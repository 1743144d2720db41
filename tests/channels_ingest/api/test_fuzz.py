"""API fuzzing: schemathesis generates requests from the OpenAPI schema (valid and invalid
ones), sends them to the real application (WSGI, the test database), and checks every
response: never a server error, and status, content type, headers and body as documented.

Fixed seed and a bounded number of examples per operation, so a run is repeatable and takes
well under a minute; run with FUZZ_EXAMPLES=500 for a deeper search.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case

from tests.conftest import token_client

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261128,
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "database": "none"},
    }
)
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=CONFIG
)
schema.app = WSGIHandler()

# The answers' rules are data (applicants/schemas/*.yaml) that OpenAPI cannot express, so a
# schema-valid body is rightly refused with 422: "valid per the contract yet refused" is
# expected here, and every other check applies.
EXCLUDED = [positive_data_acceptance]


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """As Django's test client does: the WSGI handler must not close the connection that
    holds the test's transaction at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def applicant_headers(alice: Any) -> dict[str, str]:
    # (_credentials is where APIClient keeps what credentials() set; not in the stubs)
    return {"Authorization": token_client(alice)._credentials["HTTP_AUTHORIZATION"]}  # type: ignore[attr-defined]


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # alice's token only
def test_api_as_an_applicant(case: Case, applicant_headers: dict[str, str]) -> None:
    cache.clear()  # throttling is tested elsewhere; here it would hide the rest behind 429s
    headers = {**applicant_headers, **dict(case.headers or {})}
    case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the connection only
def test_api_anonymously(case: Case) -> None:
    cache.clear()
    case.call_and_validate(excluded_checks=EXCLUDED)

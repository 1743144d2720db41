"""The OpenAPI schema documents every error an operation can answer, as a problem document.

drf-spectacular documents what a view declares; the errors that DRF and our settings add to
every operation (a malformed body, a missing or bad token, a role that may not, throttling,
an unknown id or page) are added here, so clients and the fuzz test (tests/channels_ingest/
api/test_fuzz.py) see them in the contract.
"""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from channels_ingest.api.problems import PROBLEM_CONTENT_TYPE


class ProblemSerializer(serializers.Serializer):
    """An error (RFC 9457). Some problems add members, e.g. `errors` per field."""

    type = serializers.URLField(help_text="Identifies the kind of problem.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    # A declared field: the serializer's metaclass takes it out of the class attributes, so it
    # does not replace Serializer.errors (the stubs cannot see that).
    errors = serializers.DictField(required=False, help_text="Per field, what is wrong.")  # type: ignore[assignment]


def problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ProblemSerializer, description=description)


COMMON_PROBLEMS = {
    "400": "The request is malformed: unreadable or too deeply nested JSON, a bad parameter.",
    "401": "The credentials sent are wrong (no token is needed where the operation allows it).",
    "403": "Authentication is required, or the account's role may not do this.",
    "429": "Too many requests; see the Retry-After header.",
}
BODY_PROBLEMS = {
    "413": "The request body is larger than the server accepts.",
    "415": "The body's content type is not JSON (or a form where the operation takes one).",
}
NOT_FOUND = "No such resource visible to you (or a page past the last)."


class ProblemAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        problems = dict(COMMON_PROBLEMS)
        if self.method in ("POST", "PUT", "PATCH"):
            problems.update(BODY_PROBLEMS)
        if "{" in self.path or (self._is_list_view() and self._get_paginator() is not None):
            problems["404"] = NOT_FOUND
        for code, description in problems.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    problem(description), code, [PROBLEM_CONTENT_TYPE], direction
                )
        for code, response in responses.items():
            # Declared error responses are problem documents too, whatever the view named.
            if code.startswith(("4", "5")) and "content" not in response:
                responses[code] = self._get_response_for_code(
                    problem(response.get("description", "")), code, [PROBLEM_CONTENT_TYPE], direction
                )
        return responses

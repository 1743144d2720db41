"""The mobile / REST API, version 1. Views parse and answer; services decide."""

from __future__ import annotations

import re
import uuid
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.access import (
    applies_for_self,
    can_see_duplicate_flags,
    can_submit_application,
    can_view_application,
)
from applicants.models import Application, Channel
from applicants.schema import get_schema
from applicants.services import application_submit
from channels_ingest.api.problems import ProblemException
from channels_ingest.api.serializers import (
    AcceptedSerializer,
    ApplicationSerializer,
    SubmitApplicationSerializer,
    submitted_answers,
)
from channels_ingest.api.token import ObtainTokenView
from scoring.selectors import application_get, applications_owned_by

# Printable ASCII, no spaces, as in the IETF draft; the same pattern is in the OpenAPI schema.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
# Application ids are UUIDs; any other id is not a route at all (404 problem, no query).
UUID_REGEX = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


# The API's login: throttled (failing open), locked out after repeated failures, no tokens
# for accounts that must use a second factor (channels_ingest/api/token.py).
class TokenView(ObtainTokenView):
    # ObtainAuthToken names its own parsers; these are the bounded ones of the settings.
    # (api_settings turns the dotted paths into classes; the stubs type them as the strings.)
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # type: ignore[assignment]


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": IDEMPOTENCY_KEY_PATTERN},
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per application (e.g. a UUID): 1 to 255 printable ASCII "
    "characters, no spaces. Sending the same key again returns the original "
    "application instead of creating a second one.",
)


class ApplicationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ApplicationSerializer
    lookup_value_regex = UUID_REGEX

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular inspecting types
            return Application.objects.none()
        return applications_owned_by(self.request.user)

    @extend_schema(
        request=SubmitApplicationSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            202: AcceptedSerializer,
            409: OpenApiResponse(description="key reused"),
            422: OpenApiResponse(description="invalid answers, per field"),
        },
    )
    def create(self, request: Request) -> Response:
        """Submit an application. It is scored in the background; poll its link."""
        if not can_submit_application(request.user):
            raise ProblemException(
                status_code=403,
                slug="forbidden",
                title="Forbidden",
                detail="Your role cannot submit applications.",
            )
        key = request.headers.get("Idempotency-Key", "").strip()
        if not _KEY.match(key):
            raise ProblemException(
                status_code=400,
                slug="idempotency-key-required",
                title="Idempotency-Key header required",
                detail="Send an Idempotency-Key header (1-255 printable characters, e.g. a "
                "UUID) so a retried request never creates a second application.",
            )
        submission = application_submit(
            answers=submitted_answers(request.data),
            channel=Channel.API,
            actor=request.user,
            applicant_user=request.user if applies_for_self(request.user) else None,
            idempotency_key=key,
        )
        application = submission.application
        link = reverse("api:application-detail", args=[application.pk], request=request)
        headers = {"Location": link}
        if not submission.created:
            headers["Idempotent-Replayed"] = "true"
        accepted: dict[str, Any] = {"id": str(application.pk), "status": application.status, "link": link}
        if can_see_duplicate_flags(request.user):
            accepted["possible_duplicate"] = application.possible_duplicate
        return Response(
            accepted,
            status=status.HTTP_202_ACCEPTED,
            headers=headers,
        )

    @extend_schema(responses=ApplicationSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        """An application's status and, once decided, its outcome in words (after review, when a
        person checked it) and what happens next; staff also get the model's decision."""
        application = application_get(uuid.UUID(pk))
        if application is None or not can_view_application(request.user, application):
            # The same answer for "missing" and "not yours": ids are not an oracle.
            raise ProblemException(
                status_code=404,
                slug="not-found",
                title="Not found",
                detail="No application with this id is visible to you.",
            )
        return Response(self.get_serializer(application).data)


class SchemaView(APIView):
    """The application schema, so a client can build its form."""

    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(get_schema().public_description())
